/** The `Store` contract: everything Leadrelay keeps. One implementation per dialect, one contract suite for all. */

import type { ApiKeyScope } from '../core/api-key-scopes.ts'
import type { Customer } from '../core/customer.ts'
import type { AttemptKind, AttemptRecord, Delivery } from '../core/delivery.ts'
import type { DeliveryState, DeliveryTransition, DestinationHealth, DestinationState } from '../core/delivery-state.ts'
import type { Stage } from '../core/funnel.ts'
import type { FunnelCounts, FunnelTimeCounts, TimeBuckets } from '../core/funnel-report.ts'
import type { Lead, LeadEvent, LeadEventDraft, LeadHistory } from '../core/lead.ts'
import type { AlertStore } from './alert-queries.ts'
import type { DeliveryListQueries } from './delivery-list-queries.ts'
import type { PeopleStore } from './people-queries.ts'
import type { PrivacyStore } from './privacy-queries.ts'
import type { RetentionStore } from './retention-queries.ts'
import type { RoutingStore } from './routing-queries.ts'
import type { SaasRelayStore } from './saas-relay-queries.ts'
import type { SubscriptionStore } from './subscription-queries.ts'

/**
 * How a dialect differs, decided here and nowhere else: each dialect's index.ts fills these in, and queries read the
 * flags, never the dialect's name. (Differences that are code, such as claiming or LISTEN/NOTIFY, are functions the
 * dialect hands to `createKyselyStore`.)
 */
export interface StoreCapabilities {
  /**
   * `select … for update` locks rows against writers on other connections (PostgreSQL). Without it (SQLite) a write
   * transaction is the only writer, so reads inside it need no locks.
   */
  readonly rowLocks: boolean
  /**
   * The planner keeps statistics and picks the index of a selective filter over the sort's index by itself
   * (PostgreSQL). Without (SQLite), the leads list keeps it off the sort's index when the filter is an email or a
   * search (lead-list-queries.ts).
   */
  readonly plannerStatistics: boolean
  /** The collation text prefixes compare in, to match the prefix indexes ("C" on PostgreSQL); none: byte order. */
  readonly prefixCollation?: 'C'
  /**
   * Erasure can make the database overwrite what it frees and drop the log that still holds the old pages (SQLite's
   * `secure_delete` and a truncating checkpoint); PostgreSQL's vacuum does it later (docs/privacy.md).
   */
  readonly secureDelete: boolean
  /**
   * Ingest batches worth handing to `recordLeadEvents` before the previous one is answered: 1 where each batch waits
   * for its own commit, more where the store queues batches and overlaps their fsyncs (the SQLite ingest thread).
   */
  readonly ingestBatchesInFlight: number
}

export interface Tenant {
  readonly id: string
  readonly name: string
  readonly createdAt: number
}

export type ApiKeyRole = 'tenant' | 'admin'

export interface ApiKeyOwner {
  readonly keyId: string
  readonly role: ApiKeyRole
  /** What the key may do; an operator's admin key (no tenant) holds `admin`. */
  readonly scopes: readonly ApiKeyScope[]
  /** Undefined for an operator's admin key. */
  readonly tenant?: Tenant
  /** When a rotated key's overlap ends; a cache must not keep the key past it. */
  readonly revokesAt?: number
}

export interface NewTenant {
  readonly id: string
  readonly name: string
  readonly ingestTokenHash: string
  /** Id of the first ingest token; derived from the tenant id when absent. */
  readonly ingestTokenId?: string
  /** The first API key; it holds every scope (`admin`). */
  readonly apiKey: { readonly id: string; readonly hash: string; readonly label: string; readonly hint?: string }
  readonly createdAt: number
}

export interface Offer {
  readonly id: string
  readonly title?: string
  /** Display names that leads may carry instead of the id. */
  readonly aliases: readonly string[]
  /** `live` once a publish verified every routed destination; back to `draft` when routing changes. */
  readonly status: 'draft' | 'live'
  readonly publishedAt?: number
  readonly createdAt: number
  readonly updatedAt: number
}

