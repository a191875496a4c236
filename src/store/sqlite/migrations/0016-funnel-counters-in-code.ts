import { type Kysely, sql } from 'kysely'

export const name = 'funnel-counters-in-code'

/**
 * The funnel counters are kept by the code that writes leads from here on: each path sums its leads' changes to the
 * counters over its transaction and writes one row per counter at its end (core/funnel-counters.ts,
 * docs/decisions/0013-funnel-counters-in-code.md). The triggers of migration 0012 ran about twenty guarded upserts
 * per lead written, which made them the largest part of the ingest thread's work; the counters they kept are left
 * as they are, and stay exact.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger leads_funnel_insert`.execute(db)
  await sql`drop trigger leads_funnel_update`.execute(db)
  await sql`drop trigger leads_funnel_delete`.execute(db)
}
