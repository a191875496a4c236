import { type Kysely, sql } from 'kysely'

export const name = 'delivery'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table tenants add column notify_emails text not null default '[]'`.execute(db)
  await sql`alter table tenants add column notify_webhook_url text`.execute(db)
  await sql`alter table offers add column status text not null default 'draft'`.execute(db)
  await sql`alter table offers add column published_at bigint`.execute(db)
  await sql`
    create table destinations (
      id text primary key,
      tenant_id text not null references tenants(id),
      kind text not null,
      name text not null,
      config text not null,
      secrets text,
      state text not null,
      state_reason text,
      state_changed_at bigint not null,
      failing_since bigint,
      max_concurrency integer not null,
      rate_per_second double precision,
      created_at bigint not null,
      updated_at bigint not null,
      deleted_at bigint
    )`.execute(db)
  await sql`create index destinations_tenant on destinations (tenant_id, id)`.execute(db)
  await sql`
    create table routes (
      tenant_id text not null references tenants(id),
      scope text not null,
      destination_id text not null references destinations(id),
      primary key (tenant_id, scope, destination_id)
    )`.execute(db)
  await sql`
    create table deliveries (
      id text primary key,
      tenant_id text not null references tenants(id),
      lead_id text not null references leads(id),
      destination_id text not null references destinations(id),
      lead_version integer not null,
      state text not null,
      attempts integer not null,
      run_at bigint not null,
      retry_from bigint not null,
      locked_by text,
      locked_until bigint,
      last_error text,
      last_error_kind text,
      last_status integer,
      external_id text,
      created_at bigint not null,
      updated_at bigint not null,
      delivered_at bigint
    )`.execute(db)
  // The claim scans only due, queued rows; a partial index keeps that cheap however long the history grows.
  await sql`create index deliveries_due on deliveries (run_at, id) where state = 'queued'`.execute(db)
  await sql`create index deliveries_in_flight on deliveries (locked_until) where state = 'in_flight'`.execute(db)
  await sql`create index deliveries_pair on deliveries (destination_id, lead_id, state)`.execute(db)
  await sql`create index deliveries_tenant on deliveries (tenant_id, id)`.execute(db)
  await sql`create index deliveries_lead on deliveries (lead_id)`.execute(db)
  await sql`
    create table delivery_attempts (
      id text primary key,
      delivery_id text not null references deliveries(id),
      tenant_id text not null,
      destination_id text not null,
      number integer not null,
      lead_version integer not null,
      started_at bigint not null,
      duration_ms integer not null,
      outcome text not null,
      status integer,
      vendor_code text,
      error text
    )`.execute(db)
  await sql`create index delivery_attempts_delivery on delivery_attempts (delivery_id, started_at)`.execute(db)
  await sql`
    create table audit_log (
      id text primary key,
      tenant_id text not null,
      actor text not null,
      action text not null,
      target text,
      detail text,
      at bigint not null
    )`.execute(db)
  await sql`create index audit_log_tenant on audit_log (tenant_id, at)`.execute(db)
}
