/**
 * A group commit in a handful of statements where every statement is a network round trip (PostgreSQL). What the
 * batch will read is fetched up front in one query per kind; the items are then recorded one by one, in order, by
 * the same steps as everywhere (record-lead-event.ts) against that snapshot plus this batch's own writes; and the
 * writes go out at the end as one statement per table (the funnel counters too: one row per counter the batch changes). Reads filter each column by its own `in (…)` list, which the
 * composite indexes serve; combinations no item asked for are read too and simply not used.
 */

import { sql } from 'kysely'
import { FunnelDeltas } from '../core/funnel-counters.ts'
import { mergeKeyOf } from '../core/lead.ts'
import { offerKeyOf } from '../core/lead-source.ts'
import { createBatchAlertQueries, type TenantAlertRules } from './alert-batch.ts'
import type { Executor } from './executor.ts'
import { applyFunnelDeltas } from './funnel-counter-writes.ts'
import { type EventRow, type LeadRow, updatedLeadColumns } from './lead-columns.ts'
import { queuedDeliveryColumns } from './queue/queued-delivery.ts'
import { type DeliveryDraft, type IngestQueries, recordLeadEvent } from './record-lead-event.ts'
import type { IngestItem, IngestOutcome } from './types.ts'

const key = (...parts: readonly (string | null)[]) => JSON.stringify(parts)

function pairs<T>(values: Iterable<T>, of: (value: T) => readonly [string, string]): (readonly [string, string])[] {
  return [...new Map([...values].map((value) => [key(...of(value)), of(value)] as const)).values()]
}

/**
 * A statement takes at most 65,535 parameters on PostgreSQL; a multi-row insert of a bulk import's batch (thousands
 * of events) would pass it, so rows are written in chunks that stay under it.
 */
const maxParameters = 60_000

function parameterChunks<Row extends object>(rows: readonly Row[]): Row[][] {
  const first = rows[0]
  if (first === undefined) return []
  const size = Math.max(1, Math.floor(maxParameters / Object.keys(first).length))
  const chunks: Row[][] = []
  for (let from = 0; from < rows.length; from += size) chunks.push(rows.slice(from, from + size))
  return chunks
}

