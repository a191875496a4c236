/** A lead event (one thing the marketplace told us) and the merged lead (one customer of one offer). */

import { createHash } from 'node:crypto'
import { type Customer, type CustomerField, customerFields, normaliseCustomer } from './customer.ts'
import {
  type ActionMeanings,
  defaultActionMeanings,
  isSubscriptionStage,
  meaningOf,
  nextStage,
  type Stage,
  stageRank,
} from './funnel.ts'
import type { InboundFormat, IncomingLead } from './inbound.ts'
import { canonicalAction, canonicalSource, parseLeadSource } from './lead-source.ts'
import { isTestLead } from './test-lead.ts'

/** An incoming lead, interpreted: everything the store needs to record it, before it has an id. */
export interface LeadEventDraft {
  readonly format: InboundFormat
  readonly eventId?: string
  readonly receivedAt: number
  /** When the customer acted: the sender's time if it gave one, else when we received it. */
  readonly occurredAt: number
  readonly leadSource?: string
  readonly source?: string
  readonly action?: string
  readonly stage: Stage
  /** The customer acted themself (lifts an earlier do-not-contact notice). */
  readonly byCustomer: boolean
  /** How the sender named the offer (`publisher.offer` id or display name); resolved to an offer by the store. */
  readonly offerRef?: string
  readonly offerTitle?: string
  readonly description?: string
  readonly customer: Customer
  /** Values sent but not used, as sent: customer fields, and `occurredAt` when the sender's time was unusable. */
  readonly invalid: Partial<Record<CustomerField | 'occurredAt', string>>
  readonly isTest: boolean
  readonly extra: Readonly<Record<string, unknown>>
}

export interface InterpretOptions {
  readonly receivedAt: number
  readonly actionMeanings?: ActionMeanings
}

export function interpretLead(incoming: IncomingLead, options: InterpretOptions): LeadEventDraft {
  const parsed = parseLeadSource(incoming.leadSource)
  const source = canonicalSource(incoming.source) ?? parsed.source
  const action = parsed.action ?? canonicalAction(incoming.action)
  const meaning = meaningOf(action, options.actionMeanings ?? defaultActionMeanings)
  const { customer, invalid } = normaliseCustomer(incoming.customer)
  const offerRef = incoming.productId ?? incoming.offer ?? parsed.offer ?? incoming.offerTitle
  return {
    format: incoming.format,
    ...(incoming.eventId !== undefined && { eventId: incoming.eventId }),
    receivedAt: options.receivedAt,
    occurredAt: incoming.occurredAt ?? options.receivedAt,
    ...(incoming.leadSource !== undefined && { leadSource: incoming.leadSource }),
    ...(source !== undefined && { source }),
    ...(action !== undefined && { action }),
    stage: meaning.stage,
    byCustomer: meaning.byCustomer,
    ...(offerRef !== undefined && { offerRef }),
    ...((incoming.offerTitle ?? parsed.offer) !== undefined && { offerTitle: incoming.offerTitle ?? parsed.offer }),
    ...(incoming.description !== undefined && { description: incoming.description }),
    customer,
    invalid: incoming.unusableTime === undefined ? invalid : { ...invalid, occurredAt: incoming.unusableTime.value },
    // `isTest: true` is how Leadrelay's own senders flag a test (a SaaS subscription with `isTest`, decision 0010).
    isTest: incoming.extra.isTest === true || isTestLead(customer, incoming.description, incoming.leadSource),
    extra: incoming.extra,
  }
}

/**
 * The customer identity leads merge on, within one tenant and offer: the email, else the phone digits, else none
 * (such an event becomes a lead of its own).
 */
export function mergeKeyOf(customer: Customer): string | undefined {
  if (customer.email) return `email:${customer.email}`
  if (customer.phoneDigits && customer.phoneDigits.length >= 6) return `phone:${customer.phoneDigits}`
  return undefined
}

/** A lead as stored: the merged state of one customer of one offer, with its identity and history counters. */
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
  /** When the customer's personal data was erased; the lead is a tombstone without it since. */
  readonly erasedAt?: number
  /** The lead's email had been erased before this lead arrived. */
  readonly previouslyErased?: boolean
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

/** A lead as a destination receives it: its current state, every event in order, and its offer's title. */
export interface LeadHistory {
  readonly lead: Lead
  readonly events: readonly LeadEvent[]
  readonly offerTitle?: string
}

/** The merged view of every event of one customer for one offer. */
export interface LeadState {
  /** The furthest funnel stage any event reached. */
  readonly stage: Stage
  readonly doNotContact: boolean
  /** When the newest do-not-contact notice arrived (epoch ms), if any. */
  readonly doNotContactAt?: number
  /** When the customer last acted themself, if ever. */
  readonly customerActedAt?: number
  /** When the newest subscription status (customer, suspended, churned) happened, if any. */
  readonly subscriptionStageAt?: number
  readonly isTest: boolean
  /** The newest non-empty value of each field. */
  readonly customer: Customer
  readonly eventCount: number
  readonly firstEventAt: number
  readonly lastEventAt: number
  readonly source?: string
  readonly action?: string
  /**
   * Per stage, the earliest event of that stage and its source: when the lead first reached it. The funnel counts
   * a lead in the period (and source) where it first reached each stage (docs/funnel.md).
   */
  readonly reached: StagesReached
}

/** When a lead first had an event of a stage, and where that event came from. */
export interface StageReached {
  readonly at: number
  readonly source?: string
}

export type StagesReached = Readonly<Partial<Record<Stage, StageReached>>>

function laterOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.max(a, b)
}

