import { type Kysely, sql } from 'kysely'

export const name = 'people'

/**
 * People who sign in (docs/decisions/0008-sign-in-for-people.md): identified by issuer and subject, never by email;
 * their role per tenant; invitations and sessions kept only as hashes of their secrets. A tenant may name the Entra
 * tenant whose people join it by themselves, and with which role.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table people (
      id text primary key,
      issuer text not null,
      subject text not null,
      email text,
      name text not null,
      operator integer not null default 0,
      created_at integer not null,
      unique (issuer, subject)
    ) strict`.execute(db)
  await sql`
    create table memberships (
      tenant_id text not null references tenants(id),
      person_id text not null references people(id),
      role text not null,
      created_at integer not null,
      primary key (tenant_id, person_id)
    ) strict`.execute(db)
  await sql`create index memberships_person on memberships (person_id)`.execute(db)
  await sql`
    create table invitations (
      id text primary key,
      tenant_id text not null references tenants(id),
      token_hash text not null unique,
      email text not null,
      role text not null,
      invited_by text not null,
      created_at integer not null,
      expires_at integer not null,
      accepted_at integer,
      accepted_by text
    ) strict`.execute(db)
  await sql`create index invitations_tenant on invitations (tenant_id, created_at)`.execute(db)
  await sql`
    create table sessions (
      id_hash text primary key,
      person_id text not null references people(id),
      tenant_id text not null references tenants(id),
      created_at integer not null,
      last_seen_at integer not null,
      revoked_at integer
    ) strict`.execute(db)
  await sql`create index sessions_person on sessions (person_id)`.execute(db)
  await sql`create index sessions_tenant on sessions (tenant_id)`.execute(db)
  await sql`alter table tenants add column entra_tenant_id text`.execute(db)
  await sql`alter table tenants add column sign_in_role text`.execute(db)
}
