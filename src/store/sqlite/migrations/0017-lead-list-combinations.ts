import { type Kysely, sql } from 'kysely'

export const name = 'lead-list-combinations'

/**
 * Two filters the leads list is often asked for together, each read as one index range in the default order. With
 * only one index per filter, SQLite (no statistics) read one filter's index and checked the other on every row: an
 * offer's leads to find those in a stage (0.7 s at 1,000,000 events), and every lead of a source to find the few that
 * asked not to be contacted (0.5 s), and the count read the same rows again (docs/benchmarks.md).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index leads_tenant_offer_stage on leads (tenant_id, offer_key, stage, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_source_dnc on leads (tenant_id, source, last_event_at, id)
    where do_not_contact = 1`.execute(db)
}
