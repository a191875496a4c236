/** The delivery queue at a moment, for metrics: one grouped query, read on each scrape. */

import type { DeliveryQueueStatistics } from '../types.ts'
import type { QueueContext } from './queue-context.ts'

export async function deliveryQueueStatistics(context: QueueContext, now: number): Promise<DeliveryQueueStatistics> {
  const rows = await context.db
    .selectFrom('deliveries')
    .select((eb) => ['state', eb.fn.countAll().as('count'), eb.fn.min('run_at').as('first_run_at')])
    .where('state', 'in', ['queued', 'in_flight'])
    .groupBy('state')
    .execute()
  const queued = rows.find((row) => row.state === 'queued')
  const inFlight = rows.find((row) => row.state === 'in_flight')
  const firstRunAt = queued ? Number(queued.first_run_at) : undefined
  return {
    queued: Number(queued?.count ?? 0),
    inFlight: Number(inFlight?.count ?? 0),
    ...(firstRunAt !== undefined && firstRunAt <= now && { oldestDueAt: firstRunAt }),
  }
}
