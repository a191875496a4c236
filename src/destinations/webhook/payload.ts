/** The two request bodies a webhook can send: Leadrelay's merged lead, or Microsoft's own HTTPS-endpoint JSON. */

import { type MicrosoftUserDetails, microsoftUserDetails } from '../../core/customer.ts'
import type { Stage } from '../../core/funnel.ts'
import type { LeadEvent } from '../../core/lead.ts'
import { isoTime } from '../../core/time.ts'
import type { LeadSnapshot } from '../types.ts'

/** A lead keeps its newest events in the body; `eventCount` still counts them all. Keeps payloads small. */
export const maxPayloadEvents = 100

export interface LeadrelayCustomer {
  readonly firstName: string | null
  readonly lastName: string | null
  readonly email: string | null
  readonly phone: string | null
  readonly country: string | null
  readonly company: string | null
  readonly title: string | null
}

export interface LeadrelayEvent {
  readonly id: string
  readonly occurredAt: string
  readonly source: string | null
  readonly action: string | null
  readonly stage: Stage
  readonly description: string | null
}

/** Leadrelay's body. Every key is always present (null when unknown) so receivers can rely on one schema. */
export interface LeadrelayPayload {
  readonly type: 'lead.updated' | 'lead.test'
  /** When this body was built (the attempt), ISO 8601. */
  readonly timestamp: string
  readonly data: {
    readonly id: string
    readonly offerId: string | null
    readonly offerName: string | null
    readonly stage: Stage
    readonly doNotContact: boolean
    readonly isTest: boolean
    readonly customer: LeadrelayCustomer
    readonly source: string | null
    readonly action: string | null
    readonly eventCount: number
    readonly firstEventAt: string
    readonly lastEventAt: string
    /** Increases with every change: a receiver can ignore a body older than one it already has. */
    readonly version: number
    /** Oldest first, at most `maxPayloadEvents` (the newest). */
    readonly events: readonly LeadrelayEvent[]
  }
}

/** The JSON Microsoft POSTs to a publisher's HTTPS endpoint; missing values are empty strings, as Microsoft sends. */
export interface MicrosoftPayload {
  readonly UserDetails: MicrosoftUserDetails
  /** `Source-Action|Offer`, as in Microsoft's Azure Table leads. */
  readonly LeadSource: string
  readonly ActionCode: string
  readonly OfferTitle: string
  readonly Description: string
}

function iso(epochMs: number): string {
  return isoTime(epochMs)
}

function byOccurrence(a: LeadEvent, b: LeadEvent): number {
  return a.occurredAt - b.occurredAt || a.receivedAt - b.receivedAt
}

/** The event that set the lead's current source and action: the newest by occurrence. */
export function latestEvent(events: readonly LeadEvent[]): LeadEvent | undefined {
  return [...events].sort(byOccurrence).at(-1)
}

function offerNameOf(snapshot: LeadSnapshot, latest: LeadEvent | undefined): string | undefined {
  return snapshot.offerTitle ?? latest?.offerTitle ?? latest?.offerRef ?? snapshot.lead.offerId
}

export function leadrelayPayload(snapshot: LeadSnapshot, now: number): LeadrelayPayload {
  const { lead } = snapshot
  const events = [...snapshot.events].sort(byOccurrence).slice(-maxPayloadEvents)
  const customer = lead.customer
  return {
    type: lead.isTest ? 'lead.test' : 'lead.updated',
    timestamp: iso(now),
    data: {
      id: lead.id,
      offerId: lead.offerId ?? null,
      offerName: offerNameOf(snapshot, events.at(-1)) ?? null,
      stage: lead.stage,
      doNotContact: lead.doNotContact,
      isTest: lead.isTest,
      customer: {
        firstName: customer.firstName ?? null,
        lastName: customer.lastName ?? null,
        email: customer.email ?? null,
        phone: customer.phone ?? null,
        country: customer.country ?? null,
        company: customer.company ?? null,
        title: customer.title ?? null,
      },
      source: lead.source ?? null,
      action: lead.action ?? null,
      eventCount: lead.eventCount,
      firstEventAt: iso(lead.firstEventAt),
      lastEventAt: iso(lead.lastEventAt),
      version: lead.version,
      events: events.map((event) => ({
        id: event.id,
        occurredAt: iso(event.occurredAt),
        source: event.source ?? null,
        action: event.action ?? null,
        stage: event.stage,
        description: event.description ?? null,
      })),
    },
  }
}

/**
 * Microsoft's shape, so flows built for the marketplace's HTTPS endpoint keep working. Source, action and
 * description come from the lead's latest event; the customer is the merged one (the newest value of each field).
 */
export function microsoftPayload(snapshot: LeadSnapshot): MicrosoftPayload {
  const { lead } = snapshot
  const latest = latestEvent(snapshot.events)
  const source = latest?.source ?? lead.source ?? ''
  const action = latest?.action ?? lead.action ?? ''
  const offer = lead.offerId ?? latest?.offerRef ?? offerNameOf(snapshot, latest) ?? ''
  const head = action ? `${source}-${action}` : source
  const customer = lead.customer
  return {
    UserDetails: microsoftUserDetails(customer),
    LeadSource: offer ? `${head}|${offer}` : head,
    ActionCode: action,
    OfferTitle: offerNameOf(snapshot, latest) ?? '',
    Description: latest?.description ?? '',
  }
}
