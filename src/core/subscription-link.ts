/**
 * Marketplace SaaS subscriptions (SaaS Fulfillment API v2) as lead events: which lead a subscription joins and what
 * each status or plan change records. Pure; the poller (src/subscriptions/) supplies what the store knows.
 * See docs/decisions/0010-marketplace-subscriptions.md.
 */

import { createHash } from 'node:crypto'

/** The statuses Microsoft's subscription resource has, in the order a subscription lives through them. */
export const subscriptionStatuses = ['PendingFulfillmentStart', 'Subscribed', 'Suspended', 'Unsubscribed'] as const
export type SubscriptionStatus = (typeof subscriptionStatuses)[number]

/** A person or organisation on a subscription (`purchaser` or `beneficiary`). */
export interface SubscriptionParty {
  readonly emailId?: string
  readonly objectId?: string
  readonly tenantId?: string
  readonly puid?: string
}

/** The fields of a subscription Leadrelay reads; everything else Microsoft sends is ignored. */
export interface MarketplaceSubscription {
  readonly id: string
  readonly name?: string
  readonly publisherId: string
  readonly offerId: string
  readonly planId?: string
  readonly quantity?: number
  readonly beneficiary?: SubscriptionParty
  readonly purchaser?: SubscriptionParty
  readonly status: SubscriptionStatus
  readonly term?: { readonly startDate?: string; readonly endDate?: string; readonly termUnit?: string }
  readonly isTest: boolean
  readonly isFreeTrial: boolean
  /** ISO times as Microsoft sends them. */
  readonly created?: string
  readonly lastModified?: string
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

function partyOf(value: unknown): SubscriptionParty | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const raw = value as Record<string, unknown>
  const party = {
    ...(text(raw.emailId) !== undefined && { emailId: text(raw.emailId) }),
    ...(text(raw.objectId) !== undefined && { objectId: text(raw.objectId) }),
    ...(text(raw.tenantId) !== undefined && { tenantId: text(raw.tenantId) }),
    ...(text(raw.puid) !== undefined && { puid: text(raw.puid) }),
  }
  return Object.keys(party).length > 0 ? party : undefined
}

/**
 * A subscription from the API's JSON, or undefined when it lacks what linking needs (id, publisher, offer, a known
 * status): such an entry is skipped and logged, never guessed at.
 */
export function parseSubscription(value: unknown): MarketplaceSubscription | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const raw = value as Record<string, unknown>
  const id = text(raw.id)
  const publisherId = text(raw.publisherId)
  const offerId = text(raw.offerId)
  const status = subscriptionStatuses.find(
    (known) => known.toLowerCase() === text(raw.saasSubscriptionStatus)?.toLowerCase(),
  )
  if (id === undefined || publisherId === undefined || offerId === undefined || status === undefined) return undefined
  const term = typeof raw.term === 'object' && raw.term !== null ? (raw.term as Record<string, unknown>) : undefined
  const beneficiary = partyOf(raw.beneficiary)
  const purchaser = partyOf(raw.purchaser)
  return {
    id,
    ...(text(raw.name) !== undefined && { name: text(raw.name) }),
    publisherId,
    offerId,
    ...(text(raw.planId) !== undefined && { planId: text(raw.planId) }),
    ...(typeof raw.quantity === 'number' && Number.isFinite(raw.quantity) && { quantity: raw.quantity }),
    ...(beneficiary && { beneficiary }),
    ...(purchaser && { purchaser }),
    status,
    ...(term && {
      term: {
        ...(text(term.startDate) !== undefined && { startDate: text(term.startDate) }),
        ...(text(term.endDate) !== undefined && { endDate: text(term.endDate) }),
        ...(text(term.termUnit) !== undefined && { termUnit: text(term.termUnit) }),
      },
    }),
    isTest: raw.isTest === true,
    isFreeTrial: raw.isFreeTrial === true,
    ...(text(raw.created) !== undefined && { created: text(raw.created) }),
    ...(text(raw.lastModified) !== undefined && { lastModified: text(raw.lastModified) }),
  }
}

/** The offer as Leadrelay names offers (`LeadSource` `Source-Action|publisher.offer`): `publisherId.offerId`. */
export function offerRefOf(subscription: Pick<MarketplaceSubscription, 'publisherId' | 'offerId'>): string {
  return `${subscription.publisherId}.${subscription.offerId}`
}

function emailOf(party: SubscriptionParty | undefined): string | undefined {
  return party?.emailId?.trim().toLowerCase() || undefined
}

/** How a subscription found its lead. */
export type LinkReason = 'remembered' | 'purchaser' | 'beneficiary' | 'new'

export interface SubscriptionLink {
  /** The email the subscription's events carry, so ingest merges them into that lead; undefined when it has none. */
  readonly email?: string
  readonly reason: LinkReason
}