export interface OfferInput {
  readonly id: string
  readonly title?: string
  readonly aliases: readonly string[]
}

/** One event to record, with its ids chosen by the caller. */
export interface IngestItem {
  readonly tenantId: string
  readonly eventId: string
  /** Used only if the event starts a new lead. */
  readonly newLeadId: string
  /** Makes one delivery id per routed destination. */
  readonly newDeliveryId: () => string
  readonly draft: LeadEventDraft
  readonly idempotencyKey?: string
  readonly contentHash: string
  /** Identical payloads received within this many ms of each other are one event. */
  readonly dedupeWindowMs: number
  /** The ingest span's W3C `traceparent`, kept with the deliveries the event queues (traces on). */
  readonly traceParent?: string
}

/** What an ingest answers; stored with the event so a repeated send gets the very same answer. */
export interface IngestReceipt {
  readonly eventId: string
  readonly leadId: string
  /** The resolved offer, or undefined when Leadrelay does not know it yet (the lead is unrouted). */
  readonly offerId?: string
  readonly routed: boolean
  readonly stage: Stage
  readonly leadStage: Stage
  readonly isTest: boolean
  readonly newLead: boolean
  /** Deliveries queued for this change, one per routed destination. */
  readonly deliveries: number
  readonly warnings: readonly string[]
}

export type IngestOutcome =
  | { readonly status: 'recorded'; readonly receipt: IngestReceipt }
  | { readonly status: 'duplicate'; readonly receipt: IngestReceipt }
  | { readonly status: 'conflict'; readonly reason: 'idempotency_key_reused' }
  /** This item alone could not be written; the others in its batch were. */
  | { readonly status: 'failed'; readonly error: unknown }

export interface LeadFilter {
  /** An offer id, or the name leads of an offer not configured yet carry. */
  readonly offerId?: string
  readonly stage?: Stage
  /** The source as stored (`AzureMarketplace`, `AppSource`…), exactly. */
  readonly source?: string
  readonly doNotContact?: boolean
  /** The customer's email, exactly, case-insensitively. */
  readonly email?: string
  /** The customer's email domain (`contoso.com`), exactly, case-insensitively. */
  readonly emailDomain?: string
  /**
   * Free text: a lead matches when the text, trimmed, whitespace collapsed and lower-cased, is a prefix of its full
   * name, last name, company, email or email domain (core/lead-search.ts).
   */
  readonly search?: string
  /** `lastEventAt` at or after (epoch ms). */
  readonly since?: number
  /** `lastEventAt` before (epoch ms). */
  readonly until?: number
  readonly isTest?: boolean
  readonly routed?: boolean
}

/** What the leads list can be ordered by; ties are broken by lead id in the same direction. */
export const leadSortFields = ['lastActivity', 'createdAt', 'name', 'company'] as const
export type LeadSortField = (typeof leadSortFields)[number]

export interface LeadSort {
  readonly by: LeadSortField
  readonly direction: 'asc' | 'desc'
}

/** The default order of the leads list: most recent activity first. */
export const defaultLeadSort: LeadSort = { by: 'lastActivity', direction: 'desc' }

/** Leads matching a filter, counted up to a cap: `capped` when there are more than `count`. */
export interface LeadCount {
  readonly count: number
  readonly capped: boolean
}

export interface Page<T> {
  readonly items: readonly T[]
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly nextCursor?: string
}

/** How a bulk import treats the indexes only reads use: `during` keeps them up row by row, `after` builds them at the end. */
export const bulkImportIndexModes = ['auto', 'during', 'after'] as const
export type BulkImportIndexMode = (typeof bulkImportIndexModes)[number]

export interface BulkImportPlan {
  /** Rows the import expects to write; `auto` defers the indexes when they are many beside the store's leads. */
  readonly expectedRows: number
  /** Default `auto`. */
  readonly indexes?: BulkImportIndexMode
  /** Called with (0, total) once indexes are set aside, then as each is built again. */
  readonly onIndexProgress?: (built: number, total: number) => void
}

export interface MigrationReport {
  readonly applied: readonly string[]
  readonly current: number
}

