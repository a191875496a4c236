import { type Kysely, sql } from 'kysely'
import { backfillLeadSearchColumns } from '../../lead-list-backfill.ts'

export const name = 'lead-list'

/**
 * The leads list filters, sorts and counts in the database at any size: normalised keys for search and sorting by
 * name (kept by ingest, filled here for earlier leads), and one index per filter, each ending in the default order
 * (last activity, then id) so a filtered page is read in order and stops after `limit` rows. Flags that pick few
 * leads (do not contact, test, not routed) get partial indexes. The keys compare in the "C" collation, code point
 * order, so a prefix is an index range whatever the database's collation (the email gets an index in that collation
 * for the same reason). See docs/leads-list.md.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of ['name_key', 'last_name_key', 'company_key', 'email_domain'])
    await sql`alter table leads add column ${sql.raw(column)} text collate "C" not null default ''`.execute(db)
  await backfillLeadSearchColumns(db)
  await sql`create index leads_tenant_activity on leads (tenant_id, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_created on leads (tenant_id, created_at, id)`.execute(db)
  await sql`create index leads_tenant_offer on leads (tenant_id, offer_key, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_stage on leads (tenant_id, stage, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_source on leads (tenant_id, source, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_domain on leads (tenant_id, email_domain, last_event_at, id)`.execute(db)
  await sql`create index leads_tenant_name on leads (tenant_id, name_key, id)`.execute(db)
  await sql`create index leads_tenant_last_name on leads (tenant_id, last_name_key)`.execute(db)
  await sql`create index leads_tenant_company on leads (tenant_id, company_key, id)`.execute(db)
  await sql`create index leads_tenant_email_prefix on leads (tenant_id, (email collate "C"))`.execute(db)
  await sql`create index leads_tenant_dnc on leads (tenant_id, last_event_at, id) where do_not_contact = 1`.execute(db)
  await sql`create index leads_tenant_test on leads (tenant_id, last_event_at, id) where is_test = 1`.execute(db)
  await sql`create index leads_tenant_unrouted on leads (tenant_id, last_event_at, id) where offer_id is null`.execute(
    db,
  )
}
