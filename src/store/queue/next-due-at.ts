/** When the queue next has work: the earliest due delivery of an active destination, held ones at their hold's end. */

import { sql } from 'kysely'
import type { QueueContext } from './queue-context.ts'

export async function nextDueAt(context: QueueContext): Promise<number | undefined> {
  const row = await context.db
    .selectFrom('deliveries as d')
    .innerJoin('destinations as dst', 'dst.id', 'd.destination_id')
    .select(
      sql<number | null>`min(case when dst.held_until > d.run_at then dst.held_until else d.run_at end)`.as('next'),
    )
    .where('d.state', '=', 'queued')
    .where('dst.state', '=', 'active')
    .executeTakeFirst()
  return row?.next === null || row?.next === undefined ? undefined : Number(row.next)
}