/** Also `putOffer` and `changeRouting` (offers, routes and the leads that arrived before them): `RoutingStore`. */
export interface Store
  extends DeliveryStore,
    DeliveryListQueries,
    KeyStore,
    RoutingStore,
    AlertStore,
    PeopleStore,
    PrivacyStore,
    RetentionStore,
    SubscriptionStore,
    SaasRelayStore {
  readonly capabilities: StoreCapabilities
  /** Applies pending migrations; safe to call on every start. */
  migrate(): Promise<MigrationReport>
  /** Migrations this version has that the store has not applied yet (`leadrelay doctor`); changes nothing. */
  pendingMigrations(): Promise<readonly string[]>
  close(): Promise<void>
  /** A cheap round trip, for readiness checks. */
  ping(): Promise<void>

  createTenant(tenant: NewTenant): Promise<Tenant>
  countTenants(): Promise<number>
  listTenants(): Promise<readonly Tenant[]>

  getOffer(tenantId: string, offerId: string): Promise<Offer | undefined>
  listOffers(tenantId: string): Promise<readonly Offer[]>

  /**
   * Records events in one durable transaction (group commit) and answers per item, in order. An item whose
   * idempotency key or content hash matches an earlier event gets that event's receipt back and writes nothing.
   */
  recordLeadEvents(items: readonly IngestItem[], now: number): Promise<readonly IngestOutcome[]>

  /**
   * Runs the writes of a bulk import (`work`, which records through `recordLeadEvents`). Where the dialect gains from
   * it (SQLite) and the plan asks for it, the indexes no ingest statement reads are dropped first and built once when
   * `work` ends, however it ends; after a harder end (kill -9) the next `migrate` builds them. Meanwhile every read
   * stays correct, and lists and searches that used those indexes are slower. Elsewhere it just runs `work`.
   */
  runBulkImport<T>(plan: BulkImportPlan, work: () => Promise<T>): Promise<T>

  /**
   * A page of leads in `page.sort` order (default: last activity, newest first). The cursor is a keyset position
   * (sort value and id) valid only for the sort it came from, so a page never repeats or skips a lead that did not
   * change meanwhile.
   */
  listLeads(
    tenantId: string,
    filter: LeadFilter,
    page: { limit: number; cursor?: string; sort?: LeadSort },
  ): Promise<Page<Lead>>
  /** How many leads match, counting at most `cap` + 1 index entries. */
  countLeads(tenantId: string, filter: LeadFilter, cap: number): Promise<LeadCount>
  getLead(tenantId: string, leadId: string): Promise<Lead | undefined>
  listLeadEvents(tenantId: string, leadId: string): Promise<readonly LeadEvent[]>
  /**
   * Several leads with their events and offer titles in a few queries, for the delivery worker; keyed by lead id.
   * A lead that does not exist under the given tenant is absent from the answer.
   */
  loadLeadHistories(
    leads: readonly { readonly tenantId: string; readonly leadId: string }[],
  ): Promise<ReadonlyMap<string, LeadHistory>>
  /** The funnel of [since, until) from the write-time counters, test leads excluded (docs/funnel.md). */
  funnelCounts(tenantId: string, filter: { offerId?: string; since?: number; until?: number }): Promise<FunnelCounts>
  /** Per bucket of time, leads whose first event and first event of each stage fell in it (docs/funnel.md). */
  funnelOverTime(
    tenantId: string,
    filter: { offerId?: string; since?: number; until?: number },
    buckets: TimeBuckets,
  ): Promise<FunnelTimeCounts>
  countLeadEvents(tenantId: string): Promise<number>
}

/** A configured destination as stored; secrets stay sealed here and are opened only by the delivery worker. */
export interface DestinationRecord {
  readonly id: string
  readonly tenantId: string
  readonly kind: string
  readonly name: string
  readonly config: unknown
  readonly sealedSecrets?: string
  readonly state: DestinationState
  readonly stateReason?: string
  readonly stateChangedAt: number
  readonly failingSince?: number
  /** Start of the current run of rate limits without a success. */
  readonly throttledSince?: number
  /** What contacts were told about the current run without a success. */
  readonly alerted?: 'failing' | 'throttled'
  /** The destination asked for no request before this time (a rate limit): nothing is claimed for it until then. */
  readonly heldUntil?: number
  readonly maxConcurrency: number
  readonly ratePerSecond?: number
  readonly createdAt: number
  readonly updatedAt: number
}