export async function recordLeadEventBatch(
  trx: Executor,
  items: readonly IngestItem[],
  now: number,
  notifyWork?: (trx: Executor) => Promise<void>,
  alertRules?: TenantAlertRules,
): Promise<IngestOutcome[]> {
  // Reads, one statement each.
  const keyed = pairs(
    items.filter((item) => item.idempotencyKey !== undefined),
    (item) => [item.tenantId, item.idempotencyKey!],
  )
  const hashed = items.filter((item) => item.idempotencyKey === undefined)
  const aliasPairs = pairs(
    items.filter((item) => item.draft.offerRef !== undefined),
    (item) => [item.tenantId, offerKeyOf(item.draft.offerRef!)],
  )
  const tenants = [...new Set(items.map((item) => item.tenantId))]

  const byKey = new Map<string, { content_hash: string; result: string }>()
  if (keyed.length > 0) {
    const rows = await trx
      .selectFrom('lead_events')
      .select(['tenant_id', 'idempotency_key', 'content_hash', 'result'])
      .where('tenant_id', 'in', tenants)
      .where(
        'idempotency_key',
        'in',
        keyed.map(([, idempotencyKey]) => idempotencyKey),
      )
      .execute()
    for (const row of rows) byKey.set(key(row.tenant_id, row.idempotency_key), row)
  }
  const byContent = new Map<string, { received_at: number; seq: number; result: string }[]>()
  if (hashed.length > 0) {
    // No time bound here: with one, the planner tends to scan the tenant's whole window instead of looking the
    // hashes up; the window is applied per item below.
    const rows = await trx
      .selectFrom('lead_events')
      .select(['tenant_id', 'content_hash', 'received_at', 'seq', 'result'])
      .where('tenant_id', 'in', tenants)
      .where('content_hash', 'in', [...new Set(hashed.map((item) => item.contentHash))])
      .execute()
    for (const row of rows) {
      const list = byContent.get(key(row.tenant_id, row.content_hash)) ?? []
      list.push({ received_at: Number(row.received_at), seq: Number(row.seq), result: row.result })
      byContent.set(key(row.tenant_id, row.content_hash), list)
    }
  }
  const offers = new Map<string, string>()
  if (aliasPairs.length > 0) {
    const rows = await trx
      .selectFrom('offer_aliases')
      .select(['tenant_id', 'alias', 'offer_id'])
      .where('tenant_id', 'in', tenants)
      .where(
        'alias',
        'in',
        aliasPairs.map(([, alias]) => alias),
      )
      .execute()
    for (const row of rows) offers.set(key(row.tenant_id, row.alias), row.offer_id)
  }
  const identities = new Map<string, readonly [string, string, string]>()
  for (const item of items) {
    const mergeKey = mergeKeyOf(item.draft.customer)
    if (mergeKey === undefined) continue
    const ref = item.draft.offerRef === undefined ? undefined : offerKeyOf(item.draft.offerRef)
    const offerKey = (ref === undefined ? undefined : offers.get(key(item.tenantId, ref))) ?? ref ?? ''
    identities.set(key(item.tenantId, offerKey, mergeKey), [item.tenantId, offerKey, mergeKey])
  }
  const leads = new Map<string, LeadRow>()
  if (identities.size > 0) {
    // Locked in id order: a concurrent batch on another node waits here and then reads what this one wrote.
    const rows = (await trx
      .selectFrom('leads')
      .selectAll()
      .where('tenant_id', 'in', tenants)
      .where('offer_key', 'in', [...new Set([...identities.values()].map(([, offerKey]) => offerKey))])
      .where('merge_key', 'in', [...new Set([...identities.values()].map(([, , mergeKey]) => mergeKey))])
      .orderBy('id')
      .forUpdate()
      .execute()) as LeadRow[]
    for (const row of rows) leads.set(key(row.tenant_id, row.offer_key, row.merge_key), row)
  }
  const routes = new Map<string, string[]>()
  const routeRows = await trx
    .selectFrom('routes')
    .innerJoin('destinations', 'destinations.id', 'routes.destination_id')
    .select(['routes.tenant_id', 'routes.scope', 'routes.destination_id'])
    .where('routes.tenant_id', 'in', tenants)
    .where('destinations.deleted_at', 'is', null)
    .execute()
  for (const row of routeRows) {
    const scoped = key(row.tenant_id, row.scope)
    routes.set(scoped, [...(routes.get(scoped) ?? []), row.destination_id])
  }

  // The items, in order, against what was read plus what earlier items of this batch wrote.
  const insertedLeads = new Map<string, LeadRow>()
  const updatedLeads = new Map<string, LeadRow>()
  const leadsById = new Map([...leads.values()].map((row) => [row.id, row]))
  const deliveries: DeliveryDraft[] = []
  const events: EventRow[] = []
  let notify = false
  const alerts = alertRules === undefined ? undefined : createBatchAlertQueries(alertRules)
  const queries: IngestQueries = {
    ...(alerts && { alerts: alerts.queries }),
    async eventByIdempotencyKey(tenantId, idempotencyKey) {
      return byKey.get(key(tenantId, idempotencyKey))
    },
    async recentEventByContent(tenantId, contentHash, since) {
      const candidates = (byContent.get(key(tenantId, contentHash)) ?? []).filter((row) => row.received_at >= since)
      return candidates.sort((a, b) => b.seq - a.seq)[0]
    },
    async offerIdByAlias(tenantId, alias) {
      return offers.get(key(tenantId, alias))
    },
    async leadByIdentity(tenantId, offerKey, mergeKey) {
      return leads.get(key(tenantId, offerKey, mergeKey))
    },
    async updateLead(id, columns) {
      const current = leadsById.get(id)
      if (!current) throw new Error(`lead ${id} was not read by this batch`)
      const updated: LeadRow = { ...current, ...columns }
      leadsById.set(id, updated)
      leads.set(key(updated.tenant_id, updated.offer_key, updated.merge_key), updated)
      if (insertedLeads.has(id)) insertedLeads.set(id, updated)
      else updatedLeads.set(id, updated)
    },
    async insertLead(row) {
      leadsById.set(row.id, row)
      if (row.merge_key !== null) leads.set(key(row.tenant_id, row.offer_key, row.merge_key), row)
      insertedLeads.set(row.id, row)
    },
    async routedDestinations(tenantId, scope) {
      return routes.get(key(tenantId, scope)) ?? []
    },
    async insertDeliveries(rows) {
      deliveries.push(...rows)
    },
    async insertEvent(row) {
      events.push(row)
      const seq = Number.MAX_SAFE_INTEGER - items.length + events.length
      if (row.idempotency_key !== null) byKey.set(key(row.tenant_id, row.idempotency_key), row)
      const list = byContent.get(key(row.tenant_id, row.content_hash)) ?? []
      list.push({ received_at: Number(row.received_at), seq, result: row.result })
      byContent.set(key(row.tenant_id, row.content_hash), list)
    },
    async notifyWork() {
      notify = true
    },
  }
  const outcomes: IngestOutcome[] = []
  const funnel = new FunnelDeltas()
  for (const item of items) outcomes.push(await recordLeadEvent(queries, item, now, funnel))

  // Writes, one statement per table (more for a batch whose rows would pass PostgreSQL's parameter limit).
  for (const rows of parameterChunks([...insertedLeads.values()])) await trx.insertInto('leads').values(rows).execute()
  for (const rows of parameterChunks([...updatedLeads.values()])) {
    await trx
      .insertInto('leads')
      .values(rows)
      .onConflict((conflict) =>
        conflict
          .column('id')
          .doUpdateSet(Object.fromEntries(updatedLeadColumns.map((column) => [column, sql.ref(`excluded.${column}`)]))),
      )
      .execute()
  }
  const deliveryRows = deliveries.map(({ now: at, ...row }) => ({ ...row, ...queuedDeliveryColumns(at) }))
  for (const rows of parameterChunks(deliveryRows)) await trx.insertInto('deliveries').values(rows).execute()
  for (const rows of parameterChunks(events)) await trx.insertInto('lead_events').values(rows).execute()
  await applyFunnelDeltas(trx, funnel.deltas())
  await alerts?.write(trx)
  if (notify) await notifyWork?.(trx)
  return outcomes
}
