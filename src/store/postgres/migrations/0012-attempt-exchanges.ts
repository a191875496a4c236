import { type Kysely, sql } from 'kysely'

export const name = 'attempt-exchanges'

/**
 * What each attempt sent and what came back (src/core/attempt-exchange.ts: secrets removed, bodies capped at 8 KiB),
 * as JSON; and the index a destination's delivery log and success rate read by (its attempts, newest first).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table delivery_attempts add column request text`.execute(db)
  await sql`alter table delivery_attempts add column response text`.execute(db)
  await sql`create index delivery_attempts_destination on delivery_attempts (destination_id, started_at)`.execute(db)
}