/** A destination as created: its settings and limits; its state and times are the store's. */
export type NewDestination = Pick<
  DestinationRecord,
  'id' | 'tenantId' | 'kind' | 'name' | 'config' | 'sealedSecrets' | 'maxConcurrency' | 'ratePerSecond'
>

export interface DestinationPatch {
  readonly name?: string
  readonly config?: unknown
  readonly sealedSecrets?: string
  readonly maxConcurrency?: number
  readonly ratePerSecond?: number | null
}

/** Routes name destinations per offer (`offer:<id>`) or as the tenant's default (`default`). */
export type RouteScope = `offer:${string}` | 'default'

export interface TenantContacts {
  readonly emails: readonly string[]
  readonly webhookUrl?: string
}

/** An attempt in a destination's delivery log. */
export interface DestinationAttempt extends AttemptRecord {
  readonly leadId: string
  /** Who the lead is, so a log page needs no call per lead. */
  readonly customer: Pick<Customer, 'firstName' | 'lastName' | 'email' | 'company'>
}

export interface ClaimRequest {
  readonly workerId: string
  readonly now: number
  /** The lease; longer than any attempt's timeout, so a live worker never loses a delivery it is sending. */
  readonly leaseMs: number
  readonly limit: number
  /** How many more deliveries of this destination the worker can take now (concurrency, rate, breaker). */
  readonly slotsFor: (destinationId: string) => number
  /**
   * Destinations known to have no free slot: their deliveries are not even read, so a slow destination's backlog at
   * the head of the queue cannot hide the deliveries of others behind it.
   */
  readonly skipDestinations?: readonly string[]
}

export interface AttemptCompletion {
  readonly deliveryId: string
  readonly workerId: string
  /**
   * The attempt to record. Its `number` is assigned by the store (one more than the attempts recorded for the delivery
   * so far), so numbers never repeat; `kind` defaults to `scheduled`.
   */
  readonly attempt: Omit<AttemptRecord, 'number' | 'kind'> & { readonly number?: number; readonly kind?: AttemptKind }
  readonly transition: DeliveryTransition
  /** The destination's new health, when it changed. */
  readonly health?: DestinationHealth
  /** The destination asked for no request before this time; a later hold already recorded stays. */
  readonly holdDestinationUntil?: number
  /** The record's id at the destination, when a delivered attempt told it: an erasure later deletes by it. */
  readonly externalId?: string
  readonly now: number
}

export interface DeliveryQueueStatistics {
  readonly queued: number
  readonly inFlight: number
  /** `run_at` of the queued delivery that has been due longest; absent when none is due. */
  readonly oldestDueAt?: number
}

export interface DeliveryFilter {
  readonly state?: DeliveryState
  readonly destinationId?: string
  readonly leadId?: string
  /** The last error, exactly (a group of the Deliveries page). */
  readonly reason?: string
  /** `updatedAt` at or after. */
  readonly since?: number
  readonly until?: number
}

export type ReplaySelector = { readonly ids: readonly string[] } | { readonly filter: DeliveryFilter }

export interface AuditEntry {
  readonly id: string
  readonly tenantId: string
  /** Who: `key:<api key id>`, `cli:<user>`, `system`. */
  readonly actor: string
  readonly action: string
  readonly target?: string
  readonly detail?: Record<string, unknown>
  readonly at: number
}

/** An audit entry as listed: with the target's name (destination name, offer title, key label) when it has one. */
export interface ListedAuditEntry extends AuditEntry {
  readonly targetName?: string
}

