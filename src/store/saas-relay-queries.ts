/**
 * The SaaS webhook relay's durable outbox (docs/decisions/0010-marketplace-subscriptions.md): each call Microsoft sent
 * to a tenant's relay URL, stored before it is answered, relayed in the order received within each subscription's
 * lane, and settled once the publisher's fulfillment service answered.
 */

import { type Kysely, type Selectable, sql } from 'kysely'
import { settledSaasWebhookBody } from '../core/saas-webhook-call.ts'
import type { Database } from './schema.ts'

/** `pending` until relayed; `rejected` when the fulfillment service refused its content; `dead` when given up. */
export type SaasRelayCallState = 'pending' | 'relayed' | 'rejected' | 'dead'

export interface SaasRelayCall {
  readonly id: string
  readonly tenantId: string
  /** '' when the call names no subscription. */
  readonly subscriptionId: string
  readonly operationId?: string
  readonly seq: number
  /** The body exactly as Microsoft sent it; once settled, only its action (core/saas-webhook-call.ts). */
  readonly body: string
  /** Microsoft's `Authorization` header, kept until the call is settled and then cleared. */
  readonly authorization: string
  readonly contentType?: string
  readonly state: SaasRelayCallState
  readonly attempts: number
  readonly runAt: number
  readonly lastError?: string
  readonly lastStatus?: number
  readonly relayedAt?: number
  readonly receivedAt: number
}

export interface NewSaasRelayCall {
  readonly id: string
  readonly tenantId: string
  readonly subscriptionId: string
  readonly operationId?: string
  readonly body: string
  readonly authorization: string
  readonly contentType?: string
  readonly receivedAt: number
}

/** How an attempt ended: settled for good, or to be tried again at `runAt`. */
export type SaasRelayOutcome =
  | { readonly state: 'relayed'; readonly status: number; readonly at: number }
  | { readonly state: 'rejected' | 'dead'; readonly status?: number; readonly error: string; readonly at: number }
  | { readonly state: 'pending'; readonly status?: number; readonly error: string; readonly runAt: number }

export interface SaasRelayStore {
  /**
   * Stores a received call at the end of its tenant's order. Answers the stored call, or the earlier one when Microsoft
   * sent the same operation again (then nothing is stored).
   */
  enqueueSaasRelayCall(call: NewSaasRelayCall): Promise<{ readonly call: SaasRelayCall; readonly duplicate: boolean }>
  /**
   * Leases due calls, at most one per subscription lane and only a lane's oldest pending call, so calls of one
   * subscription are never relayed out of order or two at a time (across nodes too: the lease is a conditional update).
   */
  claimSaasRelayCalls(now: number, leaseMs: number, limit: number): Promise<readonly SaasRelayCall[]>
  /**
   * Records an attempt's outcome and ends the lease; a settled call's Authorization header is cleared and its body
   * reduced to its action.
   */
  settleSaasRelayCall(id: string, attempts: number, outcome: SaasRelayOutcome): Promise<void>
  /** When the next pending call is due (or its lease ends); undefined when none is pending. */
  nextSaasRelayRunAt(): Promise<number | undefined>
  /** The tenant's calls, newest first. */
  listSaasRelayCalls(tenantId: string, options: { readonly limit: number }): Promise<readonly SaasRelayCall[]>
}

function callOf(row: Selectable<Database['saas_relay_calls']>): SaasRelayCall {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    subscriptionId: row.subscription_id,
    ...(row.operation_id !== null && { operationId: row.operation_id }),
    seq: Number(row.seq),
    body: row.body,
    authorization: row.authorization_header,
    ...(row.content_type !== null && { contentType: row.content_type }),
    state: row.state as SaasRelayCallState,
    attempts: Number(row.attempts),
    runAt: Number(row.run_at),
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.last_status !== null && { lastStatus: Number(row.last_status) }),
    ...(row.relayed_at !== null && { relayedAt: Number(row.relayed_at) }),
    receivedAt: Number(row.received_at),
  }
}

function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { code?: unknown })?.code ?? '') + String((error as Error)?.message ?? '')
  return /23505|SQLITE_CONSTRAINT|UNIQUE constraint|duplicate key/i.test(text)
}

