/**
 * The shapes the public API takes and answers with, as the portal names them: each is taken from `generated.ts`
 * (openapi-typescript over /openapi.json, `npm run api-types`), so none is a hand copy. The lists of values below are
 * the portal's order for showing them, checked against the API's with `satisfies`.
 */

import type { components, operations } from './generated.ts'

export type Schemas = components['schemas']
type Operation = keyof operations

type JsonContent<Part> = Part extends { readonly content: { readonly 'application/json': infer Json } } ? Json : never

/** The JSON body an operation takes. */
export type RequestBody<Name extends Operation> = JsonContent<NonNullable<operations[Name]['requestBody']>>

/** What an operation answers with a status (200 unless said). */
export type Answer<
  Name extends Operation,
  Status extends keyof operations[Name]['responses'] = 200 & keyof operations[Name]['responses'],
> = JsonContent<operations[Name]['responses'][Status]>

/** The query parameters an operation reads. */
export type QueryOf<Name extends Operation> = NonNullable<operations[Name]['parameters']['query']>

/** A property's type made more precise than the document can say (a generic JSON object the portal knows better). */
export type Refine<Shape, Key extends keyof Shape, Value> = {
  readonly [Name in keyof Shape as Name extends Key ? never : Name]: Shape[Name]
} & {
  readonly [Name in Key]: Value
}

export const stages = [
  'unclassified',
  'do_not_contact',
  'trial',
  'initial_interest',
  'active',
  'customer',
  'suspended',
  'churned',
] as const satisfies readonly Schemas['LeadSummary']['stage'][]
export type Stage = Schemas['LeadSummary']['stage']

/**
 * Steps a customer moves through, in funnel order: the marketplace's lead actions, then a SaaS subscription (customer)
 * and its cancellation (churned). A suspended subscription is no step: its lead stays counted as a customer.
 */
export const funnelSteps = [
  'trial',
  'initial_interest',
  'active',
  'customer',
  'churned',
] as const satisfies readonly (keyof Schemas['FunnelReport']['reached'])[]
export type FunnelStep = keyof Schemas['FunnelReport']['reached']

export type DeliveryState = NonNullable<QueryOf<'listDeliveries'>['state']>

/** A list answer: its items, and the cursor of the next page when there is one (the API's list envelope). */
export interface Page<T> {
  readonly items: readonly T[]
  readonly nextCursor?: string
}

export type Tenant = Schemas['Tenant']

/** A tenant as `GET /v1/tenants` lists it: an operator picks one of these. */
export type ListedTenant = Schemas['TenantListed']

/** viewer reads; editor also offers, replay, alert rules; admin also destinations, routes, keys, people; owner all. */
export type Role = Schemas['Person']['role']
export const roles: readonly Role[] = ['viewer', 'editor', 'admin', 'owner']

export type Person = Schemas['Person']

export type CreatedInvitation = Schemas['CreatedInvitation']

/** What `/auth/config` says the sign-in page should offer. */
export type AuthConfig = Schemas['AuthConfig']

/** `ingest`: send leads; `read`: every GET; `admin`: everything, keys included. */
export type ApiKeyScope = Schemas['ApiKey']['scopes'][number]

export type ApiKey = Schemas['ApiKey']

/** A created or rotated key: the only answer that carries the secret. */
export type ApiKeyWithSecret = Schemas['ApiKeyWithSecret']

export type IngestToken = Schemas['IngestToken']

export type RotatedIngestToken = Schemas['RotatedIngestToken']

export type NotificationContacts = Schemas['NotificationContacts']

export type Customer = Schemas['Customer']

/** A lead as lists and the lead page show it: every event of one customer for one offer, merged. */
export type Lead = Schemas['LeadSummary']

export type Attempt = Schemas['Attempt']

/** What an attempt sent, as stored (redacted, at most 8 KiB of body). */
export type ExchangeRequest = NonNullable<Schemas['Attempt']['request']>

/** What the destination answered to an attempt, as stored. */
export type ExchangeResponse = NonNullable<Schemas['Attempt']['response']>

export type Delivery = Schemas['Delivery']

export type LeadDetail = Schemas['LeadDetail']

export type FunnelReport = Schemas['FunnelReport']

export const timeStages = [
  'trial',
  'initial_interest',
  'active',
  'customer',
  'churned',
  'do_not_contact',
] as const satisfies readonly (keyof FunnelOverTime['buckets'][number]['stages'])[]

/** Customers per day or week of the period: with any event, and with an event of each stage. */
export type FunnelOverTime = NonNullable<FunnelReport['overTime']>

export type Offer = Schemas['Offer']

/** An offer as the portal saves it (`PUT /v1/offers/{id}`); a preview adds `dryRun` itself. */
export type OfferInput = Omit<RequestBody<'putOffer'>, 'dryRun'>

/** When the route gains destinations: send them the earlier leads (the default), or only new ones. */
export type EarlierLeadsChoice = NonNullable<OfferInput['earlierLeads']>

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

/** A connector the API offers; its settings' JSON Schema is read as one (the document types it as any object). */
export type DestinationKind = Refine<Schemas['DestinationKind'], 'configSchema', JsonSchema>

/** A destination as `GET /v1/destinations/{id}` and the list answer it, with the worker's concurrency now. */
export type Destination = Refine<Answer<'getDestination'>, 'config', Record<string, unknown>>

/** One page of a destination's delivery log. */
export type DestinationAttemptLog = Schemas['DestinationAttemptLog']

export type AttemptRate = DestinationAttemptLog['successRate']['last24h']

/** A create, update or rotate answer: the destination plus any secret generated in this call (shown once). */
export type DestinationWithSecrets = Refine<Answer<'createDestination', 201>, 'config', Record<string, unknown>>

/** Secret values as the portal's form sends them: a string, or for a header record, names → values (`null` removes one). */
export type SecretValues = Record<string, string | Record<string, string | null>>

export type DestinationInput = RequestBody<'createDestination'>

export type DestinationPatch = RequestBody<'updateDestination'>

/** Which deliveries: by state, destination, lead, last error (one group of failing or dead ones) and last update. */
export type DeliveryFilter = Omit<QueryOf<'listDeliveries'>, 'limit' | 'cursor'>

export type ReplayResult = Schemas['ReplayResult']

export type AuditEntry = Schemas['AuditEntry']

/** A SaaS subscription's status as Microsoft's SaaS Fulfillment API v2 names it. */
export type SubscriptionStatus = Schemas['Subscription']['status']

/** A marketplace SaaS subscription joined to a lead (`GET /v1/leads/{id}/subscriptions`). */
export type LeadSubscription = Schemas['Subscription']

/** The tenant's subscription source: its Entra app that reads the SaaS Fulfillment API. The secret is write-only. */
export type SubscriptionSource = Schemas['SubscriptionSource']

export type SubscriptionSourceInput = RequestBody<'putSubscriptionSource'>

/** What one poll did (`POST /v1/subscription-source/poll`). */
export type SubscriptionPollSummary = Schemas['SubscriptionPollSummary']

/** The Entra tenant whose people join this tenant by signing in, and the role they get (`/v1/tenant/sign-in`). */
export type TenantSignIn = Schemas['TenantSignIn']
