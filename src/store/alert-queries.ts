/** The alert tables (docs/decisions/0007-alerts.md): rules, channels, sends and their attempts, digests. */

import { type Kysely, type Selectable, sql } from 'kysely'
import type { AlertRule } from '../core/alert-rules.ts'
import { alertRuleOfRow, forgetCachedAlertRules } from './alert-ingest.ts'
import type { Database } from './schema.ts'

/** A configured alert channel as stored; secrets stay sealed (same keyring as destinations). */
export interface AlertChannelRecord {
  readonly id: string
  readonly tenantId: string
  readonly kind: string
  readonly name: string
  readonly config: unknown
  readonly sealedSecrets?: string
  readonly createdAt: number
  readonly updatedAt: number
}

export type AlertSendState = 'queued' | 'in_flight' | 'delivered' | 'dead'

/** One alert on its way to one channel, with the alert's facts. */
export interface AlertSendRecord {
  readonly id: string
  readonly alertId: string
  readonly tenantId: string
  readonly channelId: string
  readonly ruleId: string
  /** Absent once the rule was deleted. */
  readonly ruleName?: string
  readonly leadId: string
  readonly stage: string
  readonly leadVersion: number
  readonly firedAt: number
  readonly state: AlertSendState
  /** Attempts that counted towards the retry schedule. */
  readonly attempts: number
  readonly runAt: number
  readonly lastError?: string
  readonly lastStatus?: number
  readonly sentAt?: number
  readonly createdAt: number
  /** Set on a claimed send: the lease, which `completeAlertSend` must present. */
  readonly lockedUntil?: number
}

export interface AlertAttemptRecord {
  readonly id: string
  readonly sendId: string
  readonly number: number
  readonly startedAt: number
  readonly durationMs: number
  /** `delivered` or the failure kind. */
  readonly outcome: string
  readonly status?: number
  readonly error?: string
}

export interface AlertSendCompletion {
  readonly send: AlertSendRecord
  readonly attempt: Omit<AlertAttemptRecord, 'sendId' | 'number'>
  readonly next: { readonly state: 'queued' | 'delivered' | 'dead'; readonly attempts: number; readonly runAt?: number }
  readonly now: number
}

export type DigestFrequency = 'daily' | 'weekly' | 'off'

export interface DigestSettings {
  readonly frequency: DigestFrequency
  readonly emails: readonly string[]
}

export interface AlertStore {
  listAlertRules(tenantId: string): Promise<readonly AlertRule[]>
  getAlertRule(tenantId: string, ruleId: string): Promise<AlertRule | undefined>
  /** Creates or replaces the rule. */
  putAlertRule(rule: AlertRule, now: number): Promise<void>
  deleteAlertRule(tenantId: string, ruleId: string, now: number): Promise<boolean>

  listAlertChannels(tenantId: string): Promise<readonly AlertChannelRecord[]>
  getAlertChannel(tenantId: string, channelId: string): Promise<AlertChannelRecord | undefined>
  /** Creates or replaces the channel. */
  putAlertChannel(channel: Omit<AlertChannelRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<void>
  deleteAlertChannel(tenantId: string, channelId: string, now: number): Promise<boolean>

  /**
   * Leases due sends, at most one per channel: the channel's oldest unsent alert, so a channel gets its alerts in the
   * order they fired and a failing one waits as a whole. A lease that ran out is claimed again.
   */
  claimAlertSends(request: { now: number; leaseMs: number; limit: number }): Promise<readonly AlertSendRecord[]>
  /** Logs the attempt and moves the send on; false when the lease was lost meanwhile (nothing is written). */
  completeAlertSend(completion: AlertSendCompletion): Promise<boolean>
  listAlertSends(
    tenantId: string,
    filter: { leadId?: string; channelId?: string; limit: number },
  ): Promise<readonly AlertSendRecord[]>
  getAlertSend(tenantId: string, sendId: string): Promise<AlertSendRecord | undefined>
  listAlertAttempts(tenantId: string, sendId: string): Promise<readonly AlertAttemptRecord[]>
  /** Queues a delivered or dead send again, now. */
  replayAlertSend(tenantId: string, sendId: string, now: number): Promise<boolean>

  getDigestSettings(tenantId: string): Promise<DigestSettings>
  putDigestSettings(tenantId: string, settings: DigestSettings, now: number): Promise<void>
  /** Tenants whose digest is on. */
  listDigestTenants(): Promise<readonly { readonly tenantId: string; readonly settings: DigestSettings }[]>
  /** Takes the period for sending; false when it was taken before (another node, or before a restart). */
  claimDigestPeriod(tenantId: string, period: string, now: number): Promise<boolean>
}

type SendRow = Selectable<Database['alert_sends']> & {
  rule_id: string
  rule_name: string | null
  lead_id: string
  stage: string
  lead_version: number
  fired_at: number
}

function sendOf(row: SendRow): AlertSendRecord {
  return {
    id: row.id,
    alertId: row.alert_id,
    tenantId: row.tenant_id,
    channelId: row.channel_id,
    ruleId: row.rule_id,
    ...(row.rule_name !== null && { ruleName: row.rule_name }),
    leadId: row.lead_id,
    stage: row.stage,
    leadVersion: Number(row.lead_version),
    firedAt: Number(row.fired_at),
    state: row.state as AlertSendState,
    attempts: Number(row.attempts),
    runAt: Number(row.run_at),
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.last_status !== null && { lastStatus: Number(row.last_status) }),
    ...(row.sent_at !== null && { sentAt: Number(row.sent_at) }),
    createdAt: Number(row.created_at),
    ...(row.locked_until !== null && { lockedUntil: Number(row.locked_until) }),
  }
}