export interface DeliveryStore {
  createDestination(destination: NewDestination, now: number): Promise<DestinationRecord>
  updateDestination(
    tenantId: string,
    id: string,
    patch: DestinationPatch,
    now: number,
  ): Promise<DestinationRecord | undefined>
  getDestination(tenantId: string, id: string): Promise<DestinationRecord | undefined>
  /** For the worker, which serves every tenant. */
  getDestinationById(id: string): Promise<DestinationRecord | undefined>
  listDestinations(tenantId: string): Promise<readonly DestinationRecord[]>
  /** Every destination with sealed secrets, for key rotation. */
  listAllDestinations(): Promise<readonly DestinationRecord[]>
  /** The delivery queue at `now`, for metrics: one grouped query, read on each scrape. */
  deliveryQueueStatistics(now: number): Promise<DeliveryQueueStatistics>
  /** Removes it from routes; its pending deliveries end `dead`. False when there is no such destination. */
  deleteDestination(tenantId: string, id: string, now: number): Promise<boolean>
  setDestinationHealth(id: string, health: DestinationHealth, now: number): Promise<void>

  setRoutes(tenantId: string, scope: RouteScope, destinationIds: readonly string[]): Promise<void>
  getRoutes(tenantId: string, scope: RouteScope): Promise<readonly string[]>
  setOfferStatus(tenantId: string, offerId: string, status: 'draft' | 'live', now: number): Promise<void>
  setTenantContacts(tenantId: string, contacts: TenantContacts): Promise<void>
  getTenantContacts(tenantId: string): Promise<TenantContacts>
  getTenant(tenantId: string): Promise<Tenant | undefined>

