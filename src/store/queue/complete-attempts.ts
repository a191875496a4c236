/**
 * Completion: records finished attempts and applies their transitions, in four statements however many there are
 * (plus two per destination health change), inside one bookkeeping transaction: on PostgreSQL each statement is a
 * round trip, and on SQLite the transaction is one turn at the write lock.
 */

import { type Insertable, sql } from 'kysely'
import type { Executor } from '../executor.ts'
import type { Database } from '../schema.ts'
import type { AttemptCompletion } from '../types.ts'
import type { QueueContext } from './queue-context.ts'

/** What a completion writes into its delivery row. */
export interface DeliveryChange {
  readonly state: string
  readonly attempts: number
  readonly runAt: number | null
  readonly lastError: string | null
  readonly lastErrorKind: string | null
  readonly lastStatus: number | null
  readonly deliveredAt: number | null
  readonly externalId: string | null
  readonly now: number
  /** Attempts recorded for the delivery once this one is. */
  readonly attemptCount: number
}

function deliveryChangeOf(completion: AttemptCompletion, attemptCount: number): DeliveryChange {
  const { transition, attempt, now } = completion
  let lastError = attempt.error ?? transition.reason ?? null
  if (transition.state === 'delivered') lastError = null
  if (transition.state === 'dead' && transition.reason !== undefined) lastError = transition.reason
  return {
    state: transition.state,
    attempts: transition.attempts,
    runAt: transition.runAt ?? null,
    lastError,
    lastErrorKind: attempt.outcome === 'delivered' ? null : attempt.outcome,
    lastStatus: attempt.status ?? null,
    deliveredAt: transition.state === 'delivered' ? now : null,
    externalId: transition.state === 'delivered' ? (completion.externalId ?? null) : null,
    now,
    attemptCount,
  }
}

/**
 * The deliveries being completed as they are now. The attempt number comes from this row: a worker whose lease ran
 * out may record beside the new holder, so where workers run concurrently the rows are locked.
 */
export function completedDeliveriesQuery(executor: Executor, deliveryIds: readonly string[], lockRows: boolean) {
  return executor
    .selectFrom('deliveries')
    .select(['id', 'tenant_id', 'state', 'locked_by', 'destination_id', 'attempt_count'])
    .where('id', 'in', deliveryIds)
    .$if(lockRows, (query) => query.forUpdate())
}

/** Inserts the attempt log rows; recording is retried until it succeeds, so a repeated insert adds nothing. */
export function insertAttemptsQuery(executor: Executor, rows: readonly Insertable<Database['delivery_attempts']>[]) {
  return executor
    .insertInto('delivery_attempts')
    .values([...rows])
    .onConflict((conflict) => conflict.column('id').doNothing())
}

/**
 * Moves each delivery to its next state in one statement: every row gets its own values from a VALUES list (columns
 * column1…column11 in both dialects); the casts give PostgreSQL the types its untyped parameters lack.
 */
export function applyTransitionsQuery(changes: readonly (readonly [string, DeliveryChange])[]) {
  const values = sql.join(
    changes.map(
      ([id, change]) =>
        sql`(${id}, ${change.state}, cast(${change.attempts} as bigint), cast(${change.runAt} as bigint), ${change.lastError}, ${change.lastErrorKind}, cast(${change.lastStatus} as bigint), cast(${change.deliveredAt} as bigint), cast(${change.now} as bigint), cast(${change.attemptCount} as bigint), ${change.externalId})`,
    ),
  )
  return sql`
      update deliveries set
        state = v.column2,
        attempts = v.column3,
        run_at = coalesce(v.column4, deliveries.run_at),
        locked_by = null,
        locked_until = null,
        last_error = v.column5,
        last_error_kind = v.column6,
        last_status = v.column7,
        delivered_at = coalesce(v.column8, deliveries.delivered_at),
        updated_at = v.column9,
        attempt_count = v.column10,
        external_id = coalesce(v.column11, deliveries.external_id),
        replay_pending = 0
      from (values ${values}) as v
      where deliveries.id = v.column1`
}