export function createSaasRelayQueries(db: Kysely<Database>): SaasRelayStore {
  async function byOperation(tenantId: string, operationId: string) {
    return db
      .selectFrom('saas_relay_calls')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('operation_id', '=', operationId)
      .executeTakeFirst()
  }

  /** Each lane's oldest pending call: the only one that may be relayed. */
  function laneHeads() {
    return db
      .selectFrom('saas_relay_calls as call')
      .where('call.state', '=', 'pending')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('saas_relay_calls as earlier')
              .select(sql`1`.as('one'))
              .whereRef('earlier.tenant_id', '=', 'call.tenant_id')
              .whereRef('earlier.subscription_id', '=', 'call.subscription_id')
              .where('earlier.state', '=', 'pending')
              .whereRef('earlier.seq', '<', 'call.seq'),
          ),
        ),
      )
  }

  return {
    async enqueueSaasRelayCall(call) {
      // The next number in the tenant's order; two nodes taking the same one collide on the unique index and retry.
      for (let attempt = 0; ; attempt++) {
        if (call.operationId !== undefined) {
          const earlier = await byOperation(call.tenantId, call.operationId)
          if (earlier) return { call: callOf(earlier), duplicate: true }
        }
        try {
          await db
            .insertInto('saas_relay_calls')
            .values((eb) => ({
              id: call.id,
              tenant_id: call.tenantId,
              subscription_id: call.subscriptionId,
              operation_id: call.operationId ?? null,
              seq: eb
                .selectFrom('saas_relay_calls')
                .select(sql<number>`coalesce(max(seq), 0) + 1`.as('next'))
                .where('tenant_id', '=', call.tenantId),
              body: call.body,
              authorization_header: call.authorization,
              content_type: call.contentType ?? null,
              state: 'pending',
              attempts: 0,
              run_at: call.receivedAt,
              received_at: call.receivedAt,
            }))
            .execute()
          break
        } catch (error) {
          if (!isUniqueViolation(error) || attempt >= 10) throw error
        }
      }
      const stored = await db.selectFrom('saas_relay_calls').selectAll().where('id', '=', call.id).executeTakeFirst()
      if (!stored) throw new Error('relay call vanished after being written')
      return { call: callOf(stored), duplicate: false }
    },

    async claimSaasRelayCalls(now, leaseMs, limit) {
      const due = await laneHeads()
        .selectAll('call')
        .where('call.run_at', '<=', now)
        .where((eb) => eb.or([eb('call.locked_until', 'is', null), eb('call.locked_until', '<=', now)]))
        .orderBy('call.received_at')
        .orderBy('call.seq')
        .limit(limit)
        .execute()
      const claimed: SaasRelayCall[] = []
      for (const row of due) {
        const result = await db
          .updateTable('saas_relay_calls')
          .set({ locked_until: now + leaseMs })
          .where('id', '=', row.id)
          .where('state', '=', 'pending')
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) === 1) claimed.push(callOf({ ...row, locked_until: now + leaseMs }))
      }
      return claimed
    },

    async settleSaasRelayCall(id, attempts, outcome) {
      const settled = outcome.state !== 'pending'
      const stored = settled
        ? await db.selectFrom('saas_relay_calls').select('body').where('id', '=', id).executeTakeFirst()
        : undefined
      await db
        .updateTable('saas_relay_calls')
        .set({
          state: outcome.state,
          attempts,
          locked_until: null,
          last_status: outcome.status ?? null,
          last_error: outcome.state === 'relayed' ? null : outcome.error.slice(0, 1000),
          ...(outcome.state === 'pending' && { run_at: outcome.runAt }),
          ...(outcome.state === 'relayed' && { relayed_at: outcome.at }),
          // Microsoft's bearer token and the body's purchaser and beneficiary are needed only to relay; once settled
          // the token is not kept, and of the body only its action, which the relay's log shows.
          ...(settled && { authorization_header: '' }),
          ...(stored !== undefined && { body: settledSaasWebhookBody(stored.body) }),
        })
        .where('id', '=', id)
        .execute()
    },

    async nextSaasRelayRunAt() {
      const row = await laneHeads()
        .select(
          sql<
            number | null
          >`min(case when call.locked_until > call.run_at then call.locked_until else call.run_at end)`.as('next'),
        )
        .executeTakeFirst()
      return row?.next === null || row?.next === undefined ? undefined : Number(row.next)
    },

    async listSaasRelayCalls(tenantId, options) {
      const rows = await db
        .selectFrom('saas_relay_calls')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('seq', 'desc')
        .limit(options.limit)
        .execute()
      return rows.map(callOf)
    },
  }
}
