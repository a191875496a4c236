/**
 * Recording one lead event: dedupe, resolve the offer, merge into the customer's lead, queue its deliveries, keep the
 * event. The steps are the same in every dialect; each dialect supplies the `IngestQueries` (SQLite with prepared
 * statements on the hot path, Kysely elsewhere). All calls run inside one transaction the caller opened.
 */

import type { Customer } from '../core/customer.ts'
import { type Stage, stages } from '../core/funnel.ts'
import type { CountedLead, FunnelDeltas } from '../core/funnel-counters.ts'
import { applyEvent, type LeadState, mergeKeyOf, type StageReached, type StagesReached } from '../core/lead.ts'
import { searchColumnsOf } from '../core/lead-search.ts'
import { offerKeyOf } from '../core/lead-source.ts'
import { type AlertIngestQueries, queueAlerts } from './alert-ingest.ts'
import {
  type CountedLeadRow,
  type EventRow,
  type LeadRow,
  type LeadStateColumns,
  reachedColumnsOf,
} from './lead-columns.ts'
import type { StageReachedColumns } from './schema.ts'
import type { IngestItem, IngestOutcome, IngestReceipt, RouteScope } from './types.ts'

export interface DeliveryDraft {
  id: string
  tenant_id: string
  lead_id: string
  destination_id: string
  lead_version: number
  trace_parent: string | null
  now: number
}

/** The reads and writes ingest needs, inside one open transaction. */
export interface IngestQueries {
  eventByIdempotencyKey(tenantId: string, key: string): Promise<{ content_hash: string; result: string } | undefined>
  /** The newest event with this content hash received at or after `since`. */
  recentEventByContent(tenantId: string, contentHash: string, since: number): Promise<{ result: string } | undefined>
  offerIdByAlias(tenantId: string, alias: string): Promise<string | undefined>
  leadByIdentity(tenantId: string, offerKey: string, mergeKey: string): Promise<LeadRow | undefined>
  /**
   * Rewrites a lead's state. `before` is its row as read in this transaction: a dialect may write only the columns
   * whose value differs from it (SQLite then leaves alone every index on columns that did not change).
   */
  updateLead(
    id: string,
    columns: LeadStateColumns & { offer_id: string | null; updated_at: number; version: number },
    before: LeadRow,
  ): Promise<void>
  insertLead(row: LeadRow): Promise<void>
  /** Live destinations routed under `scope`. */
  routedDestinations(tenantId: string, scope: RouteScope): Promise<readonly string[]>
  insertDeliveries(rows: readonly DeliveryDraft[]): Promise<void>
  insertEvent(row: EventRow): Promise<void>
  /** Wakes idle workers once the transaction commits (LISTEN/NOTIFY), where the dialect can. */
  notifyWork?(): Promise<void>
  /** The alert step (alert-ingest.ts); absent where alerts are not recorded. */
  alerts?: AlertIngestQueries
}

export function customerOfRow(row: LeadRow): Customer {
  const customer: Record<string, string> = {}
  const columns = {
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    phone: row.phone,
    phoneDigits: row.phone_digits,
    country: row.country,
    company: row.company,
    title: row.title,
  }
  for (const [field, value] of Object.entries(columns)) if (value !== null) customer[field] = value
  return customer
}

export function stateOfRow(row: LeadRow): LeadState {
  return {
    stage: row.stage as Stage,
    doNotContact: row.do_not_contact === 1,
    ...(row.do_not_contact_at !== null && { doNotContactAt: Number(row.do_not_contact_at) }),
    ...(row.customer_acted_at !== null && { customerActedAt: Number(row.customer_acted_at) }),
    ...(row.subscription_stage_at !== null && { subscriptionStageAt: Number(row.subscription_stage_at) }),
    isTest: row.is_test === 1,
    customer: customerOfRow(row),
    eventCount: Number(row.event_count),
    firstEventAt: Number(row.first_event_at),
    lastEventAt: Number(row.last_event_at),
    ...(row.source !== null && { source: row.source }),
    ...(row.action !== null && { action: row.action }),
    reached: reachedOfRow(row),
  }
}

