/**
 * Retention in the store (docs/privacy.md): each tenant's settings, and the three kinds of clean-up a retention run
 * makes, each in small transactions that a caller repeats until a call finds less than a batch, so that no lock is
 * held for longer than one batch takes and ingest commits between any two.
 */

import type { Kysely, Transaction } from 'kysely'
import { defaultRetentionSettings, type RetentionSettings } from '../core/retention.ts'
import type { BookkeepingTransaction } from './executor.ts'
import { customerOfRow } from './record-lead-event.ts'
import type { Database } from './schema.ts'

export interface StoredRetentionSettings extends RetentionSettings {
  /** When the tenant last changed them; absent while the defaults apply. */
  readonly updatedAt?: number
}

/** Where a walk over idle leads stopped: the last lead it looked at, in (last event, id) order. */
export interface IdleLeadCursor {
  readonly lastEventAt: number
  readonly leadId: string
}

export interface IdleLeadBatch {
  /** Idle leads looked at in this batch. */
  readonly leads: number
  /** Events deleted: every event of those leads but the ones the lead keeps. */
  readonly eventsDeleted: number
  /** Kept events whose payload was replaced by the merged lead's customer. */
  readonly eventsReduced: number
  /** Where the next batch starts; absent when the walk is done. */
  readonly nextCursor?: IdleLeadCursor
}

/** Retention, as the Store offers it. */
export interface RetentionStore {
  /** The tenant's settings, or the defaults when it never set any. */
  getRetentionSettings(tenantId: string): Promise<StoredRetentionSettings>
  /** Saves the tenant's settings (whole). */
  putRetentionSettings(tenantId: string, settings: RetentionSettings, now: number): Promise<StoredRetentionSettings>
  /** Every tenant with the settings that apply to it (defaults where none are saved). */
  listRetentionPlan(): Promise<readonly { tenantId: string; settings: StoredRetentionSettings }[]>
  /** Deletes up to `limit` of the tenant's delivery attempts that started before `before`, oldest first. */
  deleteAttemptsBefore(tenantId: string, before: number, limit: number): Promise<number>
  /** Deletes up to `limit` of the tenant's audit entries made before `before`, oldest first. */
  deleteAuditBefore(tenantId: string, before: number, limit: number): Promise<number>
  /**
   * Reduces the events of up to `limit` leads of the tenant whose last event occurred before `idleBefore`, walking
   * them by (last event, id) from `after`. A lead keeps the first event of each stage and source it went through (its
   * funnel facts) and its latest event; the others are deleted. The kept events carry the merged lead's customer
   * instead of the payload as sent, without description, extra or invalid values. The lead row is not changed.
   */
  reduceIdleLeadEvents(
    tenantId: string,
    idleBefore: number,
    limit: number,
    after?: IdleLeadCursor,
  ): Promise<IdleLeadBatch>
}

export interface RetentionQueriesOptions {
  readonly db: Kysely<Database>
  /**
   * The transaction retention writes in: the store's bookkeeping transaction on SQLite (begun IMMEDIATE, committed
   * without an fsync: a deletion a power failure undoes is made again by the next run); Kysely's otherwise.
   */
  readonly writeTransaction?: BookkeepingTransaction
}

type SettingsRow = Database['retention_settings']

function settingsOf(row: SettingsRow | undefined): StoredRetentionSettings {
  if (!row) return defaultRetentionSettings
  return {
    attemptsDays: Number(row.attempts_days),
    leadEventsIdleMonths: Number(row.lead_events_idle_months),
    auditMonths: Number(row.audit_months),
    updatedAt: Number(row.updated_at),
  }
}

/** Statement parameters stay well under SQLite's and PostgreSQL's limits. */
const chunkSize = 500

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += chunkSize) result.push(items.slice(start, start + chunkSize))
  return result
}