/**
 * Which lead a subscription joins. One linked before keeps its email, so it never splits over two leads; otherwise
 * the tenant's lead for the offer and the purchaser's email, else the beneficiary's; otherwise a lead of its own
 * under the purchaser's email (the beneficiary's when there is no purchaser). Emails compare lower-cased.
 */
export function linkSubscription(
  subscription: Pick<MarketplaceSubscription, 'purchaser' | 'beneficiary'>,
  known: {
    /** The email an earlier poll linked this subscription with. */
    readonly rememberedEmail?: string
    /** Whether the tenant has a lead for this offer and email (lower-cased). */
    readonly hasLead: (email: string) => boolean
  },
): SubscriptionLink {
  if (known.rememberedEmail !== undefined) return { email: known.rememberedEmail.toLowerCase(), reason: 'remembered' }
  const purchaser = emailOf(subscription.purchaser)
  const beneficiary = emailOf(subscription.beneficiary)
  if (purchaser !== undefined && known.hasLead(purchaser)) return { email: purchaser, reason: 'purchaser' }
  if (beneficiary !== undefined && known.hasLead(beneficiary)) return { email: beneficiary, reason: 'beneficiary' }
  const email = purchaser ?? beneficiary
  return { ...(email !== undefined && { email }), reason: 'new' }
}

/** What an earlier poll saw of a subscription. */
export interface SeenSubscription {
  readonly status: SubscriptionStatus
  readonly planId?: string
  readonly quantity?: number
}

/** One event to ingest for a subscription: the `api` format body and its idempotency key. */
export interface SubscriptionEvent {
  readonly idempotencyKey: string
  readonly body: Record<string, unknown>
}

/**
 * The same for the same (subscription, status, plan, quantity, lastModified), so a repeated poll, or one restarted
 * after a crash, is answered as a duplicate by the store. Hashed to stay within the 200 printable characters.
 */
export function subscriptionIdempotencyKey(subscription: MarketplaceSubscription): string {
  const parts = [
    subscription.id,
    subscription.status,
    subscription.planId ?? '',
    String(subscription.quantity ?? ''),
    subscription.lastModified ?? '',
  ]
  return `sub:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`
}

/**
 * The body is the same whenever the key is (how the lead was found is left out: after a crash the subscription's own
 * new lead is found by email), so a poll repeated after a crash is a duplicate, never an idempotency conflict.
 *
 * The event a subscription's current state records, or undefined when an earlier poll saw the same status, plan and
 * quantity (nothing happened). The first sight of a subscription, a status change, a plan change and a quantity
 * change each record one; the changes are named in the description and in `subscriptionChange`.
 */
export function subscriptionEventOf(
  subscription: MarketplaceSubscription,
  link: SubscriptionLink,
  seen: SeenSubscription | undefined,
): SubscriptionEvent | undefined {
  const changes: Record<string, { from?: string | number; to?: string | number }> = {}
  if (seen) {
    if (seen.status !== subscription.status) changes.status = { from: seen.status, to: subscription.status }
    if (seen.planId !== subscription.planId)
      changes.planId = {
        ...(seen.planId !== undefined && { from: seen.planId }),
        ...(subscription.planId !== undefined && { to: subscription.planId }),
      }
    if (seen.quantity !== subscription.quantity)
      changes.quantity = {
        ...(seen.quantity !== undefined && { from: seen.quantity }),
        ...(subscription.quantity !== undefined && { to: subscription.quantity }),
      }
    if (Object.keys(changes).length === 0) return undefined
  }
  const described = Object.entries(changes).map(
    ([field, change]) => `${field} ${change.from ?? '(none)'} → ${change.to ?? '(none)'}`,
  )
  const summary = [
    `SaaS subscription ${subscription.name ?? subscription.id}: ${subscription.status}`,
    subscription.planId !== undefined && `plan ${subscription.planId}`,
    subscription.quantity !== undefined && `quantity ${subscription.quantity}`,
  ]
    .filter(Boolean)
    .join(', ')
  return {
    idempotencyKey: subscriptionIdempotencyKey(subscription),
    body: {
      source: 'AzurePortal',
      action: subscription.status,
      offer: offerRefOf(subscription),
      ...((subscription.lastModified ?? subscription.created) !== undefined && {
        occurredAt: subscription.lastModified ?? subscription.created,
      }),
      description: described.length > 0 ? `${summary} (${described.join('; ')})` : summary,
      customer: link.email === undefined ? {} : { email: link.email },
      ...(subscription.isTest && { isTest: true }),
      subscription: {
        id: subscription.id,
        ...(subscription.name !== undefined && { name: subscription.name }),
        status: subscription.status,
        ...(subscription.planId !== undefined && { planId: subscription.planId }),
        ...(subscription.quantity !== undefined && { quantity: subscription.quantity }),
        ...(subscription.term && { term: subscription.term }),
        isFreeTrial: subscription.isFreeTrial,
      },
      ...(Object.keys(changes).length > 0 && { subscriptionChange: changes }),
    },
  }
}
