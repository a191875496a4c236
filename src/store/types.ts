/** The `Store` contract: everything Leadrelay keeps. One implementation per dialect, one contract suite for all. */

import type { Customer } from '../core/customer.ts'
import type { Stage } from '../core/funnel.ts'
import type { LeadEventDraft } from '../core/lead.ts'

/** What a dialect can do; callers branch on these, never on the dialect's name. */
export interface StoreCapabilities {
  readonly dialect: 'sqlite' | 'postgres'
  /** Several worker processes may claim deliveries at once. */
  readonly concurrentWorkers: boolean
  /** The store can wake idle workers when work arrives. */
  readonly listenNotify: boolean
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
  /** Undefined for an operator's admin key. */
  readonly tenant?: Tenant
}

export interface NewTenant {
  readonly id: string
  readonly name: string
  readonly ingestTokenHash: string
  readonly apiKey: { readonly id: string; readonly hash: string; readonly label: string }
  readonly createdAt: number
}

export interface Offer {
  readonly id: string
  readonly title?: string
  /** Display names that leads may carry instead of the id. */
  readonly aliases: readonly string[]
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
  readonly draft: LeadEventDraft
  readonly idempotencyKey?: string
  readonly contentHash: string
  /** Identical payloads received within this many ms of each other are one event. */
  readonly dedupeWindowMs: number
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
  readonly warnings: readonly string[]
}

export type IngestOutcome =
  | { readonly status: 'recorded'; readonly receipt: IngestReceipt }
  | { readonly status: 'duplicate'; readonly receipt: IngestReceipt }
  | { readonly status: 'conflict'; readonly reason: 'idempotency_key_reused' }
  /** This item alone could not be written; the others in its batch were. */
  | { readonly status: 'failed'; readonly error: unknown }

export interface Lead {
  readonly id: string
  readonly tenantId: string
  readonly offerId?: string
  /** The offer as leads name it; equals `offerId` once the offer is known. */
  readonly offerKey: string
  readonly stage: Stage
  readonly doNotContact: boolean
  readonly isTest: boolean
  readonly customer: Customer
  readonly source?: string
  readonly action?: string
  readonly eventCount: number
  readonly firstEventAt: number
  readonly lastEventAt: number
  readonly createdAt: number
  readonly updatedAt: number
  /** Increases with every change; a delivery carries the version it delivers. */
  readonly version: number
}

export interface LeadEvent {
  readonly id: string
  readonly leadId: string
  readonly format: string
  readonly receivedAt: number
  readonly occurredAt: number
  readonly leadSource?: string
  readonly source?: string
  readonly action?: string
  readonly stage: Stage
  readonly offerRef?: string
  readonly offerTitle?: string
  readonly description?: string
  readonly customer: Customer
  readonly invalid?: Record<string, string>
  readonly extra?: Record<string, unknown>
  readonly isTest: boolean
}

export interface LeadFilter {
  readonly offerId?: string
  readonly stage?: Stage
  readonly email?: string
  /** `lastEventAt` at or after (epoch ms). */
  readonly since?: number
  /** `lastEventAt` before (epoch ms). */
  readonly until?: number
  readonly isTest?: boolean
  readonly routed?: boolean
}

export interface Page<T> {
  readonly items: readonly T[]
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly nextCursor?: string
}

export interface MigrationReport {
  readonly applied: readonly string[]
  readonly current: number
}

export interface Store {
  readonly capabilities: StoreCapabilities
  /** Applies pending migrations; safe to call on every start. */
  migrate(): Promise<MigrationReport>
  close(): Promise<void>
  /** A cheap round trip, for readiness checks. */
  ping(): Promise<void>

  createTenant(tenant: NewTenant): Promise<Tenant>
  countTenants(): Promise<number>
  listTenants(): Promise<readonly Tenant[]>
  findApiKey(keyHash: string): Promise<ApiKeyOwner | undefined>
  findTenantByIngestToken(tokenHash: string): Promise<Tenant | undefined>

  /** Creates or replaces an offer; links leads that were waiting for it under one of its names. */
  putOffer(tenantId: string, offer: OfferInput, now: number): Promise<Offer>
  getOffer(tenantId: string, offerId: string): Promise<Offer | undefined>
  listOffers(tenantId: string): Promise<readonly Offer[]>

  /**
   * Records events in one durable transaction (group commit) and answers per item, in order. An item whose
   * idempotency key or content hash matches an earlier event gets that event's receipt back and writes nothing.
   */
  recordLeadEvents(items: readonly IngestItem[], now: number): Promise<readonly IngestOutcome[]>

  listLeads(tenantId: string, filter: LeadFilter, page: { limit: number; cursor?: string }): Promise<Page<Lead>>
  getLead(tenantId: string, leadId: string): Promise<Lead | undefined>
  listLeadEvents(tenantId: string, leadId: string): Promise<readonly LeadEvent[]>
  countLeadEvents(tenantId: string): Promise<number>
}
