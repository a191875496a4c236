import { type Kysely, sql } from 'kysely'

export const name = 'keys'

/**
 * Named API keys with scopes, ingest tokens that can be rotated with an overlap, and a counter that every revocation
 * raises so other processes drop the credentials they cached. Keys that existed before scopes become `admin`: they
 * could do everything until now. `revoked_at` becomes the moment a key stops working, which may lie in the future
 * while a rotated key's overlap lasts. `hint` keeps the first characters of a secret, so a person can tell keys apart.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table api_keys add column scopes text not null default 'admin'`.execute(db)
  await sql`alter table api_keys add column hint text`.execute(db)
  await sql`create index api_keys_tenant on api_keys (tenant_id, created_at)`.execute(db)
  await sql`
    create table ingest_tokens (
      id text primary key,
      tenant_id text not null references tenants(id),
      token_hash text not null unique,
      hint text,
      created_at integer not null,
      revoked_at integer
    ) strict`.execute(db)
  await sql`create index ingest_tokens_tenant on ingest_tokens (tenant_id, created_at)`.execute(db)
  await sql`
    insert into ingest_tokens (id, tenant_id, token_hash, created_at, revoked_at)
    select 'itk_' || id, id, ingest_token_hash, created_at, null from tenants`.execute(db)
  await sql`
    create table credential_epoch (
      id integer primary key check (id = 1),
      version integer not null
    ) strict`.execute(db)
  await sql`insert into credential_epoch (id, version) values (1, 0)`.execute(db)
}