function channelOf(row: Selectable<Database['alert_channels']>): AlertChannelRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    name: row.name,
    config: JSON.parse(row.config) as unknown,
    ...(row.secrets !== null && { sealedSecrets: row.secrets }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

const unsent = ['queued', 'in_flight'] as const

export function createAlertQueries(db: Kysely<Database>): AlertStore {
  const sends = () =>
    db
      .selectFrom('alert_sends as s')
      .innerJoin('alerts as a', 'a.id', 's.alert_id')
      .leftJoin('alert_rules as r', 'r.id', 'a.rule_id')
      .selectAll('s')
      .select(['a.rule_id', 'r.name as rule_name', 'a.lead_id', 'a.stage', 'a.lead_version', 'a.fired_at'])

  return {
    async listAlertRules(tenantId) {
      const rows = await db
        .selectFrom('alert_rules')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .execute()
      return rows.map(alertRuleOfRow)
    },

    async getAlertRule(tenantId, ruleId) {
      const row = await db
        .selectFrom('alert_rules')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', ruleId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      return row ? alertRuleOfRow(row) : undefined
    },

    async putAlertRule(rule, now) {
      const columns = {
        name: rule.name,
        enabled: rule.enabled ? 1 : 0,
        criteria: JSON.stringify(rule.criteria),
        channel_ids: JSON.stringify(rule.channelIds),
        updated_at: now,
      }
      await db
        .insertInto('alert_rules')
        .values({ id: rule.id, tenant_id: rule.tenantId, ...columns, created_at: now, deleted_at: null })
        .onConflict((conflict) => conflict.column('id').doUpdateSet(columns))
        .execute()
      forgetCachedAlertRules()
    },

    async deleteAlertRule(tenantId, ruleId, now) {
      const result = await db
        .updateTable('alert_rules')
        .set({ deleted_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', ruleId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      forgetCachedAlertRules()
      return Number(result.numUpdatedRows) > 0
    },

    async listAlertChannels(tenantId) {
      const rows = await db
        .selectFrom('alert_channels')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .execute()
      return rows.map(channelOf)
    },

    async getAlertChannel(tenantId, channelId) {
      const row = await db
        .selectFrom('alert_channels')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', channelId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      return row ? channelOf(row) : undefined
    },

    async putAlertChannel(channel, now) {
      const columns = {
        kind: channel.kind,
        name: channel.name,
        config: JSON.stringify(channel.config ?? {}),
        secrets: channel.sealedSecrets ?? null,
        updated_at: now,
      }
      await db
        .insertInto('alert_channels')
        .values({ id: channel.id, tenant_id: channel.tenantId, ...columns, created_at: now, deleted_at: null })
        .onConflict((conflict) => conflict.column('id').doUpdateSet(columns))
        .execute()
    },

    async deleteAlertChannel(tenantId, channelId, now) {
      const result = await db
        .updateTable('alert_channels')
        .set({ deleted_at: now, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', channelId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async claimAlertSends({ now, leaseMs, limit }) {
      const heads = (await sends()
        .where('s.state', 'in', unsent)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('alert_sends as e')
                .select(sql`1`.as('one'))
                .whereRef('e.channel_id', '=', 's.channel_id')
                .where('e.state', 'in', unsent)
                .where((older) =>
                  older.or([
                    older('e.created_at', '<', older.ref('s.created_at')),
                    older.and([
                      older('e.created_at', '=', older.ref('s.created_at')),
                      older('e.id', '<', older.ref('s.id')),
                    ]),
                  ]),
                ),
            ),
          ),
        )
        .where((eb) =>
          eb.or([
            eb.and([eb('s.state', '=', 'queued'), eb('s.run_at', '<=', now)]),
            eb.and([eb('s.state', '=', 'in_flight'), eb('s.locked_until', '<=', now)]),
          ]),
        )
        .orderBy('s.created_at')
        .orderBy('s.id')
        .limit(limit)
        .execute()) as SendRow[]
      const claimed: AlertSendRecord[] = []
      for (const row of heads) {
        const lockedUntil = now + leaseMs
        // The same conditions again: another worker may have taken the row since it was read.
        const result = await db
          .updateTable('alert_sends')
          .set({ state: 'in_flight', locked_until: lockedUntil, updated_at: now })
          .where('id', '=', row.id)
          .where((eb) =>
            eb.or([
              eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', now)]),
              eb.and([eb('state', '=', 'in_flight'), eb('locked_until', '<=', now)]),
            ]),
          )
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) === 1)
          claimed.push(sendOf({ ...row, state: 'in_flight', locked_until: lockedUntil }))
      }
      return claimed
    },

    async completeAlertSend({ send, attempt, next, now }) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('alert_sends')
          .set({
            state: next.state,
            attempts: next.attempts,
            run_at: next.runAt ?? now,
            locked_until: null,
            last_error: attempt.outcome === 'delivered' ? null : (attempt.error ?? attempt.outcome),
            last_status: attempt.status ?? null,
            sent_at: next.state === 'delivered' ? now : null,
            updated_at: now,
          })
          .where('id', '=', send.id)
          .where('state', '=', 'in_flight')
          .where('locked_until', '=', send.lockedUntil ?? -1)
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) !== 1) return false
        const { count } = await trx
          .selectFrom('alert_attempts')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('send_id', '=', send.id)
          .executeTakeFirstOrThrow()
        await trx
          .insertInto('alert_attempts')
          .values({
            id: attempt.id,
            send_id: send.id,
            tenant_id: send.tenantId,
            number: Number(count) + 1,
            started_at: attempt.startedAt,
            duration_ms: attempt.durationMs,
            outcome: attempt.outcome,
            status: attempt.status ?? null,
            error: attempt.error ?? null,
          })
          .execute()
        return true
      })
    },

    async listAlertSends(tenantId, filter) {
      let query = sends().where('s.tenant_id', '=', tenantId)
      if (filter.leadId !== undefined) query = query.where('a.lead_id', '=', filter.leadId)
      if (filter.channelId !== undefined) query = query.where('s.channel_id', '=', filter.channelId)
      const rows = (await query
        .orderBy('s.created_at', 'desc')
        .orderBy('s.id', 'desc')
        .limit(filter.limit)
        .execute()) as SendRow[]
      return rows.map(sendOf)
    },

    async getAlertSend(tenantId, sendId) {
      const row = (await sends().where('s.tenant_id', '=', tenantId).where('s.id', '=', sendId).executeTakeFirst()) as
        | SendRow
        | undefined
      return row ? sendOf(row) : undefined
    },

    async listAlertAttempts(tenantId, sendId) {
      const rows = await db
        .selectFrom('alert_attempts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('send_id', '=', sendId)
        .orderBy('number')
        .execute()
      return rows.map((row) => ({
        id: row.id,
        sendId: row.send_id,
        number: Number(row.number),
        startedAt: Number(row.started_at),
        durationMs: Number(row.duration_ms),
        outcome: row.outcome,
        ...(row.status !== null && { status: Number(row.status) }),
        ...(row.error !== null && { error: row.error }),
      }))
    },

    async replayAlertSend(tenantId, sendId, now) {
      const result = await db
        .updateTable('alert_sends')
        .set({ state: 'queued', attempts: 0, run_at: now, created_at: now, updated_at: now, locked_until: null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', sendId)
        .where('state', 'in', ['delivered', 'dead'])
        .executeTakeFirst()
      return Number(result.numUpdatedRows) > 0
    },

    async getDigestSettings(tenantId) {
      const row = await db
        .selectFrom('alert_digest_settings')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst()
      return row
        ? { frequency: row.frequency as DigestFrequency, emails: JSON.parse(row.emails) as string[] }
        : { frequency: 'off', emails: [] }
    },

    async putDigestSettings(tenantId, settings, now) {
      const columns = { frequency: settings.frequency, emails: JSON.stringify(settings.emails), updated_at: now }
      await db
        .insertInto('alert_digest_settings')
        .values({ tenant_id: tenantId, ...columns })
        .onConflict((conflict) => conflict.column('tenant_id').doUpdateSet(columns))
        .execute()
    },

    async listDigestTenants() {
      const rows = await db
        .selectFrom('alert_digest_settings')
        .selectAll()
        .where('frequency', '!=', 'off')
        .orderBy('tenant_id')
        .execute()
      return rows.map((row) => ({
        tenantId: row.tenant_id,
        settings: { frequency: row.frequency as DigestFrequency, emails: JSON.parse(row.emails) as string[] },
      }))
    },

    async claimDigestPeriod(tenantId, period, now) {
      const inserted = await db
        .insertInto('alert_digests')
        .values({ tenant_id: tenantId, period, sent_at: now })
        .onConflict((conflict) => conflict.columns(['tenant_id', 'period']).doNothing())
        .executeTakeFirst()
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0
    },
  }
}
