/** The shapes the public API answers with, as the portal reads them (see /openapi.json and src/http/routes). */

import type { components } from './generated.ts'

type Schemas = components['schemas']

export const stages = [
  'unclassified',
  'do_not_contact',
  'trial',
  'initial_interest',
  'active',
  'customer',
  'suspended',
  'churned',
] as const
export type Stage = (typeof stages)[number]

/**
 * Steps a customer moves through, in funnel order: the marketplace's lead actions, then a SaaS subscription (customer)
 * and its cancellation (churned). A suspended subscription is no step: its lead stays counted as a customer.
 */
export const funnelSteps = ['trial', 'initial_interest', 'active', 'customer', 'churned'] as const
export type FunnelStep = (typeof funnelSteps)[number]

export const deliveryStates = ['queued', 'in_flight', 'delivered', 'dead', 'superseded'] as const
export type DeliveryState = (typeof deliveryStates)[number]

export type DestinationState = 'active' | 'paused' | 'disabled'

export interface Page<T> {
  readonly items: T[]
  readonly nextCursor?: string
}

export type Tenant = Schemas['Tenant']

/** A tenant as `GET /v1/tenants` lists it: an operator picks one of these. */
export type ListedTenant = Schemas['TenantListed']

/** viewer reads; editor also offers, replay, alert rules; admin also destinations, routes, keys, people; owner all. */
export type Role = 'viewer' | 'editor' | 'admin' | 'owner'
export const roles: readonly Role[] = ['viewer', 'editor', 'admin', 'owner']

export type Person = Schemas['Person']

export type CreatedInvitation = Schemas['CreatedInvitation']

/** What `/auth/config` says the sign-in page should offer. */
export type AuthConfig = Schemas['AuthConfig']

/** `ingest`: send leads; `read`: every GET; `admin`: everything, keys included. */
export type ApiKeyScope = 'ingest' | 'read' | 'admin'

export type ApiKey = Schemas['ApiKey']

/** A created or rotated key: the only answer that carries the secret. */
export type ApiKeyWithSecret = Schemas['ApiKeyWithSecret']

export type IngestToken = Schemas['IngestToken']

export type RotatedIngestToken = Schemas['RotatedIngestToken']

export type NotificationContacts = Schemas['NotificationContacts']

export type Customer = Schemas['Customer']

export interface Lead {
  readonly id: string
  readonly offerId: string | null
  readonly offerName: string | null
  /** The configured offer's title, when it has one. */
  readonly offerTitle?: string | null
  readonly routed: boolean
  readonly stage: Stage
  readonly doNotContact: boolean
  readonly isTest: boolean
  readonly customer: Customer
  readonly source: string | null
  readonly action: string | null
  readonly eventCount: number
  readonly firstEventAt: string
  readonly lastEventAt: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly version: number
}

export type Attempt = Schemas['Attempt']

export interface ExchangeRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | null
  readonly bodyTruncated: boolean
}

export interface ExchangeResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | null
  readonly bodyTruncated: boolean
}

export type Delivery = Schemas['Delivery']

export type LeadDetail = Schemas['LeadDetail']

export interface FunnelReport {
  readonly leads: number
  readonly stages: Record<Stage, number>
  readonly reached: Record<FunnelStep, number>
  readonly conversion: { from: string; to: string; rate: number | null }[]
  /** Customers with an event of each stage in the period, all sources together (the by-source total). */
  readonly withEvent?: Record<Stage, number>
  readonly bySource: { source: string; stages: Record<Stage, number> }[]
  readonly overTime?: FunnelOverTime
}

export const timeStages = ['trial', 'initial_interest', 'active', 'customer', 'churned', 'do_not_contact'] as const

/** Customers per day or week of the period: with any event, and with an event of each stage. */
export interface FunnelOverTime {
  readonly unit: 'day' | 'week'
  readonly buckets: {
    readonly start: string
    readonly leads: number
    readonly stages: Record<(typeof timeStages)[number], number>
  }[]
}