  /**
   * Leases due deliveries of active destinations that no rate limit holds, at most one in flight per (destination,
   * lead), newest state first.
   */
  claimDeliveries(request: ClaimRequest): Promise<readonly Delivery[]>
  /** Records the attempt and applies the transition; false if the lease was lost (the attempt is still recorded). */
  completeAttempt(completion: AttemptCompletion): Promise<boolean>
  /** Several completions in one transaction; one answer per completion, in order. */
  completeAttempts(completions: readonly AttemptCompletion[]): Promise<readonly boolean[]>
  /**
   * Hands claimed deliveries back to the queue without an attempt, due at `runAt` (their destination is held by a
   * rate limit). Only leases `workerId` still holds are released.
   */
  releaseDeliveries(deliveryIds: readonly string[], workerId: string, runAt: number, now: number): Promise<void>
  /** Ends a claimed delivery without an attempt because a newer state of its lead has its own delivery. */
  markSuperseded(deliveryId: string, workerId: string, now: number): Promise<void>
  /** Puts deliveries whose lease expired (a crashed worker) back in the queue. */
  releaseExpiredLeases(now: number): Promise<number>
  /**
   * The heartbeat: renews every lease `workerId` holds to `now + leaseMs`, so a live worker's deliveries never return
   * to the queue while it still works on them. Answers how many leases it renewed.
   */
  extendLeases(workerId: string, now: number, leaseMs: number): Promise<number>
  /** Earliest `runAt` of a queued delivery of an active destination, to sleep until. */
  nextDueAt(): Promise<number | undefined>
  getDelivery(tenantId: string, id: string): Promise<Delivery | undefined>
  listDeliveries(
    tenantId: string,
    filter: DeliveryFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<Delivery>>
  listAttempts(tenantId: string, deliveryIds: readonly string[]): Promise<readonly AttemptRecord[]>
  /** A destination's attempts, newest first, each with its lead: the destination's delivery log. */
  listDestinationAttempts(
    tenantId: string,
    destinationId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<DestinationAttempt>>
  /** How many of a destination's attempts since `since` there were, and how many delivered. */
  destinationAttemptStats(
    tenantId: string,
    destinationId: string,
    since: number,
  ): Promise<{ attempts: number; delivered: number }>
  /** Queues the selected final deliveries again with a fresh schedule; ones already queued or in flight are skipped. */
  replayDeliveries(
    tenantId: string,
    selector: ReplaySelector,
    now: number,
  ): Promise<{ replayed: readonly string[]; skipped: number }>
  appendAudit(entry: AuditEntry): Promise<void>
  /** Calls `onWork` when another process queues deliveries (where the dialect can); resolves to an unsubscribe. */
  listenForWork?(onWork: () => void): Promise<() => Promise<void>>
  /** Newest first, each with the current name of its target, looked up in the same query. */
  listAudit(tenantId: string, limit: number): Promise<readonly ListedAuditEntry[]>
}

/** A named API key as listed: never its secret or hash. */
export interface ApiKeyRecord {
  readonly id: string
  readonly tenantId: string
  readonly name: string
  readonly scopes: readonly ApiKeyScope[]
  /** The first characters of the secret, to tell keys apart; absent for keys made before hints. */
  readonly hint?: string
  readonly createdAt: number
  /** When the key stops working: set while a rotated key's overlap lasts, and at revocation. */
  readonly revokesAt?: number
}

export interface NewApiKey {
  readonly id: string
  readonly tenantId: string
  readonly name: string
  readonly scopes: readonly ApiKeyScope[]
  readonly hash: string
  readonly hint: string
  readonly createdAt: number
}

/** A key's replacement in a rotation: same tenant, name and scopes, a new id and secret. */
export interface ApiKeyReplacement {
  readonly id: string
  readonly hash: string
  readonly hint: string
  readonly createdAt: number
}

/** A Microsoft ingest token as listed: never its secret or hash. */
export interface IngestTokenRecord {
  readonly id: string
  readonly tenantId: string
  readonly hint?: string
  readonly createdAt: number
  /** Absent for the current token; set on a previous token while its overlap lasts. */
  readonly revokesAt?: number
}

export interface NewIngestToken {
  readonly id: string
  readonly tenantId: string
  readonly hash: string
  readonly hint: string
  readonly createdAt: number
}

export interface IngestTokenOwner {
  readonly tokenId: string
  readonly tenant: Tenant
  /** When a previous token's overlap ends; a cache must not keep the token past it. */
  readonly revokesAt?: number
}

/**
 * API keys and ingest tokens. A credential works while it has no revocation time or one after `now`. Every revocation
 * and rotation raises the credential epoch in the same transaction, so processes that cache credentials can notice.
 */
export interface KeyStore {
  /** The key with this hash if it works at `now`, with its tenant (none for an operator's admin key) and scopes. */
  findApiKey(keyHash: string, now: number): Promise<ApiKeyOwner | undefined>
  /** The tenant whose ingest token has this hash, if the token works at `now`. */
  findIngestToken(tokenHash: string, now: number): Promise<IngestTokenOwner | undefined>
  /** Raised by every revocation and rotation of a key or ingest token, in any tenant. */
  credentialEpoch(): Promise<number>

  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>
  /** The tenant's keys that work at `now`, oldest first; rotated keys still in their overlap included. */
  listApiKeys(tenantId: string, now: number): Promise<readonly ApiKeyRecord[]>
  /**
   * Adds `replacement` with the name and scopes of key `id` and makes `id` stop working at `previousRevokesAt` (or
   * earlier, if it already would). Undefined, and nothing changed, when `id` is no working key of the tenant.
   */
  rotateApiKey(
    tenantId: string,
    id: string,
    replacement: ApiKeyReplacement,
    previousRevokesAt: number,
  ): Promise<{ readonly previous: ApiKeyRecord; readonly current: ApiKeyRecord } | undefined>
  /** Key `id` stops working at `now`. Undefined when it is no working key of the tenant. */
  revokeApiKey(tenantId: string, id: string, now: number): Promise<ApiKeyRecord | undefined>

  /** The tenant's ingest tokens that work at `now`, newest first: the current one, then those in their overlap. */
  listIngestTokens(tenantId: string, now: number): Promise<readonly IngestTokenRecord[]>
  /**
   * Makes `token` the tenant's current ingest token; every token that works now stops at `previousRevokesAt` (or
   * earlier, if it already would). Answers the tokens as they are afterwards, like `listIngestTokens`.
   */
  rotateIngestToken(token: NewIngestToken, previousRevokesAt: number): Promise<readonly IngestTokenRecord[]>
  /** Token `id` stops working at `now`. Undefined when it is no working token of the tenant. */
  revokeIngestToken(tenantId: string, id: string, now: number): Promise<IngestTokenRecord | undefined>
}
