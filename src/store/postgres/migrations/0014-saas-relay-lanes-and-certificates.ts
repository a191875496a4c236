import { type Kysely, sql } from 'kysely'

export const name = 'saas-relay-lanes-and-certificates'

/**
 * The SaaS webhook relay's order and dedupe (docs/decisions/0010-marketplace-subscriptions.md): each call's
 * subscription (its lane: calls of one subscription are relayed in order), Microsoft's operation id (a call Microsoft
 * sends again is stored once) and a per-tenant sequence fixing the order calls were received in. And certificate
 * credentials for the subscription source: the public certificate and its private key, sealed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table saas_relay_calls add column subscription_id text not null default ''`.execute(db)
  await sql`alter table saas_relay_calls add column operation_id text`.execute(db)
  await sql`alter table saas_relay_calls add column seq bigint not null default 0`.execute(db)
  await sql`create unique index saas_relay_calls_operation on saas_relay_calls (tenant_id, operation_id)`.execute(db)
  await sql`create unique index saas_relay_calls_seq on saas_relay_calls (tenant_id, seq)`.execute(db)
  await sql`create index saas_relay_calls_lane on saas_relay_calls (tenant_id, subscription_id, state, seq)`.execute(db)
  await sql`create index saas_relay_calls_due on saas_relay_calls (state, run_at)`.execute(db)
  await sql`alter table subscription_sources add column certificate_pem text`.execute(db)
  await sql`alter table subscription_sources add column sealed_certificate_key text`.execute(db)
}
