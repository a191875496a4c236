/** The queries every dialect shares. Dialect folders add connection setup, migrations and claiming. */

import { type Kysely, type Selectable, sql } from 'kysely'
import type { Customer } from '../core/customer.ts'
import type { Stage } from '../core/funnel.ts'
import type { Lead, LeadEvent, LeadHistory } from '../core/lead.ts'
import { createAlertRulesCache } from './alert-ingest.ts'
import { createAlertQueries } from './alert-queries.ts'
import { createAuditQueries } from './audit-queries.ts'
import { createDeliveryListQueries } from './delivery-list-queries.ts'
import { createDestinationQueries } from './destination-queries.ts'
import type { BookkeepingTransaction, Executor } from './executor.ts'
import { createFunnelQueries } from './funnel-queries.ts'
import { createKeyQueries } from './key-queries.ts'
import type { LeadRow } from './lead-columns.ts'
import { createLeadListQueries } from './lead-list-queries.ts'
import { type Migration, pendingMigrations, runMigrations } from './migrations.ts'
import { createPeopleQueries } from './people-queries.ts'
import { createPrivacyQueries } from './privacy-queries.ts'
import type { ClaimLocking } from './queue/queue-context.ts'
import { createQueueQueries } from './queue/queue-queries.ts'
import { customerOfRow } from './record-lead-event.ts'
import { recordLeadEventBatch } from './record-lead-event-batch.ts'
import { createRetentionQueries } from './retention-queries.ts'
import { createRouteQueries } from './route-queries.ts'
import { createRoutingQueries, offerOf } from './routing-queries.ts'
import { createSaasRelayQueries } from './saas-relay-queries.ts'
import type { Database } from './schema.ts'
import { createSubscriptionQueries } from './subscription-queries.ts'
import { createTenantQueries } from './tenant-queries.ts'
import type { BulkImportPlan, IngestItem, IngestOutcome, Store, StoreCapabilities, Tenant } from './types.ts'

export interface KyselyStoreOptions {
  readonly db: Kysely<Database>
  readonly capabilities: StoreCapabilities
  readonly migrations: readonly Migration[]
  /** Runs `work` as the only migrator (an advisory lock on PostgreSQL; SQLite has one writer anyway). */
  readonly withMigrationLock?: <T>(work: () => Promise<T>) => Promise<T>
  readonly onClose?: () => Promise<void>
  readonly claimLocking?: ClaimLocking
  readonly bookkeepingTransaction?: BookkeepingTransaction
  readonly notifyWork?: (trx: Executor) => Promise<void>
  /**
   * Records a batch in one durable transaction, where the dialect has a faster way than Kysely (SQLite's prepared
   * statements); resolves one outcome per item or rejects when the batch as a whole failed.
   */
  readonly recordBatch?: (items: readonly IngestItem[], now: number) => Promise<IngestOutcome[]>
  /** Delivers LISTEN/NOTIFY wake-ups, where the dialect has them. */
  readonly listenForWork?: (onWork: () => void) => Promise<() => Promise<void>>
  /** Sets indexes aside during a large bulk import, where the dialect gains from it (sqlite/deferred-indexes.ts). */
  readonly indexDeferral?: IndexDeferral
  /**
   * Refreshes the planner's statistics and visibility of the tables ingest writes, after a bulk import (PostgreSQL's
   * VACUUM ANALYZE): until autovacuum gets there, a store that grew from thousands to a million rows is planned as if
   * it were still small, and its index scans visit the table for every row.
   */
  readonly refreshStatistics?: () => Promise<void>
}

/** Bulk imports of fewer rows than this leave the planner's statistics to the database's own schedule. */
export const refreshStatisticsAfterRows = 1000

/** A dialect's way to drop the indexes only reads use and build them again later (`Store.runBulkImport`). */
export interface IndexDeferral {
  /** Whether an import of `expectedRows` rows gains from building the indexes at its end. */
  worthDeferring(expectedRows: number): Promise<boolean>
  /** Drops the indexes, recording each with its definition in the same transaction; answers how many. */
  setAside(now: number): Promise<number>
  /** Builds every index recorded as set aside (none, usually), one transaction each; answers how many. */
  buildPending(onBuilt?: (built: number, total: number) => void): Promise<number>
}

function leadOf(row: LeadRow): Lead {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    ...(row.offer_id !== null && { offerId: row.offer_id }),
    offerKey: row.offer_key,
    stage: row.stage as Stage,
    doNotContact: row.do_not_contact === 1,
    isTest: row.is_test === 1,
    customer: customerOfRow(row),
    ...(row.source !== null && { source: row.source }),
    ...(row.action !== null && { action: row.action }),
    eventCount: Number(row.event_count),
    firstEventAt: Number(row.first_event_at),
    lastEventAt: Number(row.last_event_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
    ...(row.erased_at !== null && row.erased_at !== undefined && { erasedAt: Number(row.erased_at) }),
    ...(Number(row.previously_erased ?? 0) === 1 && { previouslyErased: true }),
  }
}

