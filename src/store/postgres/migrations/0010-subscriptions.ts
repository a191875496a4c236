import { type Kysely, sql } from 'kysely'

export const name = 'subscriptions'

/**
 * Marketplace subscriptions (docs/decisions/0010-marketplace-subscriptions.md): each tenant's subscription source (its
 * Entra app, the secret sealed), the subscriptions last seen with the lead each joined, and the SaaS webhook relay's
 * durable outbox.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table subscription_sources (
      tenant_id text primary key references tenants(id),
      entra_tenant_id text not null,
      client_id text not null,
      sealed_secret text not null,
      enabled integer not null default 1,
      relay_token_hash text,
      relay_url text,
      last_poll_at bigint,
      last_poll_error text,
      last_poll_count integer,
      created_at bigint not null,
      updated_at bigint not null
    )`.execute(db)
  await sql`create unique index subscription_sources_relay on subscription_sources (relay_token_hash)`.execute(db)
  await sql`
    create table subscriptions (
      tenant_id text not null references tenants(id),
      id text not null,
      lead_id text not null,
      email text,
      offer_ref text not null,
      name text,
      status text not null,
      plan_id text,
      quantity integer,
      is_test integer not null,
      is_free_trial integer not null,
      term_start text,
      term_end text,
      term_unit text,
      created text,
      last_modified text,
      seen_at bigint not null,
      primary key (tenant_id, id)
    )`.execute(db)
  await sql`create index subscriptions_lead on subscriptions (tenant_id, lead_id)`.execute(db)
  await sql`
    create table saas_relay_calls (
      id text primary key,
      tenant_id text not null references tenants(id),
      body text not null,
      authorization_header text not null,
      content_type text,
      state text not null,
      attempts integer not null,
      run_at bigint not null,
      locked_until bigint,
      last_error text,
      last_status integer,
      relayed_at bigint,
      received_at bigint not null
    )`.execute(db)
  await sql`create index saas_relay_calls_queue on saas_relay_calls (tenant_id, state, received_at, id)`.execute(db)
}