export function createRetentionQueries({ db, writeTransaction }: RetentionQueriesOptions): RetentionStore {
  const inTransaction: BookkeepingTransaction =
    writeTransaction ?? (<T>(work: (trx: Transaction<Database>) => Promise<T>) => db.transaction().execute(work))

  return {
    async getRetentionSettings(tenantId) {
      return settingsOf(
        await db.selectFrom('retention_settings').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst(),
      )
    },

    async putRetentionSettings(tenantId, settings, now) {
      const row = {
        tenant_id: tenantId,
        attempts_days: settings.attemptsDays,
        lead_events_idle_months: settings.leadEventsIdleMonths,
        audit_months: settings.auditMonths,
        updated_at: now,
      }
      await db
        .insertInto('retention_settings')
        .values(row)
        .onConflict((oc) =>
          oc.column('tenant_id').doUpdateSet({
            attempts_days: row.attempts_days,
            lead_events_idle_months: row.lead_events_idle_months,
            audit_months: row.audit_months,
            updated_at: row.updated_at,
          }),
        )
        .execute()
      return settingsOf(row)
    },

    async listRetentionPlan() {
      const rows = await db
        .selectFrom('tenants as t')
        .leftJoin('retention_settings as r', 'r.tenant_id', 't.id')
        .select(['t.id', 'r.attempts_days', 'r.lead_events_idle_months', 'r.audit_months', 'r.updated_at'])
        .orderBy('t.id')
        .execute()
      return rows.map((row) => ({
        tenantId: row.id,
        settings:
          row.attempts_days === null ||
          row.lead_events_idle_months === null ||
          row.audit_months === null ||
          row.updated_at === null
            ? defaultRetentionSettings
            : settingsOf({
                tenant_id: row.id,
                attempts_days: row.attempts_days,
                lead_events_idle_months: row.lead_events_idle_months,
                audit_months: row.audit_months,
                updated_at: row.updated_at,
              }),
      }))
    },

    async deleteAttemptsBefore(tenantId, before, limit) {
      return inTransaction(async (trx) => {
        const oldest = trx
          .selectFrom('delivery_attempts')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('started_at', '<', before)
          .orderBy('started_at')
          .limit(limit)
        const result = await trx.deleteFrom('delivery_attempts').where('id', 'in', oldest).executeTakeFirst()
        return Number(result.numDeletedRows)
      })
    },

    async deleteAuditBefore(tenantId, before, limit) {
      return inTransaction(async (trx) => {
        const oldest = trx
          .selectFrom('audit_log')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('at', '<', before)
          .orderBy('at')
          .limit(limit)
        const result = await trx.deleteFrom('audit_log').where('id', 'in', oldest).executeTakeFirst()
        return Number(result.numDeletedRows)
      })
    },

    async reduceIdleLeadEvents(tenantId, idleBefore, limit, after) {
      // Read and decide outside the write transaction (a reader blocks no writer), then write only what changes, in
      // a short transaction that leaves out any lead changed in between (its version moved on).
      let leadQuery = db
        .selectFrom('leads')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('last_event_at', '<', idleBefore)
      if (after)
        leadQuery = leadQuery.where((eb) =>
          eb.or([
            eb('last_event_at', '>', after.lastEventAt),
            eb.and([eb('last_event_at', '=', after.lastEventAt), eb('id', '>', after.leadId)]),
          ]),
        )
      const leads = await leadQuery.orderBy('last_event_at').orderBy('id').limit(limit).execute()
      if (leads.length === 0) return { leads: 0, eventsDeleted: 0, eventsReduced: 0 }
      const events = await db
        .selectFrom('lead_events')
        .select(['seq', 'lead_id', 'stage', 'source', 'customer', 'description', 'extra', 'invalid'])
        .where('tenant_id', '=', tenantId)
        .where(
          'lead_id',
          'in',
          leads.map((lead) => lead.id),
        )
        .orderBy('lead_id')
        .orderBy('occurred_at')
        .orderBy('seq')
        .execute()
      const eventsOf = new Map<string, typeof events>()
      for (const event of events) {
        const list = eventsOf.get(event.lead_id) ?? []
        list.push(event)
        eventsOf.set(event.lead_id, list)
      }
      const plans: { leadId: string; version: number; merged: string; deleted: number[]; stale: number[] }[] = []
      for (const lead of leads) {
        const own = eventsOf.get(lead.id) ?? []
        const kept = new Set<(typeof own)[number]>()
        const seen = new Set<string>()
        for (const event of own) {
          const fact = `${event.stage}\u0000${event.source ?? ''}`
          if (seen.has(fact)) continue
          seen.add(fact)
          kept.add(event)
        }
        const latest = own.at(-1)
        if (latest) kept.add(latest)
        const merged = JSON.stringify(customerOfRow(lead))
        const deleted = own.filter((event) => !kept.has(event)).map((event) => Number(event.seq))
        const stale = [...kept]
          .filter(
            (event) =>
              event.customer !== merged || event.description !== null || event.extra !== null || event.invalid !== null,
          )
          .map((event) => Number(event.seq))
        if (deleted.length > 0 || stale.length > 0)
          plans.push({ leadId: lead.id, version: Number(lead.version), merged, deleted, stale })
      }
      let eventsDeleted = 0
      let eventsReduced = 0
      if (plans.length > 0)
        await inTransaction(async (trx) => {
          const current = await trx
            .selectFrom('leads')
            .select(['id', 'version'])
            .where(
              'id',
              'in',
              plans.map((plan) => plan.leadId),
            )
            .execute()
          const versions = new Map(current.map((row) => [row.id, Number(row.version)]))
          const unchanged = plans.filter((plan) => versions.get(plan.leadId) === plan.version)
          for (const plan of unchanged)
            for (const seqs of chunks(plan.stale))
              await trx
                .updateTable('lead_events')
                .set({ customer: plan.merged, description: null, extra: null, invalid: null })
                .where('seq', 'in', seqs)
                .execute()
          for (const seqs of chunks(unchanged.flatMap((plan) => plan.deleted)))
            await trx.deleteFrom('lead_events').where('seq', 'in', seqs).execute()
          eventsDeleted = unchanged.reduce((sum, plan) => sum + plan.deleted.length, 0)
          eventsReduced = unchanged.reduce((sum, plan) => sum + plan.stale.length, 0)
        })
      const last = leads.at(-1)!
      return {
        leads: leads.length,
        eventsDeleted,
        eventsReduced,
        ...(leads.length === limit && {
          nextCursor: { lastEventAt: Number(last.last_event_at), leadId: last.id },
        }),
      }
    },
  }
}
