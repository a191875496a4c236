import { AppError } from '../../core/errors.ts'
import { createDeliveryRuntime } from '../../delivery/delivery-runtime.ts'
import { createLogger } from '../../logger.ts'
import { createDestinationService } from '../../services/destinations.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { renderTable } from '../table.ts'
import { cliActor, resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

export const offersPublishCommand: Command = {
  usage: 'leadrelay offers publish <offerId> [--json] [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: ['--json                print the result as JSON', tenantOptionHelp, ...storeOptionHelp],
  async run(flags, positionals, io) {
    const offerId = positionals[0]
    if (!offerId)
      throw new AppError('VALIDATION_FAILED', 'Name the offer: leadrelay offers publish <offerId>', {
        field: 'offerId',
      })
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const runtime = createDeliveryRuntime({ ...context, log: createLogger('warn') })
      const service = createDestinationService({
        ...context,
        ...runtime,
        checkTimeoutMs: context.config.worker.attemptTimeoutMs,
      })
      const result = await service.publish(tenant, offerId, cliActor(io.env))
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(result)}\n`)
      } else {
        io.stdout.write(
          renderTable(
            ['destination', 'kind', 'result', 'step', 'reason'],
            result.results.map((r) => [
              `${r.name} (${r.destinationId})`,
              r.kind,
              r.ok ? 'passed' : 'FAILED',
              r.step ?? '-',
              r.reason ?? 'test lead delivered',
            ]),
          ),
        )
        io.stdout.write(
          result.status === 'live'
            ? `\nOffer ${offerId} is live.\n`
            : `\nOffer ${offerId} stays in draft: fix the failures above and publish again.\n`,
        )
      }
      return result.status === 'live' ? 0 : 1
    } finally {
      await context.store.close()
    }
  },
}
