import { type Kysely, sql } from 'kysely'

export const name = 'delivery-trace-context'

/**
 * The W3C trace context of the ingest that queued each delivery, so its attempts (on the delivery thread, minutes
 * later or on another node) link to it (docs/decisions/0012-trace-context-of-deliveries.md). Null when traces are off.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deliveries add column trace_parent text`.execute(db)
}
