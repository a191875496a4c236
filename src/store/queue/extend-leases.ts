/** The worker's heartbeat: every lease it holds renewed at once, so its deliveries never return to the queue. */

import type { QueueContext } from './queue-context.ts'

/** Answers how many leases were renewed to `now + leaseMs`. */
export async function extendLeases(
  context: QueueContext,
  workerId: string,
  now: number,
  leaseMs: number,
): Promise<number> {
  const result = await context.db
    .updateTable('deliveries')
    .set({ locked_until: now + leaseMs })
    .where('state', '=', 'in_flight')
    .where('locked_by', '=', workerId)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
