import { AppError } from '../../core/errors.ts'
import { createDeliveryRuntime } from '../../delivery/delivery-runtime.ts'
import { createLogger } from '../../logger.ts'
import { createDestinationService } from '../../services/destinations.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { type CommandContext, openContext } from '../context.ts'
import { renderTable } from '../table.ts'
import { cliActor, resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

function serviceOf(context: CommandContext) {
  const runtime = createDeliveryRuntime({ ...context, log: createLogger('warn') })
  return createDestinationService({ ...context, ...runtime, checkTimeoutMs: context.config.worker.attemptTimeoutMs })
}

export const destinationsListCommand: Command = {
  usage: 'leadrelay destinations list [--json] [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: ['--json                one JSON object per line', tenantOptionHelp, ...storeOptionHelp],
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const destinations = await serviceOf(context).list(tenant)
      if (flags.json) {
        for (const destination of destinations) io.stdout.write(`${JSON.stringify(destination)}\n`)
      } else if (destinations.length === 0) {
        io.stdout.write('No destinations yet. Create one with POST /v1/destinations.\n')
      } else {
        io.stdout.write(
          renderTable(
            ['id', 'kind', 'name', 'state', 'reason'],
            destinations.map((d) => [d.id, d.kind, d.name, d.state, d.stateReason ?? '-']),
          ),
        )
      }
      return 0
    } finally {
      await context.store.close()
    }
  },
}

export const destinationsVerifyCommand: Command = {
  usage: 'leadrelay destinations verify <destinationId> [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' } },
  optionHelp: [tenantOptionHelp, ...storeOptionHelp],
  async run(flags, positionals, io) {
    const id = positionals[0]
    if (!id)
      throw new AppError('VALIDATION_FAILED', 'Name the destination: leadrelay destinations verify <id>', {
        field: 'destinationId',
      })
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const result = await serviceOf(context).verify(tenant, id, cliActor(io.env))
      io.stdout.write(
        result.ok
          ? `${result.name}: passed; test lead ${result.testLeadId} delivered.\n`
          : `${result.name}: FAILED at ${result.step}: ${result.reason}\n`,
      )
      return result.ok ? 0 : 1
    } finally {
      await context.store.close()
    }
  },
}

export const destinationsPreviewCommand: Command = {
  usage: 'leadrelay destinations preview <destinationId> <leadId> [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' } },
  optionHelp: [tenantOptionHelp, ...storeOptionHelp],
  async run(flags, positionals, io) {
    const [id, leadId] = positionals
    if (!id || !leadId) {
      throw new AppError('VALIDATION_FAILED', 'Usage: leadrelay destinations preview <destinationId> <leadId>', {
        field: id ? 'leadId' : 'destinationId',
      })
    }
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const payload = await serviceOf(context).preview(tenant, id, leadId)
      io.stdout.write(`${typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2)}\n`)
      return 0
    } finally {
      await context.store.close()
    }
  },
}