export interface Offer {
  readonly id: string
  readonly title: string | null
  readonly aliases: string[]
  readonly destinations: string[]
  readonly status: 'draft' | 'live'
  readonly publishedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface OfferInput {
  readonly title?: string
  readonly aliases: string[]
  readonly destinations?: string[]
  /** When the route gains destinations: send them the earlier leads (the default), or only new ones. */
  readonly earlierLeads?: EarlierLeadsChoice
}

export type EarlierLeadsChoice = 'deliver' | 'skip'

/** What saving an offer or the default route did (or, in a dry run, would do) for leads that arrived before. */
export type Backfill = Schemas['Backfill']

/** An offer as a save answers it. */
export type SavedOffer = Schemas['SavedOffer']

export type CheckResult = Schemas['CheckResult']

export type PublishResult = Schemas['PublishResult']

/** A JSON Schema as the API generates it from a connector's config schema (draft 2020-12, a useful subset). */
export interface JsonSchema {
  readonly type?: string | string[]
  readonly properties?: Record<string, JsonSchema>
  readonly required?: string[]
  readonly enum?: unknown[]
  readonly anyOf?: JsonSchema[]
  readonly oneOf?: JsonSchema[]
  readonly const?: unknown
  readonly propertyNames?: JsonSchema
  readonly $schema?: string
  readonly default?: unknown
  readonly description?: string
  readonly format?: string
  readonly pattern?: string
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly exclusiveMinimum?: number
  readonly exclusiveMaximum?: number
  readonly additionalProperties?: boolean | JsonSchema
  readonly items?: JsonSchema
  readonly title?: string
  /** Leadrelay's: shown only when other top-level settings have one of the listed values. */
  readonly 'x-when'?: Record<string, string[]>
  /** Leadrelay's: enum values in the vendor's words. */
  readonly 'x-enum-labels'?: Record<string, string>
}

export type SecretField = Schemas['SecretField']

export interface DestinationKind {
  readonly kind: string
  readonly displayName: string
  readonly configSchema: JsonSchema
  readonly secretFields: SecretField[]
  readonly supportsSecretRotation?: boolean
}

export interface Destination {
  readonly id: string
  readonly kind: string
  readonly name: string
  readonly config: Record<string, unknown>
  readonly hasSecrets: boolean
  readonly state: DestinationState
  readonly stateReason: string | null
  readonly failingSince: string | null
  /** Since when the vendor's rate limiter has been holding deliveries back. */
  readonly throttledSince?: string | null
  /** What the badge says; rate limiting shows as throttled only once it has lasted. */
  readonly health?: 'healthy' | 'throttled' | 'failing' | 'paused' | 'disabled'
  readonly limits: { maxConcurrency: number; ratePerSecond: number | null }
  /** Attempts in flight the delivery worker allows now (adaptive, up to `ceiling`); null before its first delivery. */
  readonly concurrency?: { window: number; ceiling: number; inFlight: number } | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** One page of a destination's delivery log. */
export type DestinationAttemptLog = Schemas['DestinationAttemptLog']

export type AttemptRate = DestinationAttemptLog['successRate']['last24h']

/** A create, update or rotate answer: the destination plus any secret generated in this call (shown once). */
export type DestinationWithSecrets = Destination & Record<string, unknown>

export interface DestinationInput {
  readonly kind: string
  readonly name: string
  readonly config: Record<string, unknown>
  readonly secrets?: SecretValues
  readonly limits?: { maxConcurrency?: number; ratePerSecond?: number | null }
}

/** Secret values as sent: a string, or for a header record, names → values (`null` removes a stored one). */
export type SecretValues = Record<string, string | Record<string, string | null>>

export interface DestinationPatch {
  readonly name?: string
  readonly config?: Record<string, unknown>
  readonly secrets?: SecretValues
  readonly limits?: { maxConcurrency?: number; ratePerSecond?: number | null }
}

export interface DeliveryFilter {
  readonly state?: DeliveryState
  readonly destination?: string
  readonly lead?: string
  /** The last error, exactly: one group of failing or dead deliveries. */
  readonly reason?: string
  /** ISO times, compared with the delivery's last update. */
  readonly since?: string
  readonly until?: string
}

export type ReplayResult = Schemas['ReplayResult']

export interface AuditEntry {
  readonly id: string
  readonly actor: string
  readonly action: string
  readonly target?: string
  /** The target's current name (destination name, offer title, key label), when it has one. */
  readonly targetName?: string
  /** The person's name or the key's name behind `actor`. */
  readonly actorName?: string
  readonly detail?: Record<string, unknown>
  readonly at: string
}

/** A SaaS subscription's status as Microsoft's SaaS Fulfillment API v2 names it. */
export type SubscriptionStatus = 'PendingFulfillmentStart' | 'Subscribed' | 'Suspended' | 'Unsubscribed'

/** A marketplace SaaS subscription joined to a lead (`GET /v1/leads/{id}/subscriptions`). */
export type LeadSubscription = Schemas['Subscription']

/** The tenant's subscription source: its Entra app that reads the SaaS Fulfillment API. The secret is write-only. */
export interface SubscriptionSource {
  readonly entraTenantId: string
  readonly clientId: string
  readonly hasSecret: boolean
  readonly enabled: boolean
  readonly lastPollAt?: string
  /** Why the last poll stopped, when it failed. */
  readonly lastPollError?: string
  /** Subscriptions the last successful poll read. */
  readonly lastPollCount?: number
  readonly createdAt: string
  readonly updatedAt: string
}

export interface SubscriptionSourceInput {
  readonly entraTenantId: string
  readonly clientId: string
  /** Left out to keep the stored secret. */
  readonly clientSecret?: string
  readonly enabled?: boolean
}

/** What one poll did (`POST /v1/subscription-source/poll`). */
export type SubscriptionPollSummary = Schemas['SubscriptionPollSummary']

/** The Entra tenant whose people join this tenant by signing in, and the role they get (`/v1/tenant/sign-in`). */
export type TenantSignIn = Schemas['TenantSignIn']