function eventOf(row: Selectable<Database['lead_events']>): LeadEvent {
  return {
    id: row.id,
    leadId: row.lead_id,
    format: row.format,
    receivedAt: Number(row.received_at),
    occurredAt: Number(row.occurred_at),
    ...(row.lead_source !== null && { leadSource: row.lead_source }),
    ...(row.source !== null && { source: row.source }),
    ...(row.action !== null && { action: row.action }),
    stage: row.stage as Stage,
    ...(row.offer_ref !== null && { offerRef: row.offer_ref }),
    ...(row.offer_title !== null && { offerTitle: row.offer_title }),
    ...(row.description !== null && { description: row.description }),
    customer: JSON.parse(row.customer) as Customer,
    ...(row.invalid !== null && { invalid: JSON.parse(row.invalid) as Record<string, string> }),
    ...(row.extra !== null && { extra: JSON.parse(row.extra) as Record<string, unknown> }),
    isTest: row.is_test === 1,
  }
}

function tenantOf(row: { id: string; name: string; created_at: number }): Tenant {
  return { id: row.id, name: row.name, createdAt: Number(row.created_at) }
}

export function createKyselyStore(options: KyselyStoreOptions): Store {
  const { db, capabilities } = options
  const withMigrationLock = options.withMigrationLock ?? (<T>(work: () => Promise<T>) => work())
  const leadList = createLeadListQueries({ db, capabilities })
  const alerts = createAlertQueries(db)
  const alertRules = createAlertRulesCache((tenantId) => alerts.listAlertRules(tenantId))
  const privacy = createPrivacyQueries({
    db,
    capabilities,
    ...(options.notifyWork && { notifyWork: options.notifyWork }),
  })

  const recordBatch =
    options.recordBatch ??
    ((items: readonly IngestItem[], now: number) =>
      db.transaction().execute((trx) => recordLeadEventBatch(trx, items, now, options.notifyWork, alertRules)))

  /** `work` with the indexes only reads use set aside, where the dialect can and the plan asks for it. */
  async function withIndexesDeferred<T>(plan: BulkImportPlan, work: () => Promise<T>): Promise<T> {
    const deferral = options.indexDeferral
    const mode = plan.indexes ?? 'auto'
    if (deferral === undefined || mode === 'during') return work()
    if (mode === 'auto' && !(await deferral.worthDeferring(plan.expectedRows))) return work()
    const total = await deferral.setAside(Date.now())
    plan.onIndexProgress?.(0, total)
    try {
      return await work()
    } finally {
      await deferral.buildPending(plan.onIndexProgress)
    }
  }

  async function recordSeparately(items: readonly IngestItem[], now: number): Promise<IngestOutcome[]> {
    const outcomes: IngestOutcome[] = []
    const recordAlone = async (item: IngestItem) => (await recordBatch([item], now))[0]!
    for (const item of items) {
      try {
        outcomes.push(await recordAlone(item))
      } catch {
        // A second try sees what a concurrent node committed meanwhile (the lead it raced to create).
        try {
          outcomes.push(await recordAlone(item))
        } catch (error) {
          outcomes.push({ status: 'failed', error })
        }
      }
    }
    return outcomes
  }

  return {
    ...createQueueQueries({
      db,
      ...(options.claimLocking && { claimLocking: options.claimLocking }),
      ...(options.notifyWork && { notifyWork: options.notifyWork }),
      ...(options.bookkeepingTransaction && { bookkeepingTransaction: options.bookkeepingTransaction }),
    }),
    ...(options.listenForWork && { listenForWork: options.listenForWork }),
    ...createDestinationQueries(db),
    ...createRouteQueries(db),
    ...createTenantQueries(db),
    ...createAuditQueries(db),
    ...createKeyQueries(db),
    ...createDeliveryListQueries(db),
    ...createPeopleQueries(db),
    eraseCustomer: privacy.eraseCustomer,
    findErasure: privacy.findErasure,
    ...createRetentionQueries({
      db,
      ...(options.bookkeepingTransaction && { writeTransaction: options.bookkeepingTransaction }),
    }),
    ...alerts,
    ...createSubscriptionQueries(db),
    ...createSaasRelayQueries(db),
    ...createRoutingQueries({
      db,
      rowLocks: capabilities.rowLocks,
      ...(options.notifyWork && { notifyWork: options.notifyWork }),
    }),
    ...createFunnelQueries(db),
    capabilities,

    migrate: () =>
      withMigrationLock(async () => {
        // Indexes an import set aside and could not build again (it was killed): before migrations, which may use them.
        await options.indexDeferral?.buildPending()
        return runMigrations(db, options.migrations, Date.now)
      }),
    pendingMigrations: () => pendingMigrations(db, options.migrations),

    async close() {
      await db.destroy()
      await options.onClose?.()
    },

    async ping() {
      await sql`select 1`.execute(db)
    },

    async createTenant(tenant) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('tenants')
          .values({
            id: tenant.id,
            name: tenant.name,
            ingest_token_hash: tenant.ingestTokenHash,
            created_at: tenant.createdAt,
          })
          .execute()
        await trx
          .insertInto('api_keys')
          .values({
            id: tenant.apiKey.id,
            tenant_id: tenant.id,
            key_hash: tenant.apiKey.hash,
            role: 'tenant',
            label: tenant.apiKey.label,
            scopes: 'admin',
            hint: tenant.apiKey.hint ?? null,
            created_at: tenant.createdAt,
            revoked_at: null,
          })
          .execute()
        await trx
          .insertInto('ingest_tokens')
          .values({
            id: tenant.ingestTokenId ?? `itk_${tenant.id}`,
            tenant_id: tenant.id,
            token_hash: tenant.ingestTokenHash,
            hint: null,
            created_at: tenant.createdAt,
            revoked_at: null,
          })
          .execute()
      })
      return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt }
    },

    async countTenants() {
      const row = await db
        .selectFrom('tenants')
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirstOrThrow()
      return Number(row.count)
    },

    async listTenants() {
      const rows = await db.selectFrom('tenants').select(['id', 'name', 'created_at']).orderBy('id').execute()
      return rows.map(tenantOf)
    },

    async getOffer(tenantId, offerId) {
      const row = await db
        .selectFrom('offers')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', offerId)
        .executeTakeFirst()
      return row ? offerOf(row) : undefined
    },

    async listOffers(tenantId) {
      const rows = await db.selectFrom('offers').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute()
      return rows.map(offerOf)
    },

    async recordLeadEvents(items, now) {
      if (items.length === 0) return []
      // Erased customers' old events stay out; later ones come in flagged (privacy-queries.ts).
      return privacy.screenIngest(items, async (admitted) => {
        try {
          return await recordBatch(admitted, now)
        } catch {
          // One bad item must not fail the others it happened to share a commit with.
          return recordSeparately(admitted, now)
        }
      })
    },

    async runBulkImport(plan, work) {
      const result = await withIndexesDeferred(plan, work)
      if (options.refreshStatistics && plan.expectedRows >= refreshStatisticsAfterRows)
        await options.refreshStatistics()
      return result
    },

    async listLeads(tenantId, filter, page) {
      const { rows, nextCursor } = await leadList.listLeads(tenantId, filter, page)
      return { items: rows.map(leadOf), ...(nextCursor !== undefined && { nextCursor }) }
    },

    countLeads: leadList.countLeads,

    async getLead(tenantId, leadId) {
      const row = await db
        .selectFrom('leads')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', leadId)
        .executeTakeFirst()
      return row ? leadOf(row) : undefined
    },

    async listLeadEvents(tenantId, leadId): Promise<LeadEvent[]> {
      const rows = await db
        .selectFrom('lead_events')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('lead_id', '=', leadId)
        .orderBy('occurred_at')
        .orderBy('seq')
        .execute()
      return rows.map(eventOf)
    },

    async loadLeadHistories(leads) {
      const histories = new Map<string, LeadHistory>()
      if (leads.length === 0) return histories
      const ids = [...new Set(leads.map((lead) => lead.leadId))]
      const [leadRows, eventRows] = await Promise.all([
        db.selectFrom('leads').selectAll().where('id', 'in', ids).execute(),
        db
          .selectFrom('lead_events')
          .selectAll()
          .where('lead_id', 'in', ids)
          .orderBy('lead_id')
          .orderBy('occurred_at')
          .orderBy('seq')
          .execute(),
      ])
      const asked = new Set(leads.map((lead) => `${lead.tenantId} ${lead.leadId}`))
      const found = leadRows.map(leadOf).filter((lead) => asked.has(`${lead.tenantId} ${lead.id}`))
      const offerIds = [...new Set(found.flatMap((lead) => (lead.offerId === undefined ? [] : [lead.offerId])))]
      const offerRows =
        offerIds.length === 0
          ? []
          : await db.selectFrom('offers').select(['tenant_id', 'id', 'title']).where('id', 'in', offerIds).execute()
      const titles = new Map(offerRows.map((row) => [`${row.tenant_id} ${row.id}`, row.title]))
      const events = new Map<string, LeadEvent[]>()
      for (const row of eventRows) {
        const list = events.get(row.lead_id) ?? []
        list.push(eventOf(row))
        events.set(row.lead_id, list)
      }
      for (const lead of found) {
        const title = lead.offerId === undefined ? undefined : titles.get(`${lead.tenantId} ${lead.offerId}`)
        histories.set(lead.id, {
          lead,
          events: events.get(lead.id) ?? [],
          ...(title !== undefined && title !== null && { offerTitle: title }),
        })
      }
      return histories
    },

    async countLeadEvents(tenantId) {
      const row = await db
        .selectFrom('lead_events')
        .select((eb) => eb.fn.countAll().as('count'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
      return Number(row.count)
    },
  }
}
