/** The tables as Kysely sees them. Columns are snake_case here and camelCase everywhere outside `src/store`. */

import type { Generated } from 'kysely'

/** Times are epoch milliseconds and flags 0/1 integers in every dialect, so queries are shared. */
export interface Database {
  schema_migrations: { version: number; name: string; applied_at: number }
  tenants: {
    id: string
    name: string
    ingest_token_hash: string
    created_at: number
    notify_emails: Generated<string>
    notify_webhook_url: string | null
    /** The Entra tenant whose people join this tenant by signing in; null for none. */
    entra_tenant_id: Generated<string | null>
    /** The role such a person gets. */
    sign_in_role: Generated<string | null>
  }
  api_keys: {
    id: string
    tenant_id: string | null
    key_hash: string
    role: string
    label: string
    created_at: number
    /** When the key stops working; in the future while a rotated key's overlap lasts. */
    revoked_at: number | null
    /** Comma-separated `ingest`, `read`, `admin`. */
    scopes: Generated<string>
    /** The first characters of the secret, to tell keys apart; null for keys made before hints. */
    hint: string | null
  }
  ingest_tokens: {
    id: string
    tenant_id: string
    token_hash: string
    hint: string | null
    created_at: number
    /** When the token stops working; in the future while a rotated token's overlap lasts. */
    revoked_at: number | null
  }
  /** One row; raised by every revocation and rotation so other processes drop cached credentials. */
  credential_epoch: { id: number; version: number }
  offers: {
    tenant_id: string
    id: string
    title: string | null
    aliases: string
    created_at: number
    updated_at: number
    status: Generated<string>
    published_at: number | null
  }
  offer_aliases: { tenant_id: string; alias: string; offer_id: string }
  leads: {
    id: string
    tenant_id: string
    offer_key: string
    offer_id: string | null
    merge_key: string | null
    stage: string
    do_not_contact: number
    do_not_contact_at: number | null
    customer_acted_at: number | null
    is_test: number
    first_name: string | null
    last_name: string | null
    email: string | null
    phone: string | null
    phone_digits: string | null
    country: string | null
    company: string | null
    title: string | null
    source: string | null
    action: string | null
    event_count: number
    first_event_at: number
    last_event_at: number
    created_at: number
    updated_at: number
    version: number
  }
  lead_events: {
    seq: Generated<number>
    id: string
    tenant_id: string
    lead_id: string
    format: string
    received_at: number
    occurred_at: number
    lead_source: string | null
    source: string | null
    action: string | null
    stage: string
    offer_ref: string | null
    offer_title: string | null
    description: string | null
    customer: string
    invalid: string | null
    extra: string | null
    is_test: number
    idempotency_key: string | null
    content_hash: string
    result: string
  }
  destinations: {
    id: string
    tenant_id: string
    kind: string
    name: string
    config: string
    secrets: string | null
    state: string
    state_reason: string | null
    state_changed_at: number
    failing_since: number | null
    max_concurrency: number
    rate_per_second: number | null
    created_at: number
    updated_at: number
    deleted_at: number | null
    held_until: number | null
    throttled_since: number | null
    alerted: string | null
  }
  routes: { tenant_id: string; scope: string; destination_id: string }
  deliveries: {
    id: string
    tenant_id: string
    lead_id: string
    destination_id: string
    lead_version: number
    state: string
    attempts: number
    run_at: number
    retry_from: number
    locked_by: string | null
    locked_until: number | null
    last_error: string | null
    last_error_kind: string | null
    last_status: number | null
    external_id: string | null
    created_at: number
    updated_at: number
    delivered_at: number | null
    attempt_count: Generated<number>
    replay_pending: Generated<number>
  }
  delivery_attempts: {
    id: string
    delivery_id: string
    tenant_id: string
    destination_id: string
    number: number
    lead_version: number
    started_at: number
    duration_ms: number
    outcome: string
    status: number | null
    vendor_code: string | null
    error: string | null
    kind: Generated<string>
  }
  audit_log: {
    id: string
    tenant_id: string
    actor: string
    action: string
    target: string | null
    detail: string | null
    at: number
  }
  /** People who sign in (docs/decisions/0008-sign-in-for-people.md); tenants also gain entra_tenant_id, sign_in_role. */
  people: {
    id: string
    issuer: string
    subject: string
    email: string | null
    name: string
    operator: Generated<number>
    created_at: number
  }
  memberships: { tenant_id: string; person_id: string; role: string; created_at: number }
  invitations: {
    id: string
    tenant_id: string
    token_hash: string
    email: string
    role: string
    invited_by: string
    created_at: number
    expires_at: number
    accepted_at: number | null
    accepted_by: string | null
  }
  sessions: {
    id_hash: string
    person_id: string
    tenant_id: string
    created_at: number
    last_seen_at: number
    revoked_at: number | null
  }
}
