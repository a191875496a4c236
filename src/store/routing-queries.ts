/**
 * Offers and routes as they change, and the leads that arrived before: leads waiting under one of an offer's names
 * join it (a customer's leads merged into one), and earlier leads are queued for the destinations their route gains.
 * The queries every dialect shares.
 */

import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
  type Transaction,
} from 'kysely'
import type { Customer } from '../core/customer.ts'
import { AppError } from '../core/errors.ts'
import type { Stage } from '../core/funnel.ts'
import { FunnelDeltas } from '../core/funnel-counters.ts'
import { foldRecordedEvents } from '../core/lead.ts'
import { offerKeyOf } from '../core/lead-source.ts'
import type { Executor } from './executor.ts'
import { applyFunnelDeltas } from './funnel-counter-writes.ts'
import { countedLeadColumns, type LeadRow } from './lead-columns.ts'
import { queuedDeliveryColumns } from './queue/queued-delivery.ts'
import { columnsOf, countedLeadOfRow } from './record-lead-event.ts'
import type { Database } from './schema.ts'
import type { Offer, OfferInput, RouteScope } from './types.ts'

/** What to do with leads that arrived before a route gained a destination. */
export type EarlierLeadsChoice = 'deliver' | 'skip'

export interface RoutingChange {
  readonly tenantId: string
  /** Creates or changes this offer first: the leads waiting under one of its names join it. */
  readonly offer?: OfferInput
  /**
   * The destinations of the offer's own route (with `offer`) or of the tenant's default route (without); absent to
   * keep the routing as it is.
   */
  readonly destinationIds?: readonly string[]
  readonly earlierLeads: EarlierLeadsChoice
  /** Works everything out and counts it, then rolls back: nothing is written. */
  readonly dryRun: boolean
  readonly newDeliveryId: () => string
  readonly now: number
}

/** The earlier leads a routing change reaches. */
export interface EarlierLeads {
  readonly choice: EarlierLeadsChoice
  /**
   * Destinations the change adds to the routes of earlier leads, each with the earlier leads that have not reached it
   * yet (no delivery delivered, queued or in flight there).
   */
  readonly destinations: readonly { readonly destinationId: string; readonly leads: number }[]
  /** Earlier leads that have not reached at least one of those destinations. */
  readonly leads: number
  /** One per such lead and destination. */
  readonly deliveries: number
  /** Deliveries queued: `deliveries` when delivering, 0 when skipped or in a dry run. */
  readonly queued: number
}

export interface RoutingChangeResult {
  /** The offer as it is (or, in a dry run, would be) after the change. */
  readonly offer?: Offer
  /** Leads that were waiting for the offer under one of its names and joined it; merged ones count once. */
  readonly joinedLeads: number
  /** Leads folded into another lead of the same customer on the offer. */
  readonly mergedLeads: number
  readonly earlierLeads: EarlierLeads
}

export interface RoutingStore {
  /** Creates or replaces an offer; links leads that were waiting for it under one of its names (see `changeRouting`). */
  putOffer(tenantId: string, offer: OfferInput, now: number): Promise<Offer>
  /**
   * Changes an offer and/or a route in one transaction and reaches the leads that arrived before it. Leads waiting
   * under one of the offer's names join it, a customer's leads on it merged into one with every event. Earlier leads
   * whose route gains destinations (the offer's leads, the leads that join it, or with the default route the leads of
   * every offer without its own) are queued for those destinations only, where nothing was delivered, queued or in
   * flight yet, as ingest would have queued them, test leads included. A lead that absorbed another is queued for each
   * of its destinations that has nothing queued for it, carrying its merged history. `skip` and a dry run count
   * without queueing.
   */
  changeRouting(change: RoutingChange): Promise<RoutingChangeResult>
}

export interface RoutingQueriesOptions {
  readonly db: Kysely<Database>
  /** Locks the leads a merge rewrites, against a concurrent ingest (`for update`), where the dialect has row locks. */
  readonly rowLocks: boolean
  readonly notifyWork?: (trx: Executor) => Promise<void>
}

type LeadsBuilder = ExpressionBuilder<Database & { l: Database['leads'] }, 'l'>
type LeadCondition = (eb: LeadsBuilder) => Expression<SqlBool>

const chunkSize = 500

function chunks<T>(values: readonly T[]): T[][] {
  const out: T[][] = []
  for (let index = 0; index < values.length; index += chunkSize) out.push(values.slice(index, index + chunkSize))
  return out
}

