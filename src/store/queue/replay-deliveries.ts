/** Replay: final deliveries queued again with a fresh retry schedule; ones queued or in flight are skipped. */

import type { ReplaySelector } from '../types.ts'
import { applyDeliveryFilter } from './delivery-filter.ts'
import type { QueueContext } from './queue-context.ts'
import { requeuedDeliveryColumns } from './queued-delivery.ts'

/** Rows per update statement: well under SQLite's and PostgreSQL's parameter limits. */
const replayChunk = 500

export function replayDeliveries(
  context: QueueContext,
  tenantId: string,
  selector: ReplaySelector,
  now: number,
): Promise<{ replayed: readonly string[]; skipped: number }> {
  return context.db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('deliveries').select(['id', 'state']).where('tenant_id', '=', tenantId)
    if ('ids' in selector) {
      if (selector.ids.length === 0) return { replayed: [], skipped: 0 }
      query = query.where('id', 'in', selector.ids)
    } else {
      query = applyDeliveryFilter(query, { state: 'dead', ...selector.filter })
    }
    const rows = await query.execute()
    const replayable = rows.filter((row) => row.state !== 'queued' && row.state !== 'in_flight').map((row) => row.id)
    for (let i = 0; i < replayable.length; i += replayChunk) {
      await trx
        .updateTable('deliveries')
        .set({ ...requeuedDeliveryColumns(now), replay_pending: 1 })
        .where('id', 'in', replayable.slice(i, i + replayChunk))
        .execute()
    }
    if (replayable.length > 0) await context.notifyWork?.(trx)
    return { replayed: replayable, skipped: rows.length - replayable.length }
  })
}
