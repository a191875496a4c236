import { type Kysely, sql } from 'kysely'

export const name = 'funnel-counters-in-code'

/**
 * The funnel counters are kept by the code that writes leads from here on: each path sums its leads' changes to the
 * counters over its transaction and writes one row per counter at its end (core/funnel-counters.ts,
 * docs/decisions/0013-funnel-counters-in-code.md), as on SQLite. The counters the triggers of migration 0013 kept are
 * left as they are, and stay exact.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger leads_funnel_insert on leads`.execute(db)
  await sql`drop trigger leads_funnel_update on leads`.execute(db)
  await sql`drop trigger leads_funnel_delete on leads`.execute(db)
  await sql`drop function leads_funnel_counts()`.execute(db)
}
