/** Ending a claim without an attempt: back to the queue (a held destination), or superseded by a newer state. */

import type { QueueContext } from './queue-context.ts'

/** Only leases `workerId` still holds are released; they are due again at `runAt`. */
export async function releaseDeliveries(
  context: QueueContext,
  deliveryIds: readonly string[],
  workerId: string,
  runAt: number,
  now: number,
): Promise<void> {
  if (deliveryIds.length === 0) return
  await context.bookkeepingTransaction((trx) =>
    trx
      .updateTable('deliveries')
      .set({ state: 'queued', run_at: runAt, locked_by: null, locked_until: null, updated_at: now })
      .where('id', 'in', deliveryIds)
      .where('state', '=', 'in_flight')
      .where('locked_by', '=', workerId)
      .execute(),
  )
}

/** The lead changed after the claim; that change queued its own delivery, which carries the newer state. */
export async function markSuperseded(
  context: QueueContext,
  deliveryId: string,
  workerId: string,
  now: number,
): Promise<void> {
  await context.db
    .updateTable('deliveries')
    .set({
      state: 'superseded',
      locked_by: null,
      locked_until: null,
      updated_at: now,
      last_error: 'A newer state of the lead is delivered instead',
    })
    .where('id', '=', deliveryId)
    .where('state', '=', 'in_flight')
    .where('locked_by', '=', workerId)
    .execute()
}
