/** The tables as Kysely sees them. Columns are snake_case here and camelCase everywhere outside `src/store`. */

import type { Generated } from 'kysely'
import type { Stage } from '../core/funnel.ts'

/**
 * Per stage, when the lead first had an event of it and that event's source (core/lead.ts `reached`): what the funnel
 * counters count. Optional here (null by default) so rows built by hand need not name all sixteen.
 */
export type StageReachedColumns = { [S in Stage as `reached_${S}_at`]?: number | null } & {
  [S in Stage as `reached_${S}_source`]?: string | null
}

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
    /** When the newest subscription status (customer, suspended, churned) happened; decision 0010. */
    subscription_stage_at: number | null
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
    /** Normalised keys for search and sorting (core/lead-search.ts), kept by every write of the customer columns. */
    name_key: string
    last_name_key: string
    company_key: string
    email_domain: string
    /**
     * Set when the customer's personal data was erased: the row stays as a tombstone without it. Optional here (the
     * column has a default) so the ingest paths that build whole rows need not name it.
     */
    erased_at?: number | null
    /** 1 when the lead's email had been erased before this lead arrived. */
    previously_erased?: number
  } & StageReachedColumns
  /**
   * The funnel, kept by every path that writes leads in the same transaction as the lead change (docs/funnel.md):
   * per tenant, offer, UTC day, measure, stage and source, how many non-test leads count there. Measures: `reached`
   * (leads that first reached the stage that day, by that event's source), `new` (leads whose first event was that
   * day, by their stage now), `trialed` (leads whose first trial was that day, by their stage now).
   */
  funnel_counts: {
    tenant_id: string
    offer_key: string
    measure: string
    day: number
    stage: string
    /** '' when the event had no source. */
    source: string
    leads: number
  }
  /** `funnel_counts` summed over offers, kept by triggers on it (SQLite 0019, PostgreSQL 0020): the all-offers report. */
  funnel_all_offers: {
    tenant_id: string
    measure: string
    day: number
    stage: string
    source: string
    leads: number
  }
  /**
   * `funnel_counts` summed over the days of each UTC month (`month`: its first day's midnight), kept by triggers on it
   * (SQLite 0020, PostgreSQL 0021): the whole months of one offer's report.
   */
  funnel_offer_months: {
    tenant_id: string
    measure: string
    offer_key: string
    month: number
    stage: string
    source: string
    leads: number
  }
  /**
   * Per tenant, offer and UTC day, kept by triggers on `funnel_counts` (SQLite 0020, PostgreSQL 0021): leads whose
   * first event was that day (the `new` counters summed over stages) and leads that first reached each stage that day
   * (the `reached` counters summed over sources), one offer's chart over time.
   */
  funnel_offer_days: {
    tenant_id: string
    offer_key: string
    day: number
    first_events: number
  } & Record<`reached_${Stage}`, number>
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
    /** `deliver` (upsert the lead) or `erase` (ask the destination to delete its record). */
    operation: Generated<string>
    /** The W3C `traceparent` of the ingest that queued the delivery; null when traces were off. */
    trace_parent: Generated<string | null>
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
    /** JSON of an ExchangeRequest (core/attempt-exchange.ts); null before 0011/0012, and once erased. */
    request: string | null
    /** JSON of an ExchangeResponse. */
    response: string | null
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
  /** Alerts (docs/decisions/0007-alerts.md): rules, channels, fired alerts (once per rule, lead and stage), sends. */
  alert_channels: {
    id: string
    tenant_id: string
    kind: string
    name: string
    config: string
    secrets: string | null
    created_at: number
    updated_at: number
    deleted_at: number | null
  }
  alert_rules: {
    id: string
    tenant_id: string
    name: string
    enabled: number
    /** JSON of core/alert-rules.ts `AlertCriteria`. */
    criteria: string
    /** JSON array of channel ids. */
    channel_ids: string
    created_at: number
    updated_at: number
    deleted_at: number | null
  }
  alerts: {
    id: string
    tenant_id: string
    rule_id: string
    lead_id: string
    stage: string
    lead_version: number
    fired_at: number
  }
  alert_sends: {
    id: string
    alert_id: string
    tenant_id: string
    channel_id: string
    state: string
    attempts: number
    run_at: number
    locked_until: number | null
    last_error: string | null
    last_status: number | null
    sent_at: number | null
    created_at: number
    updated_at: number
  }
  alert_attempts: {
    id: string
    send_id: string
    tenant_id: string
    number: number
    started_at: number
    duration_ms: number
    outcome: string
    status: number | null
    error: string | null
  }
  alert_digest_settings: { tenant_id: string; frequency: string; emails: string; updated_at: number }
  alert_digests: { tenant_id: string; period: string; sent_at: number }
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
  /** Erasure (docs/privacy.md): tombstones by keyed hash of the email, and each tenant's hash key. */
  erasure_salts: { tenant_id: string; salt: string }
  erasures: { tenant_id: string; email_hash: string; erased_at: number; actor: string; leads: number }
  retention_settings: {
    tenant_id: string
    attempts_days: number
    lead_events_idle_months: number
    audit_months: number
    updated_at: number
  }
  memberships: { tenant_id: string; person_id: string; role: string; created_at: number }
  /** Marketplace subscriptions (docs/decisions/0010-marketplace-subscriptions.md). */
  subscription_sources: {
    tenant_id: string
    entra_tenant_id: string
    client_id: string
    sealed_secret: string
    enabled: number
    relay_token_hash: string | null
    relay_url: string | null
    /** Certificate credentials: the public certificate (PEM) and its private key, sealed. */
    certificate_pem: Generated<string | null>
    sealed_certificate_key: Generated<string | null>
    last_poll_at: number | null
    last_poll_error: string | null
    last_poll_count: number | null
    created_at: number
    updated_at: number
  }
  subscriptions: {
    tenant_id: string
    id: string
    lead_id: string
    email: string | null
    offer_ref: string
    name: string | null
    status: string
    plan_id: string | null
    quantity: number | null
    is_test: number
    is_free_trial: number
    term_start: string | null
    term_end: string | null
    term_unit: string | null
    created: string | null
    last_modified: string | null
    seen_at: number
  }
  saas_relay_calls: {
    id: string
    tenant_id: string
    body: string
    authorization_header: string
    content_type: string | null
    state: string
    attempts: number
    run_at: number
    locked_until: number | null
    last_error: string | null
    last_status: number | null
    relayed_at: number | null
    received_at: number
    /** The subscription the call is about ('' when it names none): calls of one subscription relay in order. */
    subscription_id: Generated<string>
    /** Microsoft's operation id (the body's `id`): a call sent again is stored once. */
    operation_id: string | null
    /** The order calls were received in, per tenant. */
    seq: number
  }
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
