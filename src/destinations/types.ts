/** The `Destination` contract: one per folder under src/destinations/, registered explicitly in registry.ts. */

import type { z } from 'zod'
import type { DeliveryError } from '../core/errors.ts'
import type { Lead, LeadEvent } from '../core/lead.ts'
import type { Clock } from '../core/ports.ts'
import type { Logger } from '../logger.ts'
import type { HttpClient } from './http-client.ts'

export const destinationKinds = ['webhook', 'salesforce', 'dynamics365', 'marketo', 'hubspot', 'azure-table'] as const
export type DestinationKind = (typeof destinationKinds)[number]

/** What a connector delivers: the merged lead plus its history, as Leadrelay knows it at attempt time. */
export interface LeadSnapshot {
  readonly lead: Lead
  readonly events: readonly LeadEvent[]
  /** Title of the offer, when the offer is known. */
  readonly offerTitle?: string
}

export interface DeliveryAttempt {
  /** Stable across retries and replays of one (lead state, destination): the idempotency key of the upsert. */
  readonly deliveryId: string
  /** 1 for the first attempt. */
  readonly number: number
  /** Aborts when the attempt times out or the worker stops. */
  readonly signal: AbortSignal
}

export interface DeliveryReceipt {
  /** The record's id at the destination, when it tells us. */
  readonly externalId?: string
  /** HTTP status of the final call, for the attempt log. */
  readonly status?: number
  readonly note?: string
}

export interface ConnectorDeps {
  readonly http: HttpClient
  readonly clock: Clock
  readonly log: Logger
}

/**
 * A destination bound to one configuration. `verify` and `deliver` throw `DeliveryError` (from core/errors.ts)
 * and nothing else; the kind decides what the worker does next.
 */
export interface Connector {
  /** A cheap authenticated call that proves the configuration works ("Test connection"). */
  verify(signal: AbortSignal): Promise<void>
  /** Upserts one lead; repeating it with the same `deliveryId` must not create a second record. */
  deliver(snapshot: LeadSnapshot, attempt: DeliveryAttempt): Promise<DeliveryReceipt>
  /**
   * Optional: upserts several leads in the vendor's batch call (at most `maxBatchSize`). Resolves one result per
   * item, in order; throws a `DeliveryError` only when the whole call failed (then every item gets that outcome).
   */
  deliverBatch?(items: readonly BatchItem[], signal: AbortSignal): Promise<readonly BatchItemResult[]>
  readonly maxBatchSize?: number
  /** The exact vendor payload `deliver` would send for this lead, without sending it (for previews). */
  preview?(snapshot: LeadSnapshot): unknown
  /**
   * Optional: asks the destination to delete the record it holds for an erased customer (GDPR Art. 17), through the
   * vendor's delete API. Resolves once the vendor confirmed (or said the record is already gone); throws a
   * `DeliveryError` like `deliver`. Absent where the vendor has no such API: the erasure is then recorded as rejected.
   */
  erase?(request: ErasureRequest, attempt: DeliveryAttempt): Promise<DeliveryReceipt>
}

/**
 * What an erasure tells a connector. The lead is already a tombstone (ids, offer and stage only); the record at the
 * destination is found by the id it answered on delivery (`externalId`), or by keys derived from the lead id.
 */
export interface ErasureRequest {
  readonly lead: Lead
  /** The record's id at the destination, as its last successful delivery reported it; absent when it never did. */
  readonly externalId?: string
  /** When the customer was erased (epoch ms). */
  readonly erasedAt: number
}

export interface BatchItem {
  readonly snapshot: LeadSnapshot
  readonly attempt: Omit<DeliveryAttempt, 'signal'>
}

export type BatchItemResult =
  | { readonly ok: true; readonly receipt: DeliveryReceipt }
  | { readonly ok: false; readonly error: DeliveryError }

export interface SecretField {
  readonly name: string
  /** The vendor's own words for it, as the publisher sees them in the vendor's admin pages. */
  readonly label: string
  /** Required whenever it applies (see `when`); on edit, an empty value keeps the stored one. */
  readonly required: boolean
  /** Leadrelay generates it when left empty (and shows it once). */
  readonly generated?: boolean
  /** Where in the vendor's admin pages to find it. */
  readonly help?: string
  /** Several lines (a PEM key): a text area rather than a one-line input. */
  readonly multiline?: boolean
  /**
   * A record of HTTP header name → value rather than one string (webhook secret headers); on an update, a name set
   * to `null` removes that header. The API shows only the names, under the destination's `secretHeaders`.
   */
  readonly headerRecord?: boolean
  /**
   * Applies only when every named setting has one of the listed values (e.g. `{ authFlow: ['jwt_bearer'] }`);
   * forms show it only then. Settings named here are top-level config properties.
   */
  readonly when?: Readonly<Record<string, readonly string[]>>
}

/** Secrets a destination was created with, after decryption. Never logged, never returned by the API. */
export type DestinationSecrets = Readonly<Record<string, string>>

export interface Destination<Config = unknown> {
  readonly kind: DestinationKind
  readonly displayName: string
  /** Validates the publisher's config (non-secret settings). The UI renders its form from its JSON Schema. */
  readonly configSchema: z.ZodType<Config>
  /** Validates secrets; may fill in generated ones (e.g. a webhook signing secret). */
  prepareSecrets(
    given: Readonly<Record<string, unknown>> | undefined,
    random: (size: number) => Uint8Array,
  ): DestinationSecrets
  /** Binds the connector to one configured destination. Must not do I/O. */
  connect(config: Config, secrets: DestinationSecrets, deps: ConnectorDeps): Connector
  /** The secrets a publisher can set, for forms and docs (values are write-only). */
  readonly secretFields?: readonly SecretField[]
  /** Optional: new secrets replacing the current ones (e.g. a new signing secret; the old one may stay valid a while). */
  rotateSecrets?(current: DestinationSecrets, random: (size: number) => Uint8Array, now: number): DestinationSecrets
  /**
   * Optional: brings settings stored under an older rule into today's form (e.g. webhook credential headers move
   * from the plain config into the secrets). Applied to a stored destination before it is used or shown; an update
   * saves the result. `changed` says whether anything moved. Must not do I/O.
   */
  normalizeStored?(
    config: unknown,
    secrets: DestinationSecrets,
  ): { readonly config: unknown; readonly secrets: DestinationSecrets; readonly changed: boolean }
  /** Optional: what the API may show about the stored secrets besides that there are some; never a value. */
  describeSecrets?(secrets: DestinationSecrets): Readonly<Record<string, unknown>>
  /** Optional: what the vendor documents as the most one integration may ask of it; delivery stays within it. */
  readonly vendorLimits?: VendorLimits
}

/**
 * A vendor's documented limits, as a ceiling for the adaptive concurrency window and a rate: delivery never goes
 * above them, whatever `limits.maxConcurrency` allows.
 */
export interface VendorLimits {
  /** Calls in flight at once. */
  readonly maxConcurrency: number
  /** At most this many calls in any window of `perSeconds` (the vendor's own window, so a burst up to `calls` is fine). */
  readonly rate?: { readonly calls: number; readonly perSeconds: number }
  /** The vendor's page that states them. */
  readonly documentation: string
}