/** Answers, per completion, whether the worker still held the lease; the attempt is recorded either way. */
async function recordCompletions(
  trx: Executor,
  completions: readonly AttemptCompletion[],
  lockRows: boolean,
): Promise<boolean[]> {
  const current = new Map(
    (
      await completedDeliveriesQuery(
        trx,
        completions.map((completion) => completion.deliveryId),
        lockRows,
      ).execute()
    ).map((row) => [row.id, row]),
  )
  const recorded = completions.filter((completion) => current.has(completion.deliveryId))
  /** Attempts per delivery once these are recorded. */
  const counts = new Map<string, number>()
  const numbers = recorded.map(({ deliveryId }) => {
    const next = (counts.get(deliveryId) ?? Number(current.get(deliveryId)!.attempt_count)) + 1
    counts.set(deliveryId, next)
    return next
  })
  if (recorded.length > 0) {
    await insertAttemptsQuery(
      trx,
      recorded.map(({ attempt, deliveryId }, index) => {
        const delivery = current.get(deliveryId)!
        return {
          id: attempt.id,
          delivery_id: deliveryId,
          tenant_id: delivery.tenant_id,
          destination_id: delivery.destination_id,
          number: numbers[index]!,
          kind: attempt.kind ?? 'scheduled',
          lead_version: attempt.leadVersion,
          started_at: attempt.startedAt,
          duration_ms: attempt.durationMs,
          outcome: attempt.outcome,
          status: attempt.status ?? null,
          vendor_code: attempt.vendorCode ?? null,
          error: attempt.error ?? null,
          request: attempt.request === undefined ? null : JSON.stringify(attempt.request),
          response: attempt.response === undefined ? null : JSON.stringify(attempt.response),
        }
      }),
    ).execute()
  }
  const ours = completions.map((completion) => {
    const delivery = current.get(completion.deliveryId)
    return delivery?.state === 'in_flight' && delivery.locked_by === completion.workerId
  })
  const changes = completions
    .filter((_, index) => ours[index])
    .map(
      (completion) =>
        [completion.deliveryId, deliveryChangeOf(completion, counts.get(completion.deliveryId)!)] as const,
    )
  if (changes.length > 0) await applyTransitionsQuery(changes).execute(trx)
  // A lease lost mid-attempt: the attempt is recorded, and still counts toward the numbering.
  const changed = new Set(changes.map(([id]) => id))
  for (const [id, count] of counts) {
    if (changed.has(id)) continue
    await trx.updateTable('deliveries').set({ attempt_count: count }).where('id', '=', id).execute()
  }
  // A rate limit holds the destination for every worker: claims skip it until then.
  const holds = new Map<string, number>()
  for (const completion of completions) {
    const delivery = current.get(completion.deliveryId)
    if (!delivery || completion.holdDestinationUntil === undefined) continue
    holds.set(
      delivery.destination_id,
      Math.max(holds.get(delivery.destination_id) ?? 0, completion.holdDestinationUntil),
    )
  }
  for (const [destinationId, until] of holds) {
    await trx
      .updateTable('destinations')
      .set({ held_until: until })
      .where('id', '=', destinationId)
      .where((eb) => eb.or([eb('held_until', 'is', null), eb('held_until', '<', until)]))
      .execute()
  }
  for (const [index, completion] of completions.entries()) {
    const delivery = current.get(completion.deliveryId)
    if (!ours[index] || !delivery || !completion.health) continue
    const destination = await trx
      .selectFrom('destinations')
      .select('state')
      .where('id', '=', delivery.destination_id)
      .executeTakeFirst()
    await trx
      .updateTable('destinations')
      .set({
        state: completion.health.state,
        state_reason: completion.health.reason ?? null,
        failing_since: completion.health.failingSince ?? null,
        throttled_since: completion.health.throttledSince ?? null,
        alerted: completion.health.alerted ?? null,
        ...(destination?.state !== completion.health.state && { state_changed_at: completion.now }),
        updated_at: completion.now,
      })
      .where('id', '=', delivery.destination_id)
      .execute()
  }
  return ours
}

/** Several completions in one transaction (one fsync for every attempt that finished meanwhile, like group commit). */
export async function completeAttempts(
  context: QueueContext,
  completions: readonly AttemptCompletion[],
): Promise<readonly boolean[]> {
  if (completions.length === 0) return []
  return context.bookkeepingTransaction((trx) =>
    recordCompletions(trx, completions, context.claimLocking !== undefined),
  )
}
