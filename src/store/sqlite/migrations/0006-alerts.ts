import { type Kysely, sql } from 'kysely'

export const name = 'alerts'

/**
 * Alert rules and channels, the alerts fired (one per rule, lead and stage: the unique key is what "fires once"
 * means), one send per alert and channel with its attempts, and the digests sent (one per tenant and period).
 * See docs/decisions/0007-alerts.md.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table alert_channels (
      id text primary key,
      tenant_id text not null references tenants(id),
      kind text not null,
      name text not null,
      config text not null,
      secrets text,
      created_at integer not null,
      updated_at integer not null,
      deleted_at integer
    ) strict`.execute(db)
  await sql`create index alert_channels_tenant on alert_channels (tenant_id, id)`.execute(db)
  await sql`
    create table alert_rules (
      id text primary key,
      tenant_id text not null references tenants(id),
      name text not null,
      enabled integer not null,
      criteria text not null,
      channel_ids text not null,
      created_at integer not null,
      updated_at integer not null,
      deleted_at integer
    ) strict`.execute(db)
  await sql`create index alert_rules_tenant on alert_rules (tenant_id, id)`.execute(db)
  await sql`
    create table alerts (
      id text primary key,
      tenant_id text not null,
      rule_id text not null,
      lead_id text not null,
      stage text not null,
      lead_version integer not null,
      fired_at integer not null
    ) strict`.execute(db)
  await sql`create unique index alerts_once on alerts (rule_id, lead_id, stage)`.execute(db)
  await sql`create index alerts_lead on alerts (tenant_id, lead_id)`.execute(db)
  await sql`
    create table alert_sends (
      id text primary key,
      alert_id text not null,
      tenant_id text not null,
      channel_id text not null,
      state text not null,
      attempts integer not null,
      run_at integer not null,
      locked_until integer,
      last_error text,
      last_status integer,
      sent_at integer,
      created_at integer not null,
      updated_at integer not null
    ) strict`.execute(db)
  await sql`create index alert_sends_channel on alert_sends (channel_id, state, created_at, id)`.execute(db)
  await sql`create index alert_sends_due on alert_sends (state, run_at)`.execute(db)
  await sql`create index alert_sends_alert on alert_sends (alert_id)`.execute(db)
  await sql`
    create table alert_attempts (
      id text primary key,
      send_id text not null,
      tenant_id text not null,
      number integer not null,
      started_at integer not null,
      duration_ms integer not null,
      outcome text not null,
      status integer,
      error text
    ) strict`.execute(db)
  await sql`create index alert_attempts_send on alert_attempts (send_id, number)`.execute(db)
  await sql`
    create table alert_digest_settings (
      tenant_id text primary key references tenants(id),
      frequency text not null,
      emails text not null,
      updated_at integer not null
    ) strict`.execute(db)
  await sql`
    create table alert_digests (
      tenant_id text not null,
      period text not null,
      sent_at integer not null,
      primary key (tenant_id, period)
    ) strict`.execute(db)
}
