import { type Kysely, sql } from 'kysely'

export const name = 'init'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table tenants (
      id text primary key,
      name text not null,
      ingest_token_hash text not null unique,
      created_at bigint not null
    )`.execute(db)
  await sql`
    create table api_keys (
      id text primary key,
      tenant_id text references tenants(id),
      key_hash text not null unique,
      role text not null,
      label text not null,
      created_at bigint not null,
      revoked_at bigint
    )`.execute(db)
  await sql`
    create table offers (
      tenant_id text not null references tenants(id),
      id text not null,
      title text,
      aliases text not null,
      created_at bigint not null,
      updated_at bigint not null,
      primary key (tenant_id, id)
    )`.execute(db)
  await sql`
    create table offer_aliases (
      tenant_id text not null,
      alias text not null,
      offer_id text not null,
      primary key (tenant_id, alias),
      foreign key (tenant_id, offer_id) references offers(tenant_id, id) on delete cascade
    )`.execute(db)
  await sql`
    create table leads (
      id text primary key,
      tenant_id text not null references tenants(id),
      offer_key text not null,
      offer_id text,
      merge_key text,
      stage text not null,
      do_not_contact integer not null,
      do_not_contact_at bigint,
      customer_acted_at bigint,
      is_test integer not null,
      first_name text, last_name text, email text, phone text, phone_digits text,
      country text, company text, title text,
      source text, action text,
      event_count integer not null,
      first_event_at bigint not null,
      last_event_at bigint not null,
      created_at bigint not null,
      updated_at bigint not null,
      version integer not null
    )`.execute(db)
  await sql`create unique index leads_identity on leads (tenant_id, offer_key, merge_key)`.execute(db)
  await sql`create index leads_tenant_order on leads (tenant_id, id)`.execute(db)
  await sql`create index leads_tenant_email on leads (tenant_id, email)`.execute(db)
  await sql`
    create table lead_events (
      seq bigserial primary key,
      id text not null unique,
      tenant_id text not null,
      lead_id text not null references leads(id),
      format text not null,
      received_at bigint not null,
      occurred_at bigint not null,
      lead_source text, source text, action text,
      stage text not null,
      offer_ref text, offer_title text, description text,
      customer text not null,
      invalid text,
      extra text,
      is_test integer not null,
      idempotency_key text,
      content_hash text not null,
      result text not null
    )`.execute(db)
  await sql`create unique index lead_events_idempotency on lead_events (tenant_id, idempotency_key)`.execute(db)
  await sql`create index lead_events_content on lead_events (tenant_id, content_hash, received_at)`.execute(db)
  await sql`create index lead_events_lead on lead_events (lead_id, occurred_at)`.execute(db)
}
