import type { DeliveryState } from '../../core/delivery-state.ts'
import { deliveryStates } from '../../core/delivery-state.ts'
import { AppError } from '../../core/errors.ts'
import { createDeliveryRuntime } from '../../delivery/delivery-runtime.ts'
import { createLogger } from '../../logger.ts'
import { createDestinationService } from '../../services/destinations.ts'
import type { DeliveryFilter } from '../../store/types.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { createProgress } from '../progress.ts'
import { cliActor, resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

function timeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const time = Date.parse(value)
  if (!Number.isFinite(time))
    throw new AppError('VALIDATION_FAILED', `--${name} must be a date or ISO date-time`, { field: name })
  return time
}

export const deliveriesReplayCommand: Command = {
  usage:
    'leadrelay deliveries replay [--id <dlv_…> …] [--destination <id>] [--state dead] [--since <date>] [--until <date>] [--tenant <id>]',
  options: {
    ...storeOptions,
    tenant: { type: 'string' },
    id: { type: 'string', multiple: true },
    destination: { type: 'string' },
    state: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
  },
  optionHelp: [
    '--id <id>             replay this delivery (repeatable); otherwise a filter selects',
    '--destination <id>    only deliveries to this destination',
    '--state <state>       delivered, dead or superseded (default dead)',
    '--since <date>        last changed at or after this time',
    '--until <date>        last changed before this time',
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const state = stringFlag(flags, 'state') ?? 'dead'
    if (!(deliveryStates as readonly string[]).includes(state)) {
      throw new AppError('VALIDATION_FAILED', `--state must be one of ${deliveryStates.join(', ')}`, { field: 'state' })
    }
    const ids = (flags as Record<string, unknown>).id as string[] | undefined
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const log = createLogger('warn')
      const runtime = createDeliveryRuntime({ ...context, log })
      const service = createDestinationService({
        ...context,
        ...runtime,
        checkTimeoutMs: context.config.worker.attemptTimeoutMs,
      })
      let selected: string[]
      if (ids && ids.length > 0) {
        selected = ids
      } else {
        const since = timeFlag('since', stringFlag(flags, 'since'))
        const until = timeFlag('until', stringFlag(flags, 'until'))
        const filter: DeliveryFilter = {
          state: state as DeliveryState,
          ...(stringFlag(flags, 'destination') !== undefined && { destinationId: stringFlag(flags, 'destination') }),
          ...(since !== undefined && { since }),
          ...(until !== undefined && { until }),
        }
        selected = []
        let cursor: string | undefined
        do {
          const page = await context.store.listDeliveries(tenant.id, filter, { limit: 500, ...(cursor && { cursor }) })
          selected.push(...page.items.map((delivery) => delivery.id))
          cursor = page.nextCursor
        } while (cursor)
      }
      if (selected.length === 0) {
        io.stdout.write('Nothing to replay.\n')
        return 0
      }
      const progress = createProgress(io.stderr, 'Replaying', selected.length)
      let replayed = 0
      let skipped = 0
      for (let i = 0; i < selected.length; i += 500) {
        const result = await service.replay(tenant, { ids: selected.slice(i, i + 500) }, cliActor(io.env))
        replayed += result.replayed.length
        skipped += result.skipped
        progress.update(Math.min(selected.length, i + 500))
      }
      progress.finish(`Replayed ${replayed} deliveries; ${skipped} skipped (already queued or in flight).`)
      io.stdout.write(`${JSON.stringify({ replayed, skipped })}\n`)
      return 0
    } finally {
      await context.store.close()
    }
  },
}