/** What the funnel counters read of a stored lead (core/funnel-counters.ts). */
export function countedLeadOfRow(row: CountedLeadRow): CountedLead {
  return {
    tenantId: row.tenant_id,
    offerKey: row.offer_key,
    isTest: row.is_test === 1,
    stage: row.stage as Stage,
    firstEventAt: Number(row.first_event_at),
    reached: reachedOfRow(row),
  }
}

function countedLeadOf(tenantId: string, offerKey: string, state: LeadState): CountedLead {
  return {
    tenantId,
    offerKey,
    isTest: state.isTest,
    stage: state.stage,
    firstEventAt: state.firstEventAt,
    reached: state.reached,
  }
}

function reachedOfRow(row: StageReachedColumns): StagesReached {
  const reached: Partial<Record<Stage, StageReached>> = {}
  for (const stage of stages) {
    const columns = reachedColumnsOf(stage)
    const at = row[columns.at]
    const source = row[columns.source]
    if (at !== null && at !== undefined)
      reached[stage] = { at: Number(at), ...(source !== null && source !== undefined && { source }) }
  }
  return reached
}

function reachedColumns(reached: StagesReached): Required<StageReachedColumns> {
  const columns: Record<string, number | string | null> = {}
  for (const stage of stages) {
    const names = reachedColumnsOf(stage)
    columns[names.at] = reached[stage]?.at ?? null
    columns[names.source] = reached[stage]?.source ?? null
  }
  return columns as Required<StageReachedColumns>
}

/** The `leads` columns that hold a lead's merged state, with the search keys derived from its customer. */
export function columnsOf(state: LeadState): LeadStateColumns {
  const c = state.customer
  const keys = searchColumnsOf(c)
  return {
    stage: state.stage,
    do_not_contact: state.doNotContact ? 1 : 0,
    do_not_contact_at: state.doNotContactAt ?? null,
    customer_acted_at: state.customerActedAt ?? null,
    subscription_stage_at: state.subscriptionStageAt ?? null,
    is_test: state.isTest ? 1 : 0,
    first_name: c.firstName ?? null,
    last_name: c.lastName ?? null,
    email: c.email ?? null,
    phone: c.phone ?? null,
    phone_digits: c.phoneDigits ?? null,
    country: c.country ?? null,
    company: c.company ?? null,
    title: c.title ?? null,
    source: state.source ?? null,
    action: state.action ?? null,
    event_count: state.eventCount,
    first_event_at: state.firstEventAt,
    last_event_at: state.lastEventAt,
    name_key: keys.name_key,
    last_name_key: keys.last_name_key,
    company_key: keys.company_key,
    email_domain: keys.email_domain,
    ...reachedColumns(state.reached),
  }
}

/** Queues one delivery per destination routed for the offer, or per the tenant's default route when it has none. */
async function queueDeliveries(
  queries: IngestQueries,
  change: {
    tenantId: string
    leadId: string
    offerId?: string
    leadVersion: number
    traceParent?: string
    newId: () => string
    now: number
  },
): Promise<number> {
  let destinations =
    change.offerId === undefined ? [] : await queries.routedDestinations(change.tenantId, `offer:${change.offerId}`)
  if (destinations.length === 0) destinations = await queries.routedDestinations(change.tenantId, 'default')
  if (destinations.length === 0) return 0
  await queries.insertDeliveries(
    destinations.map((destinationId) => ({
      id: change.newId(),
      tenant_id: change.tenantId,
      lead_id: change.leadId,
      destination_id: destinationId,
      lead_version: change.leadVersion,
      trace_parent: change.traceParent ?? null,
      now: change.now,
    })),
  )
  await queries.notifyWork?.()
  return destinations.length
}

/**
 * Records one event inside the caller's transaction. The lead's change to the funnel counters is added to `funnel`,
 * which the caller applies to `funnel_counts` before it commits (one upsert per counter for the whole batch).
 */