/** An offer as stored, as the domain reads it. */
export function offerOf(row: Selectable<Database['offers']>): Offer {
  return {
    id: row.id,
    ...(row.title !== null && { title: row.title }),
    aliases: JSON.parse(row.aliases) as string[],
    status: row.status === 'live' ? 'live' : 'draft',
    ...(row.published_at !== null && { publishedAt: Number(row.published_at) }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** Destinations routed under `scope` that still exist, as ingest reads them. */
async function routedDestinations(trx: Executor, tenantId: string, scope: RouteScope): Promise<string[]> {
  const rows = await trx
    .selectFrom('routes')
    .innerJoin('destinations', 'destinations.id', 'routes.destination_id')
    .select('routes.destination_id')
    .where('routes.tenant_id', '=', tenantId)
    .where('routes.scope', '=', scope)
    .where('destinations.deleted_at', 'is', null)
    .orderBy('routes.destination_id')
    .execute()
  return rows.map((row) => row.destination_id)
}

async function replaceRoutes(trx: Executor, tenantId: string, scope: RouteScope, destinationIds: readonly string[]) {
  await trx.deleteFrom('routes').where('tenant_id', '=', tenantId).where('scope', '=', scope).execute()
  const unique = [...new Set(destinationIds)]
  if (unique.length > 0) {
    await trx
      .insertInto('routes')
      .values(unique.map((destination_id) => ({ tenant_id: tenantId, scope, destination_id })))
      .execute()
  }
}

/** What ingest routes a lead of this offer to: its own route, else the tenant's default. */
async function effectiveRoute(trx: Executor, tenantId: string, offerId: string): Promise<string[]> {
  const own = await routedDestinations(trx, tenantId, `offer:${offerId}`)
  return own.length > 0 ? own : routedDestinations(trx, tenantId, 'default')
}

async function upsertOffer(trx: Executor, tenantId: string, input: OfferInput, names: readonly string[], now: number) {
  const taken = await trx
    .selectFrom('offer_aliases')
    .select(['alias', 'offer_id'])
    .where('tenant_id', '=', tenantId)
    .where('alias', 'in', names)
    .where('offer_id', '!=', input.id)
    .executeTakeFirst()
  if (taken) {
    throw new AppError('CONFLICT', `"${taken.alias}" already names offer ${taken.offer_id}`, { field: 'aliases' })
  }
  await trx
    .insertInto('offers')
    .values({
      tenant_id: tenantId,
      id: input.id,
      title: input.title ?? null,
      aliases: JSON.stringify(input.aliases),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'id']).doUpdateSet({
        title: input.title ?? null,
        aliases: JSON.stringify(input.aliases),
        updated_at: now,
      }),
    )
    .execute()
  await trx.deleteFrom('offer_aliases').where('tenant_id', '=', tenantId).where('offer_id', '=', input.id).execute()
  await trx
    .insertInto('offer_aliases')
    .values(names.map((alias) => ({ tenant_id: tenantId, alias, offer_id: input.id })))
    .execute()
}

/** Leads that arrived under one of the offer's names before Leadrelay knew the offer. */
function waitingFor(names: readonly string[]): LeadCondition {
  return (eb) => eb.and([eb('l.offer_id', 'is', null), eb('l.offer_key', 'in', names)])
}

/** What the steps that bring earlier leads to an offer (merging customers, joining waiting leads) work on. */
interface OfferLeadsChange {
  readonly tenantId: string
  readonly offerId: string
  /** The offer's id and the names its leads may have arrived under. */
  readonly names: readonly string[]
  readonly rowLocks: boolean
  readonly now: number
  /** Takes the leads' change to the funnel counters, which the caller applies. */
  readonly funnel: FunnelDeltas
}

/**
 * Folds each customer's leads among the offer's leads and the ones waiting for it into one, with every event, and
 * puts it on the offer. The lead already on the offer survives, else the oldest; the others' events and deliveries
 * move to it. Answers the surviving leads and how many were folded into them.
 */
async function mergeCustomers(
  trx: Executor,
  options: OfferLeadsChange,
): Promise<{ survivors: string[]; merged: number }> {
  const { tenantId, offerId, names, now } = options
  // Single-table reads by index only (waiting leads by offer key, the offer's by offer key and merge key), so the
  // plan does not hang on what the planner knows of the table.
  const waiting = await trx
    .selectFrom('leads')
    .select('merge_key')
    .where('tenant_id', '=', tenantId)
    .where('offer_id', 'is', null)
    .where('offer_key', 'in', names)
    .where('merge_key', 'is not', null)
    .execute()
  const seen = new Set<string>()
  const mergeKeySet = new Set<string>()
  for (const { merge_key } of waiting) {
    if (merge_key === null) continue
    if (seen.has(merge_key)) mergeKeySet.add(merge_key)
    seen.add(merge_key)
  }
  for (const part of chunks([...seen])) {
    const onOffer = await trx
      .selectFrom('leads')
      .select('merge_key')
      .where('tenant_id', '=', tenantId)
      .where('offer_key', '=', offerId)
      .where('merge_key', 'in', part)
      .where('offer_id', '=', offerId)
      .execute()
    for (const { merge_key } of onOffer) if (merge_key !== null) mergeKeySet.add(merge_key)
  }
  const mergeKeys = [...mergeKeySet]
  if (mergeKeys.length === 0) return { survivors: [], merged: 0 }
  const candidates = [...new Set([...names, offerId])]

  const rows: LeadRow[] = []
  for (const part of chunks(mergeKeys)) {
    let query = trx
      .selectFrom('leads as l')
      .selectAll()
      .where('l.tenant_id', '=', tenantId)
      .where('l.offer_key', 'in', candidates)
      .where('l.merge_key', 'in', part)
      .where((eb) => eb.or([eb('l.offer_id', 'is', null), eb('l.offer_id', '=', offerId)]))
      .orderBy('l.id')
    if (options.rowLocks) query = query.forUpdate()
    rows.push(...((await query.execute()) as LeadRow[]))
  }
  const events = new Map<string, Selectable<Database['lead_events']>[]>()
  for (const part of chunks(rows.map((row) => row.id))) {
    const eventRows = await trx.selectFrom('lead_events').selectAll().where('lead_id', 'in', part).execute()
    for (const row of eventRows) events.set(row.lead_id, [...(events.get(row.lead_id) ?? []), row])
  }
  const groups = new Map<string, LeadRow[]>()
  for (const row of rows) groups.set(row.merge_key ?? '', [...(groups.get(row.merge_key ?? '') ?? []), row])

  const survivors: string[] = []
  let merged = 0
  const { funnel } = options
  for (const group of groups.values()) {
    if (group.length < 2) continue
    const byAge = [...group].sort(
      (a, b) => Number(a.created_at) - Number(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    const survivor = group.find((row) => row.offer_id === offerId) ?? byAge[0]!
    const others = group.filter((row) => row.id !== survivor.id).map((row) => row.id)
    const history = group
      .flatMap((row) => events.get(row.id) ?? [])
      .sort((a, b) => Number(a.occurred_at) - Number(b.occurred_at) || Number(a.seq) - Number(b.seq))
    const state = foldRecordedEvents(
      history.map((event) => ({
        receivedAt: Number(event.received_at),
        occurredAt: Number(event.occurred_at),
        stage: event.stage as Stage,
        customer: JSON.parse(event.customer) as Customer,
        isTest: event.is_test === 1,
        ...(event.source !== null && { source: event.source }),
        ...(event.action !== null && { action: event.action }),
      })),
    )
    if (state === undefined) continue
    await trx.updateTable('lead_events').set({ lead_id: survivor.id }).where('lead_id', 'in', others).execute()
    await trx.updateTable('deliveries').set({ lead_id: survivor.id }).where('lead_id', 'in', others).execute()
    await trx.deleteFrom('leads').where('id', 'in', others).execute()
    const merge = {
      ...columnsOf(state),
      offer_id: offerId,
      offer_key: offerId,
      updated_at: now,
      // Above every version the merged leads were delivered at, so no earlier delivery passes for this state.
      version: Math.max(...group.map((row) => Number(row.version))) + 1,
    }
    await trx.updateTable('leads').set(merge).where('id', '=', survivor.id).execute()
    for (const row of group) funnel.change(countedLeadOfRow(row), undefined)
    funnel.change(undefined, countedLeadOfRow({ ...survivor, ...merge }))
    survivors.push(survivor.id)
    merged += others.length
  }
  return { survivors, merged }
}

/** Puts waiting leads on the offer, set-wise; answers how many joined. Their change to the counters goes to `funnel`. */
async function joinWaiting(trx: Executor, options: OfferLeadsChange) {
  const { tenantId, offerId, names, now, funnel } = options
  // Their funnel counters move from the name they arrived under to the offer's id; locked where rows lock, so an
  // ingest on another node cannot change a lead between this read and the update.
  let waiting = trx
    .selectFrom('leads')
    .select(countedLeadColumns)
    .where('tenant_id', '=', tenantId)
    .where('offer_id', 'is', null)
    .where('offer_key', 'in', names)
    .orderBy('id')
  if (options.rowLocks) waiting = waiting.forUpdate()
  const joining = await waiting.execute()
  for (const row of joining) funnel.change(countedLeadOfRow(row), countedLeadOfRow({ ...row, offer_key: offerId }))
  const result = await trx
    .updateTable('leads')
    .set({ offer_id: offerId, offer_key: offerId, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('offer_id', 'is', null)
    .where('offer_key', 'in', names)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

const reached = ['delivered', 'queued', 'in_flight'] as const
const pending = ['queued', 'in_flight'] as const

/** Leads matching `condition` with no delivery in one of `states` to the destination. */
async function leadsWithout(
  trx: Executor,
  tenantId: string,
  condition: LeadCondition,
  destinationId: string,
  states: readonly string[],
): Promise<{ id: string; version: number }[]> {
  const rows = await trx
    .selectFrom('leads as l')
    .select(['l.id', 'l.version'])
    .where('l.tenant_id', '=', tenantId)
    .where(condition)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('deliveries as x')
            .select(sql`1`.as('one'))
            .where('x.destination_id', '=', destinationId)
            .whereRef('x.lead_id', '=', 'l.id')
            .where('x.state', 'in', states),
        ),
      ),
    )
    .execute()
  return rows.map((row) => ({ id: row.id, version: Number(row.version) }))
}

/** Pairs of (lead, destination) to queue, gathered from several lead sets; each pair once. */
function createBackfill() {
  const pairs = new Map<string, Map<string, number>>()
  const gained = new Set<string>()
  return {
    async add(
      trx: Executor,
      tenantId: string,
      condition: LeadCondition,
      destinations: readonly string[],
      options: { states?: readonly string[]; listedWhenNone?: boolean } = {},
    ) {
      for (const destinationId of destinations) {
        const found = await leadsWithout(trx, tenantId, condition, destinationId, options.states ?? reached)
        // A destination new to the route is listed even when every lead reached it already.
        if (found.length === 0 && !options.listedWhenNone) continue
        gained.add(destinationId)
        const leads = pairs.get(destinationId) ?? new Map<string, number>()
        for (const lead of found) leads.set(lead.id, lead.version)
        pairs.set(destinationId, leads)
      }
    },
    summary(choice: EarlierLeadsChoice): Omit<EarlierLeads, 'queued'> {
      const leads = new Set<string>()
      let deliveries = 0
      for (const forDestination of pairs.values()) {
        for (const id of forDestination.keys()) leads.add(id)
        deliveries += forDestination.size
      }
      return {
        choice,
        destinations: [...gained].sort().map((destinationId) => ({
          destinationId,
          leads: pairs.get(destinationId)?.size ?? 0,
        })),
        leads: leads.size,
        deliveries,
      }
    },
    async queue(trx: Executor, tenantId: string, newId: () => string, now: number): Promise<number> {
      const rows = [...pairs].flatMap(([destinationId, leads]) =>
        [...leads].map(([leadId, version]) => ({
          id: newId(),
          tenant_id: tenantId,
          lead_id: leadId,
          destination_id: destinationId,
          lead_version: version,
          ...queuedDeliveryColumns(now),
        })),
      )
      for (const part of chunks(rows)) await trx.insertInto('deliveries').values(part).execute()
      return rows.length
    },
  }
}

const minus = (from: readonly string[], taken: readonly string[]) => from.filter((id) => !taken.includes(id))

/** Thrown to roll a dry run back; carries what the change would have done. */
class DryRun extends Error {
  readonly result: RoutingChangeResult
  constructor(result: RoutingChangeResult) {
    super('dry run')
    this.result = result
  }
}

export function createRoutingQueries(options: RoutingQueriesOptions): RoutingStore {
  const { db } = options

  async function change(trx: Transaction<Database>, change: RoutingChange): Promise<RoutingChangeResult> {
    const { tenantId, now } = change
    const offerId = change.offer?.id
    const defaultBefore = await routedDestinations(trx, tenantId, 'default')
    const offerBefore = offerId === undefined ? [] : await effectiveRoute(trx, tenantId, offerId)
    if (change.destinationIds !== undefined)
      await replaceRoutes(trx, tenantId, offerId === undefined ? 'default' : `offer:${offerId}`, change.destinationIds)
    const backfill = createBackfill()
    let joinedLeads = 0
    let mergedLeads = 0
    if (change.offer !== undefined && offerId !== undefined) {
      const names = [...new Set([offerId, ...change.offer.aliases].map(offerKeyOf))]
      await upsertOffer(trx, tenantId, change.offer, names, now)
      // The offer's leads change once, merging and joining: their counters are written together, at the end.
      const funnel = new FunnelDeltas()
      const merges = await mergeCustomers(trx, { tenantId, offerId, names, rowLocks: options.rowLocks, now, funnel })
      mergedLeads = merges.merged
      const offerAfter = await effectiveRoute(trx, tenantId, offerId)
      // A merged lead changed: each of its destinations gets its whole history, unless something is on its way.
      if (merges.survivors.length > 0)
        await backfill.add(trx, tenantId, (eb) => eb('l.id', 'in', merges.survivors), offerAfter, { states: pending })
      // Waiting leads went to the default route; they now go where the offer's leads go.
      await backfill.add(trx, tenantId, waitingFor(names), minus(offerAfter, defaultBefore))
      // By offer_key too, which the leads_identity index leads with: an offer's leads carry its id in both.
      const ofOffer: LeadCondition = (eb) => eb.and([eb('l.offer_key', '=', offerId), eb('l.offer_id', '=', offerId)])
      await backfill.add(trx, tenantId, ofOffer, minus(offerAfter, offerBefore), {
        listedWhenNone: true,
      })
      joinedLeads =
        merges.survivors.length +
        (await joinWaiting(trx, { tenantId, offerId, names, rowLocks: options.rowLocks, now, funnel }))
      await applyFunnelDeltas(trx, funnel.deltas())
    } else {
      const defaultAfter = await routedDestinations(trx, tenantId, 'default')
      // Leads of offers without their own route, and of offers not configured yet, go where the default route goes.
      await backfill.add(
        trx,
        tenantId,
        (eb) =>
          eb.or([
            eb('l.offer_id', 'is', null),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('routes as r')
                  .select(sql`1`.as('one'))
                  .whereRef('r.tenant_id', '=', 'l.tenant_id')
                  .where('r.scope', '=', sql<string>`'offer:' || l.offer_id`),
              ),
            ),
          ]),
        minus(defaultAfter, defaultBefore),
        { listedWhenNone: true },
      )
    }
    const summary = backfill.summary(change.earlierLeads)
    const queued =
      change.earlierLeads === 'deliver' && !change.dryRun
        ? await backfill.queue(trx, tenantId, change.newDeliveryId, now)
        : 0
    if (queued > 0) await options.notifyWork?.(trx)
    const offerRow =
      offerId === undefined
        ? undefined
        : await trx
            .selectFrom('offers')
            .selectAll()
            .where('tenant_id', '=', tenantId)
            .where('id', '=', offerId)
            .executeTakeFirstOrThrow()
    return {
      ...(offerRow !== undefined && { offer: offerOf(offerRow) }),
      joinedLeads,
      mergedLeads,
      earlierLeads: { ...summary, queued },
    }
  }

  return {
    async putOffer(tenantId, input, now) {
      return db.transaction().execute(async (trx) => {
        const names = [...new Set([input.id, ...input.aliases].map(offerKeyOf))]
        await upsertOffer(trx, tenantId, input, names, now)
        const funnel = new FunnelDeltas()
        await mergeCustomers(trx, { tenantId, offerId: input.id, names, rowLocks: options.rowLocks, now, funnel })
        await joinWaiting(trx, { tenantId, offerId: input.id, names, rowLocks: options.rowLocks, now, funnel })
        await applyFunnelDeltas(trx, funnel.deltas())
        const row = await trx
          .selectFrom('offers')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', input.id)
          .executeTakeFirstOrThrow()
        return offerOf(row)
      })
    },

    async changeRouting(routingChange) {
      try {
        return await db.transaction().execute(async (trx) => {
          const result = await change(trx, routingChange)
          if (routingChange.dryRun) throw new DryRun(result)
          return result
        })
      } catch (error) {
        if (error instanceof DryRun) return error.result
        throw error
      }
    },
  }
}
