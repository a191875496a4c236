import { type Kysely, sql } from 'kysely'

export const name = 'privacy'

/**
 * Erasure and retention (docs/privacy.md): erasure tombstones keyed by a salted hash of the email, the per-tenant salt,
 * retention settings, tombstone and `previouslyErased` marks on leads, the operation a delivery carries (`deliver` or
 * `erase`), and the indexes retention's batches walk by age.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table erasure_salts (
      tenant_id text primary key references tenants(id),
      salt text not null
    ) strict`.execute(db)
  await sql`
    create table erasures (
      tenant_id text not null references tenants(id),
      email_hash text not null,
      erased_at integer not null,
      actor text not null,
      leads integer not null,
      primary key (tenant_id, email_hash)
    ) strict`.execute(db)
  await sql`
    create table retention_settings (
      tenant_id text primary key references tenants(id),
      attempts_days integer not null,
      lead_events_idle_months integer not null,
      audit_months integer not null,
      updated_at integer not null
    ) strict`.execute(db)
  await sql`alter table leads add column erased_at integer`.execute(db)
  await sql`alter table leads add column previously_erased integer not null default 0`.execute(db)
  await sql`alter table deliveries add column operation text not null default 'deliver'`.execute(db)
  await sql`create index delivery_attempts_age on delivery_attempts (tenant_id, started_at)`.execute(db)
}