export async function recordLeadEvent(
  queries: IngestQueries,
  item: IngestItem,
  now: number,
  funnel: FunnelDeltas,
): Promise<IngestOutcome> {
  const { draft, tenantId } = item
  if (item.idempotencyKey !== undefined) {
    const prior = await queries.eventByIdempotencyKey(tenantId, item.idempotencyKey)
    if (prior) {
      return prior.content_hash === item.contentHash
        ? { status: 'duplicate', receipt: JSON.parse(prior.result) as IngestReceipt }
        : { status: 'conflict', reason: 'idempotency_key_reused' }
    }
  } else {
    const prior = await queries.recentEventByContent(tenantId, item.contentHash, draft.receivedAt - item.dedupeWindowMs)
    if (prior) return { status: 'duplicate', receipt: JSON.parse(prior.result) as IngestReceipt }
  }

  const offerId =
    draft.offerRef === undefined ? undefined : await queries.offerIdByAlias(tenantId, offerKeyOf(draft.offerRef))
  const offerKey = offerId ?? (draft.offerRef === undefined ? '' : offerKeyOf(draft.offerRef))
  const mergeKey = mergeKeyOf(draft.customer) ?? null
  const existing = mergeKey === null ? undefined : await queries.leadByIdentity(tenantId, offerKey, mergeKey)
  const before = existing ? stateOfRow(existing) : undefined
  const state = applyEvent(before, draft)
  const leadId = existing?.id ?? item.newLeadId
  const version = existing ? Number(existing.version) + 1 : 1
  funnel.change(
    existing && before && countedLeadOf(tenantId, existing.offer_key, before),
    countedLeadOf(tenantId, offerKey, state),
  )
  if (existing) {
    await queries.updateLead(
      existing.id,
      { ...columnsOf(state), offer_id: offerId ?? existing.offer_id, updated_at: now, version },
      existing,
    )
  } else {
    await queries.insertLead({
      id: leadId,
      tenant_id: tenantId,
      offer_key: offerKey,
      offer_id: offerId ?? null,
      merge_key: mergeKey,
      ...columnsOf(state),
      created_at: now,
      updated_at: now,
      version,
    })
  }
  const deliveries = await queueDeliveries(queries, {
    tenantId,
    leadId,
    ...(offerId !== undefined && { offerId }),
    leadVersion: version,
    ...(item.traceParent !== undefined && { traceParent: item.traceParent }),
    newId: item.newDeliveryId,
    now,
  })
  if (queries.alerts) {
    await queueAlerts(queries.alerts, {
      tenantId,
      leadId,
      leadVersion: version,
      before,
      after: state,
      ...(offerId !== undefined && { offerId }),
      offerKey,
      now,
    })
  }
  const warnings: string[] = []
  if (offerId === undefined) warnings.push('offer_unknown: stored, but not routed until the offer is configured')
  for (const field of Object.keys(draft.invalid)) warnings.push(`${field}_invalid: kept with the event, not used`)
  if (mergeKey === null) warnings.push('customer_unidentified: no email or phone, so this event was not merged')
  const receipt: IngestReceipt = {
    eventId: item.eventId,
    leadId,
    ...(offerId !== undefined && { offerId }),
    routed: offerId !== undefined,
    stage: draft.stage,
    leadStage: state.stage,
    isTest: draft.isTest,
    newLead: !existing,
    deliveries,
    warnings,
  }
  await queries.insertEvent({
    id: item.eventId,
    tenant_id: tenantId,
    lead_id: leadId,
    format: draft.format,
    received_at: draft.receivedAt,
    occurred_at: draft.occurredAt,
    lead_source: draft.leadSource ?? null,
    source: draft.source ?? null,
    action: draft.action ?? null,
    stage: draft.stage,
    offer_ref: draft.offerRef ?? null,
    offer_title: draft.offerTitle ?? null,
    description: draft.description ?? null,
    customer: JSON.stringify(draft.customer),
    invalid: Object.keys(draft.invalid).length > 0 ? JSON.stringify(draft.invalid) : null,
    extra: Object.keys(draft.extra).length > 0 ? JSON.stringify(draft.extra) : null,
    is_test: draft.isTest ? 1 : 0,
    idempotency_key: item.idempotencyKey ?? null,
    content_hash: item.contentHash,
    result: JSON.stringify(receipt),
  })
  return { status: 'recorded', receipt }
}