/**
 * Folds one event into a lead. Events may arrive out of order (imports, retries): stage and flags use event times,
 * and an event older than the lead's newest only fills customer fields that are still empty.
 */
export function applyEvent(state: LeadState | undefined, event: LeadEventDraft): LeadState {
  const at = event.occurredAt
  const isNewest = state === undefined || at >= state.lastEventAt
  const customer: Record<string, string> = { ...(state?.customer as Record<string, string> | undefined) }
  const incoming = event.customer as Record<string, string | undefined>
  for (const field of customerFields) {
    const value = incoming[field]
    if (value === undefined || (!isNewest && customer[field] !== undefined)) continue
    customer[field] = value
    // Phone digits belong to the phone they came from.
    if (field === 'phone') {
      if (incoming.phoneDigits === undefined) delete customer.phoneDigits
      else customer.phoneDigits = incoming.phoneDigits
    }
  }
  const doNotContactAt = laterOf(state?.doNotContactAt, event.stage === 'do_not_contact' ? at : undefined)
  const customerActedAt = laterOf(state?.customerActedAt, event.byCustomer ? at : undefined)
  const doNotContact =
    doNotContactAt !== undefined && (customerActedAt === undefined || doNotContactAt > customerActedAt)
  // Subscription statuses compare with each other only: a lead event newer than a status must not make it stale.
  const isSubscription = isSubscriptionStage(event.stage)
  const subscriptionIsNewest = state?.subscriptionStageAt === undefined || at >= state.subscriptionStageAt
  const subscriptionStageAt = laterOf(state?.subscriptionStageAt, isSubscription ? at : undefined)
  const earlier = state?.reached[event.stage]
  // On equal times the event recorded first stays: the one a recount ordered by (time, arrival) finds first.
  const reached =
    earlier !== undefined && earlier.at <= at
      ? (state?.reached ?? {})
      : { ...state?.reached, [event.stage]: { at, ...(event.source !== undefined && { source: event.source }) } }
  return {
    stage: state ? nextStage(state.stage, event.stage, subscriptionIsNewest) : event.stage,
    doNotContact,
    ...(doNotContactAt !== undefined && { doNotContactAt }),
    ...(customerActedAt !== undefined && { customerActedAt }),
    ...(subscriptionStageAt !== undefined && { subscriptionStageAt }),
    isTest: (state?.isTest ?? false) || event.isTest,
    customer: customer as Customer,
    eventCount: (state?.eventCount ?? 0) + 1,
    firstEventAt: Math.min(state?.firstEventAt ?? at, at),
    lastEventAt: Math.max(state?.lastEventAt ?? at, at),
    ...((isNewest ? event.source : state?.source) !== undefined && { source: isNewest ? event.source : state?.source }),
    ...((isNewest ? event.action : state?.action) !== undefined && { action: isNewest ? event.action : state?.action }),
    reached,
  }
}

/** What a stored event keeps of its draft: enough to fold it into a lead again. */
export interface RecordedEvent {
  readonly receivedAt: number
  readonly occurredAt: number
  readonly stage: Stage
  readonly customer: Customer
  readonly source?: string
  readonly action?: string
  readonly isTest: boolean
}

/**
 * The lead that recorded events make when folded in the order given (oldest first): how two leads of one customer
 * become one when they turn out to name the same offer. Undefined for no events.
 */
export function foldRecordedEvents(events: readonly RecordedEvent[]): LeadState | undefined {
  let state: LeadState | undefined
  for (const event of events) {
    state = applyEvent(state, {
      format: 'api',
      receivedAt: event.receivedAt,
      occurredAt: event.occurredAt,
      stage: event.stage,
      // Only an action by the customer advances the funnel (funnel.ts), so the stage tells who acted.
      byCustomer: stageRank[event.stage] > 0 && event.stage !== 'suspended' && event.stage !== 'churned',
      customer: event.customer,
      invalid: {},
      isTest: event.isTest,
      extra: {},
      ...(event.source !== undefined && { source: event.source }),
      ...(event.action !== undefined && { action: event.action }),
    })
  }
  return state
}

/** Text written as it is, told apart from the JSON values still to be rendered on the same stack. */
class Verbatim {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

/**
 * JSON.stringify's output with object keys in code-unit order (undefined members left out, as JSON.stringify
 * does). Walks with a stack of its own rather than recursing, so no nesting depth can overflow the call stack; built
 * with loops because this runs for every lead received.
 */
function canonicalJson(root: unknown): string {
  let out = ''
  const pending: unknown[] = [root]
  while (pending.length > 0) {
    const value = pending.pop()
    if (value instanceof Verbatim) {
      out += value.text
    } else if (value === null || typeof value !== 'object') {
      out += JSON.stringify(value) ?? 'null'
    } else if (Array.isArray(value)) {
      pending.push(new Verbatim(']'))
      for (let index = value.length - 1; index >= 0; index--) {
        pending.push(value[index])
        if (index > 0) pending.push(new Verbatim(','))
      }
      out += '['
    } else {
      const object = value as Record<string, unknown>
      const keys = Object.keys(object)
        .sort()
        .filter((key) => object[key] !== undefined)
      pending.push(new Verbatim('}'))
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string
        pending.push(object[key])
        pending.push(new Verbatim(`${index === 0 ? '' : ','}${JSON.stringify(key)}:`))
      }
      out += '{'
    }
  }
  return out
}

/** Same payload, same hash, whatever the key order: identical sends within the dedupe window are one event. */
export function contentHashOf(format: InboundFormat, body: unknown): string {
  return createHash('sha256').update(format).update('\n').update(canonicalJson(body)).digest('base64url')
}
