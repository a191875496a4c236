/** Recovery: deliveries whose lease ran out (their worker crashed or was killed) go back to the queue. */

import type { QueueContext } from './queue-context.ts'

/** Answers how many deliveries were queued again. */
export async function releaseExpiredLeases(context: QueueContext, now: number): Promise<number> {
  const result = await context.db
    .updateTable('deliveries')
    .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: now })
    .where('state', '=', 'in_flight')
    .where('locked_until', '<', now)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
