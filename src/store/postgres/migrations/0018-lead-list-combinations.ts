import { type Kysely, sql } from 'kysely'

export const name = 'lead-list-combinations'

/**
 * Two filters the leads list is often asked for together, each read as one index range in the default order, as on
 * SQLite (its migration 0017): with one index per filter, a page and its count read one filter's index and checked
 * the other on every row of it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index leads_tenant_offer_stage on leads (tenant_id, offer_key, stage, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_source_dnc on leads (tenant_id, source, last_event_at, id)
    where do_not_contact = 1`.execute(db)
}
