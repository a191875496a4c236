/** Destinations, routes, the delivery queue and its attempt log: the queries every dialect shares. */

import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import type { DeliveryState, DestinationState } from '../core/delivery-state.ts'
import { AppError } from '../core/errors.ts'
import type { Database } from './schema.ts'
import {
  type AttemptCompletion,
  type AttemptKind,
  type AttemptRecord,
  type AuditEntry,
  attemptKinds,
  type Delivery,
  type DeliveryFilter,
  type DeliveryStore,
  type DestinationRecord,
} from './types.ts'

export type Executor = Kysely<Database> | Transaction<Database>
type DestinationRow = Selectable<Database['destinations']>
type DeliveryRow = Selectable<Database['deliveries']>

function destinationOf(row: DestinationRow): DestinationRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    name: row.name,
    config: JSON.parse(row.config),
    ...(row.secrets !== null && { sealedSecrets: row.secrets }),
    state: row.state as DestinationState,
    ...(row.state_reason !== null && { stateReason: row.state_reason }),
    stateChangedAt: Number(row.state_changed_at),
    ...(row.failing_since !== null && { failingSince: Number(row.failing_since) }),
    ...(row.throttled_since !== null && { throttledSince: Number(row.throttled_since) }),
    ...((row.alerted === 'failing' || row.alerted === 'throttled') && { alerted: row.alerted }),
    ...(row.held_until !== null && { heldUntil: Number(row.held_until) }),
    maxConcurrency: Number(row.max_concurrency),
    ...(row.rate_per_second !== null && { ratePerSecond: Number(row.rate_per_second) }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

function deliveryOf(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    leadId: row.lead_id,
    destinationId: row.destination_id,
    leadVersion: Number(row.lead_version),
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    runAt: Number(row.run_at),
    retryFrom: Number(row.retry_from),
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.last_error_kind !== null && { lastErrorKind: row.last_error_kind }),
    ...(row.last_status !== null && { lastStatus: Number(row.last_status) }),
    ...(row.external_id !== null && { externalId: row.external_id }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.delivered_at !== null && { deliveredAt: Number(row.delivered_at) }),
    attemptCount: Number(row.attempt_count),
    replayPending: Number(row.replay_pending) === 1,
    operation: row.operation === 'erase' ? 'erase' : 'deliver',
  }
}

function attemptKindOf(value: string): AttemptKind {
  return (attemptKinds as readonly string[]).includes(value) ? (value as AttemptKind) : 'scheduled'
}

/** `<startedAt>_<id>` of the last attempt on the previous page; undefined for the first page or a foreign cursor. */
function attemptCursorOf(cursor: string | undefined): { startedAt: number; id: string } | undefined {
  const match = cursor === undefined ? null : /^(\d{1,15})_([A-Za-z0-9_]{1,80})$/.exec(cursor)
  return match ? { startedAt: Number(match[1]), id: match[2]! } : undefined
}

function attemptOf(row: Selectable<Database['delivery_attempts']>): AttemptRecord {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    number: Number(row.number),
    kind: attemptKindOf(row.kind),
    leadVersion: Number(row.lead_version),
    startedAt: Number(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome,
    ...(row.status !== null && { status: Number(row.status) }),
    ...(row.vendor_code !== null && { vendorCode: row.vendor_code }),
    ...(row.error !== null && { error: row.error }),
  }
}

function pairKeyOf(row: { readonly destination_id: string; readonly lead_id: string }): string {
  return `${row.destination_id}:${row.lead_id}`
}

const deliveryIdPattern = /^dlv_[0-9A-Z]{26}$/

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString()
  if (!deliveryIdPattern.test(id)) throw new AppError('VALIDATION_FAILED', 'cursor is not valid', { field: 'cursor' })
  return id
}

/** How a dialect keeps concurrent workers apart when claiming; absent where only one worker runs (SQLite). */
export interface ClaimLocking {
  /** Appended to the candidate query, e.g. `for update of d skip locked`: concurrent claims take different rows. */
  readonly rowLock: string
  /** Takes transaction-scoped locks on (destination, lead) pairs; answers those it got (another worker holds the rest). */
  lockPairs(trx: Executor, pairKeys: readonly string[]): Promise<ReadonlySet<string>>
}

/**
 * Runs a transaction of delivery bookkeeping (claims, attempt outcomes) without waiting for its commit to reach the
 * disk. Losing such a commit to a power failure only sends a delivery again (receivers deduplicate on its stable
 * id); it never loses a lead, whose events are always committed durably.
 */
export type BookkeepingTransaction = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>

export interface DeliveryQueriesOptions {
  readonly db: Kysely<Database>
  /** The dialect's way to commit bookkeeping without a synchronous flush; a plain transaction by default. */
  readonly bookkeepingTransaction?: BookkeepingTransaction
  readonly claimLocking?: ClaimLocking
  /** Runs inside a transaction that queued work, to wake idle workers when it commits (LISTEN/NOTIFY). */
  readonly notifyWork?: (trx: Executor) => Promise<void>
}

/** What a completion writes into its delivery row; `undefined` leaves the column as it is. */
function deliveryChangeOf(completion: AttemptCompletion) {
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
  }
}

/**
 * Records finished attempts and applies their transitions, inside the caller's transaction, in four statements
 * however many there are (plus two per destination health change): on PostgreSQL each statement is a round trip.
 * Answers, per completion, whether the worker still held the lease; the attempt is recorded either way.
 */
async function recordCompletions(
  trx: Executor,
  completions: readonly AttemptCompletion[],
  lockRows: boolean,
): Promise<boolean[]> {
  const current = new Map(
    (
      await trx
        .selectFrom('deliveries')
        .select(['id', 'tenant_id', 'state', 'locked_by', 'destination_id', 'attempt_count'])
        .where(
          'id',
          'in',
          completions.map((completion) => completion.deliveryId),
        )
        // The attempt number comes from this row: a worker whose lease ran out may record beside the new holder.
        .$if(lockRows, (query) => query.forUpdate())
        .execute()
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
    await trx
      .insertInto('delivery_attempts')
      .values(
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
          }
        }),
      )
      // Recording is retried until it succeeds; a commit that happened but was not confirmed adds nothing twice.
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
  }
  const ours = completions.map((completion) => {
    const delivery = current.get(completion.deliveryId)
    return delivery?.state === 'in_flight' && delivery.locked_by === completion.workerId
  })
  const changes = completions.filter((_, index) => ours[index]).map((c) => [c.deliveryId, deliveryChangeOf(c)] as const)
  if (changes.length > 0) {
    // Each row gets its own values from a VALUES list (columns column1…column11 in both dialects); the casts give
    // PostgreSQL the types its untyped parameters lack.
    const values = sql.join(
      changes.map(
        ([id, change]) =>
          sql`(${id}, ${change.state}, cast(${change.attempts} as bigint), cast(${change.runAt} as bigint), ${change.lastError}, ${change.lastErrorKind}, cast(${change.lastStatus} as bigint), cast(${change.deliveredAt} as bigint), cast(${change.now} as bigint), cast(${counts.get(id)} as bigint), ${change.externalId})`,
      ),
    )
    await sql`
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
      where deliveries.id = v.column1`.execute(trx)
  }
  // A lease lost mid-attempt: the attempt is recorded, and still counts toward the numbering.
  for (const [id, count] of counts) {
    if (changes.some(([changed]) => changed === id)) continue
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

export function createDeliveryQueries({
  db,
  claimLocking,
  notifyWork,
  bookkeepingTransaction = (work) => db.transaction().execute(work),
}: DeliveryQueriesOptions): DeliveryStore {
  const liveDestination = (tenantId: string, id: string) =>
    db
      .selectFrom('destinations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)

  function applyFilter<T extends { where: (...args: any[]) => T }>(query: T, filter: DeliveryFilter): T {
    let q = query
    if (filter.state !== undefined) q = q.where('state', '=', filter.state)
    if (filter.destinationId !== undefined) q = q.where('destination_id', '=', filter.destinationId)
    if (filter.leadId !== undefined) q = q.where('lead_id', '=', filter.leadId)
    if (filter.reason !== undefined) q = q.where('last_error', '=', filter.reason)
    if (filter.since !== undefined) q = q.where('updated_at', '>=', filter.since)
    if (filter.until !== undefined) q = q.where('updated_at', '<', filter.until)
    return q
  }

  return {
    async createDestination(destination, now) {
      await db
        .insertInto('destinations')
        .values({
          id: destination.id,
          tenant_id: destination.tenantId,
          kind: destination.kind,
          name: destination.name,
          config: JSON.stringify(destination.config),
          secrets: destination.sealedSecrets ?? null,
          state: 'active',
          state_reason: null,
          state_changed_at: now,
          failing_since: null,
          max_concurrency: destination.maxConcurrency,
          rate_per_second: destination.ratePerSecond ?? null,
          created_at: now,
          updated_at: now,
          deleted_at: null,
        })
        .execute()
      return destinationOf(await liveDestination(destination.tenantId, destination.id).executeTakeFirstOrThrow())
    },

    async updateDestination(tenantId, id, patch, now) {
      const changes = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.config !== undefined && { config: JSON.stringify(patch.config) }),
        ...(patch.sealedSecrets !== undefined && { secrets: patch.sealedSecrets }),
        ...(patch.maxConcurrency !== undefined && { max_concurrency: patch.maxConcurrency }),
        ...(patch.ratePerSecond !== undefined && { rate_per_second: patch.ratePerSecond }),
      }
      await db
        .updateTable('destinations')
        .set({ ...changes, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .execute()
      const row = await liveDestination(tenantId, id).executeTakeFirst()
      return row ? destinationOf(row) : undefined
    },

    async getDestination(tenantId, id) {
      const row = await liveDestination(tenantId, id).executeTakeFirst()
      return row ? destinationOf(row) : undefined
    },

    async getDestinationById(id) {
      const row = await db.selectFrom('destinations').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? destinationOf(row) : undefined
    },

    async listDestinations(tenantId) {
      const rows = await db
        .selectFrom('destinations')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .execute()
      return rows.map(destinationOf)
    },

    async listAllDestinations() {
      return (await db.selectFrom('destinations').selectAll().orderBy('id').execute()).map(destinationOf)
    },

    async deliveryQueueStatistics(now) {
      const rows = await db
        .selectFrom('deliveries')
        .select((eb) => ['state', eb.fn.countAll().as('count'), eb.fn.min('run_at').as('first_run_at')])
        .where('state', 'in', ['queued', 'in_flight'])
        .groupBy('state')
        .execute()
      const queued = rows.find((row) => row.state === 'queued')
      const inFlight = rows.find((row) => row.state === 'in_flight')
      const firstRunAt = queued ? Number(queued.first_run_at) : undefined
      return {
        queued: Number(queued?.count ?? 0),
        inFlight: Number(inFlight?.count ?? 0),
        ...(firstRunAt !== undefined && firstRunAt <= now && { oldestDueAt: firstRunAt }),
      }
    },

    async deleteDestination(tenantId, id, now) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('destinations')
          .set({ deleted_at: now, updated_at: now, state: 'disabled', state_reason: 'deleted' })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) === 0) return false
        await trx.deleteFrom('routes').where('destination_id', '=', id).execute()
        await trx
          .updateTable('deliveries')
          .set({ state: 'dead', last_error: 'The destination was deleted', updated_at: now, locked_by: null })
          .where('destination_id', '=', id)
          .where('state', 'in', ['queued', 'in_flight'])
          .execute()
        return true
      })
    },

    async setDestinationHealth(id, health, now) {
      const current = await db.selectFrom('destinations').select('state').where('id', '=', id).executeTakeFirst()
      await db
        .updateTable('destinations')
        .set({
          state: health.state,
          state_reason: health.reason ?? null,
          failing_since: health.failingSince ?? null,
          throttled_since: health.throttledSince ?? null,
          alerted: health.alerted ?? null,
          ...(current?.state !== health.state && { state_changed_at: now }),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute()
    },

    async setRoutes(tenantId, scope, destinationIds) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('routes').where('tenant_id', '=', tenantId).where('scope', '=', scope).execute()
        if (destinationIds.length > 0) {
          await trx
            .insertInto('routes')
            .values(destinationIds.map((destination_id) => ({ tenant_id: tenantId, scope, destination_id })))
            .execute()
        }
      })
    },

    async getRoutes(tenantId, scope) {
      const rows = await db
        .selectFrom('routes')
        .select('destination_id')
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', scope)
        .orderBy('destination_id')
        .execute()
      return rows.map((row) => row.destination_id)
    },

    async setOfferStatus(tenantId, offerId, status, now) {
      await db
        .updateTable('offers')
        .set({ status, published_at: status === 'live' ? now : null, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', offerId)
        .execute()
    },

    async setTenantContacts(tenantId, contacts) {
      await db
        .updateTable('tenants')
        .set({ notify_emails: JSON.stringify(contacts.emails), notify_webhook_url: contacts.webhookUrl ?? null })
        .where('id', '=', tenantId)
        .execute()
    },

    async getTenantContacts(tenantId) {
      const row = await db
        .selectFrom('tenants')
        .select(['notify_emails', 'notify_webhook_url'])
        .where('id', '=', tenantId)
        .executeTakeFirst()
      if (!row) return { emails: [] }
      return {
        emails: JSON.parse(row.notify_emails) as string[],
        ...(row.notify_webhook_url !== null && { webhookUrl: row.notify_webhook_url }),
      }
    },

    async getTenant(tenantId) {
      const row = await db
        .selectFrom('tenants')
        .select(['id', 'name', 'created_at'])
        .where('id', '=', tenantId)
        .executeTakeFirst()
      return row ? { id: row.id, name: row.name, createdAt: Number(row.created_at) } : undefined
    },

    async claimDeliveries(request) {
      // A fixed handful of statements however many deliveries are claimed: on PostgreSQL each is a round trip, and
      // the claim transaction is the one place workers queue behind each other.
      return bookkeepingTransaction(async (trx) => {
        let candidates = trx
          .selectFrom('deliveries as d')
          .innerJoin('destinations as dst', 'dst.id', 'd.destination_id')
          .leftJoin('leads as l', 'l.id', 'd.lead_id')
          .select(['d.id', 'd.destination_id', 'd.lead_id', 'd.lead_version', 'l.version as current_version'])
          .where('d.state', '=', 'queued')
          .where('d.run_at', '<=', request.now)
          .where('dst.state', '=', 'active')
          .where('dst.deleted_at', 'is', null)
          .where((eb) => eb.or([eb('dst.held_until', 'is', null), eb('dst.held_until', '<=', request.now)]))
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('deliveries as other')
                  .select(sql`1`.as('one'))
                  .whereRef('other.destination_id', '=', 'd.destination_id')
                  .whereRef('other.lead_id', '=', 'd.lead_id')
                  .where('other.state', '=', 'in_flight'),
              ),
            ),
          )
          .$if((request.skipDestinations?.length ?? 0) > 0, (query) =>
            query.where('d.destination_id', 'not in', request.skipDestinations ?? []),
          )
          .orderBy('d.run_at')
          .orderBy('d.id')
          // Twice the limit leaves room for older states of the same lead, which the newest one supersedes.
          .limit(request.limit * 2)
        // Rows another worker is claiming right now are skipped rather than waited for; the pair locks below
        // decide, and the rows are read again under them.
        if (claimLocking) candidates = candidates.modifyEnd(sql.raw(claimLocking.rowLock))
        const rows = await candidates.execute()
        // One per (destination, lead): the newest state; older queued states of that lead are superseded by it.
        const newest = new Map<string, (typeof rows)[number]>()
        for (const row of rows) {
          const key = pairKeyOf(row)
          const seen = newest.get(key)
          if (!seen || Number(row.lead_version) > Number(seen.lead_version)) newest.set(key, row)
        }
        const taken = new Map<string, number>()
        let chosen: (typeof rows)[number][] = []
        for (const row of newest.values()) {
          if (chosen.length >= request.limit) break
          const used = taken.get(row.destination_id) ?? 0
          if (used >= request.slotsFor(row.destination_id)) continue
          taken.set(row.destination_id, used + 1)
          chosen.push(row)
        }
        if (chosen.length === 0) return []
        if (claimLocking) {
          // Another worker may hold a different row of the same pair: one in flight per (destination, lead).
          const locked = await claimLocking.lockPairs(trx, chosen.map(pairKeyOf))
          chosen = chosen.filter((row) => locked.has(pairKeyOf(row)))
          if (chosen.length === 0) return []
        }
        // Every live row of the chosen leads, read after the pair locks: what is in flight elsewhere, what already
        // reached the destination, and which older queued states the claimed row supersedes.
        const related = await trx
          .selectFrom('deliveries')
          .select(['id', 'destination_id', 'lead_id', 'lead_version', 'state'])
          .where(
            'lead_id',
            'in',
            chosen.map((row) => row.lead_id),
          )
          .execute()
        const relatedByPair = new Map<string, (typeof related)[number][]>()
        for (const row of related) {
          // Filtered here, not in SQL: a state condition can lead the planner away from the lead_id index.
          if (row.state !== 'queued' && row.state !== 'in_flight' && row.state !== 'delivered') continue
          const key = pairKeyOf(row)
          relatedByPair.set(key, [...(relatedByPair.get(key) ?? []), row])
        }
        const superseded = new Map<string, string[]>()
        const leasedByVersion = new Map<number, string[]>()
        for (const row of chosen) {
          const pair = relatedByPair.get(pairKeyOf(row)) ?? []
          // Another worker claimed this pair (or this very row) and committed since the candidates were read.
          if (pair.some((other) => other.state === 'in_flight')) continue
          if (!pair.some((other) => other.id === row.id && other.state === 'queued')) continue
          // The claimed delivery carries the lead as it is now; every other queued state of the pair up to now is
          // superseded by it, including rows this claim did not see (locked by another worker, or past the limit).
          const version = Math.max(Number(row.current_version ?? row.lead_version), Number(row.lead_version))
          // This state already reached the destination under another delivery: nothing to send.
          const alreadySent = pair.find((other) => other.state === 'delivered' && Number(other.lead_version) >= version)
          if (alreadySent) {
            superseded.set(alreadySent.id, [...(superseded.get(alreadySent.id) ?? []), row.id])
            continue
          }
          const stale = pair
            .filter((other) => other.state === 'queued' && other.id !== row.id && Number(other.lead_version) <= version)
            .map((other) => other.id)
          if (stale.length > 0) superseded.set(row.id, stale)
          leasedByVersion.set(version, [...(leasedByVersion.get(version) ?? []), row.id])
        }
        for (const [by, ids] of superseded) {
          let stale = trx.selectFrom('deliveries').select('id').where('id', 'in', ids).where('state', '=', 'queued')
          // Rows another worker holds are left to it; it cannot claim them while this pair is ours, and later
          // finds their state already sent (above).
          if (claimLocking) stale = stale.modifyEnd(sql.raw('for update skip locked'))
          await trx
            .updateTable('deliveries')
            .set({ state: 'superseded', updated_at: request.now, last_error: `Superseded by ${by}` })
            .where('id', 'in', stale)
            .execute()
        }
        const claimed: DeliveryRow[] = []
        for (const [version, ids] of leasedByVersion) {
          const rows = await trx
            .updateTable('deliveries')
            .set({
              state: 'in_flight',
              locked_by: request.workerId,
              locked_until: request.now + request.leaseMs,
              updated_at: request.now,
              lead_version: version,
            })
            .where('id', 'in', ids)
            .where('state', '=', 'queued')
            .returningAll()
            .execute()
          claimed.push(...rows)
        }
        return claimed.sort((a, b) => Number(a.run_at) - Number(b.run_at) || a.id.localeCompare(b.id)).map(deliveryOf)
      })
    },

    async completeAttempts(completions) {
      if (completions.length === 0) return []
      // One transaction (one fsync) for every attempt that finished meanwhile, like ingest's group commit.
      return bookkeepingTransaction((trx) => recordCompletions(trx, completions, claimLocking !== undefined))
    },

    async completeAttempt(completion) {
      const [stillOurs] = await bookkeepingTransaction((trx) =>
        recordCompletions(trx, [completion], claimLocking !== undefined),
      )
      return stillOurs === true
    },

    async releaseDeliveries(deliveryIds, workerId, runAt, now) {
      if (deliveryIds.length === 0) return
      await bookkeepingTransaction((trx) =>
        trx
          .updateTable('deliveries')
          .set({ state: 'queued', run_at: runAt, locked_by: null, locked_until: null, updated_at: now })
          .where('id', 'in', deliveryIds)
          .where('state', '=', 'in_flight')
          .where('locked_by', '=', workerId)
          .execute(),
      )
    },
    async markSuperseded(deliveryId, workerId, now) {
      await db
        .updateTable('deliveries')
        .set({
          state: 'superseded',
          locked_by: null,
          locked_until: null,
          updated_at: now,
          last_error: 'A newer state of the lead is delivered instead',
        })
        .where('id', '=', deliveryId)
        .where('state', '=', 'in_flight')
        .where('locked_by', '=', workerId)
        .execute()
    },

    async extendLeases(workerId, now, leaseMs) {
      const result = await db
        .updateTable('deliveries')
        .set({ locked_until: now + leaseMs })
        .where('state', '=', 'in_flight')
        .where('locked_by', '=', workerId)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async releaseExpiredLeases(now) {
      const result = await db
        .updateTable('deliveries')
        .set({ state: 'queued', locked_by: null, locked_until: null, updated_at: now })
        .where('state', '=', 'in_flight')
        .where('locked_until', '<', now)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async nextDueAt() {
      const row = await db
        .selectFrom('deliveries as d')
        .innerJoin('destinations as dst', 'dst.id', 'd.destination_id')
        .select(
          sql<number | null>`min(case when dst.held_until > d.run_at then dst.held_until else d.run_at end)`.as('next'),
        )
        .where('d.state', '=', 'queued')
        .where('dst.state', '=', 'active')
        .executeTakeFirst()
      return row?.next === null || row?.next === undefined ? undefined : Number(row.next)
    },

    async getDelivery(tenantId, id) {
      const row = await db
        .selectFrom('deliveries')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row ? deliveryOf(row) : undefined
    },

    async listDeliveries(tenantId, filter, page) {
      let query = applyFilter(db.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId), filter)
      if (page.cursor !== undefined) query = query.where('id', '<', decodeCursor(page.cursor))
      const rows = await query
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute()
      const items = rows.slice(0, page.limit).map(deliveryOf)
      const last = items.at(-1)
      return rows.length > page.limit && last
        ? { items, nextCursor: Buffer.from(last.id).toString('base64url') }
        : { items }
    },

    async listAttempts(tenantId, deliveryIds) {
      if (deliveryIds.length === 0) return []
      const rows = await db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('delivery_id', 'in', deliveryIds)
        .orderBy('started_at')
        .orderBy('number')
        .execute()
      return rows.map(attemptOf)
    },

    async listDestinationAttempts(tenantId, destinationId, page) {
      let query = db
        .selectFrom('delivery_attempts as a')
        .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
        .innerJoin('leads as l', 'l.id', 'd.lead_id')
        .selectAll('a')
        .select(['d.lead_id', 'l.first_name', 'l.last_name', 'l.email', 'l.company'])
        .where('a.tenant_id', '=', tenantId)
        .where('a.destination_id', '=', destinationId)
      const after = attemptCursorOf(page.cursor)
      if (after)
        query = query.where((eb) =>
          eb.or([
            eb('a.started_at', '<', after.startedAt),
            eb.and([eb('a.started_at', '=', after.startedAt), eb('a.id', '<', after.id)]),
          ]),
        )
      const rows = await query
        .orderBy('a.started_at', 'desc')
        .orderBy('a.id', 'desc')
        .limit(page.limit + 1)
        .execute()
      const items = rows.slice(0, page.limit).map((row) => {
        const customer: Record<string, string> = {}
        if (row.first_name !== null) customer.firstName = row.first_name
        if (row.last_name !== null) customer.lastName = row.last_name
        if (row.email !== null) customer.email = row.email
        if (row.company !== null) customer.company = row.company
        return { ...attemptOf(row), leadId: row.lead_id, customer }
      })
      const last = items[items.length - 1]
      return {
        items,
        ...(rows.length > page.limit && last && { nextCursor: `${last.startedAt}_${last.id}` }),
      }
    },

    async destinationAttemptStats(tenantId, destinationId, since) {
      const row = await db
        .selectFrom('delivery_attempts')
        .select((eb) => [
          eb.fn.countAll<number>().as('attempts'),
          eb.fn.sum<number>(eb.case().when('outcome', '=', 'delivered').then(1).else(0).end()).as('delivered'),
        ])
        .where('tenant_id', '=', tenantId)
        .where('destination_id', '=', destinationId)
        .where('started_at', '>=', since)
        .executeTakeFirst()
      return { attempts: Number(row?.attempts ?? 0), delivered: Number(row?.delivered ?? 0) }
    },

    async replayDeliveries(tenantId, selector, now) {
      return db.transaction().execute(async (trx) => {
        let query = trx.selectFrom('deliveries').select(['id', 'state']).where('tenant_id', '=', tenantId)
        if ('ids' in selector) {
          if (selector.ids.length === 0) return { replayed: [], skipped: 0 }
          query = query.where('id', 'in', selector.ids)
        } else {
          query = applyFilter(query, { state: 'dead', ...selector.filter })
        }
        const rows = await query.execute()
        const replayable = rows
          .filter((row) => row.state !== 'queued' && row.state !== 'in_flight')
          .map((row) => row.id)
        for (let i = 0; i < replayable.length; i += 500) {
          await trx
            .updateTable('deliveries')
            .set({
              state: 'queued',
              attempts: 0,
              run_at: now,
              retry_from: now,
              locked_by: null,
              locked_until: null,
              updated_at: now,
              replay_pending: 1,
            })
            .where('id', 'in', replayable.slice(i, i + 500))
            .execute()
        }
        if (replayable.length > 0) await notifyWork?.(trx)
        return { replayed: replayable, skipped: rows.length - replayable.length }
      })
    },

    async appendAudit(entry: AuditEntry) {
      await db
        .insertInto('audit_log')
        .values({
          id: entry.id,
          tenant_id: entry.tenantId,
          actor: entry.actor,
          action: entry.action,
          target: entry.target ?? null,
          detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
          at: entry.at,
        })
        .execute()
    },

    async listAudit(tenantId, limit) {
      const rows = await db
        .selectFrom('audit_log as a')
        .leftJoin('destinations as d', (join) =>
          join.onRef('d.id', '=', 'a.target').onRef('d.tenant_id', '=', 'a.tenant_id'),
        )
        .leftJoin('offers as o', (join) => join.onRef('o.id', '=', 'a.target').onRef('o.tenant_id', '=', 'a.tenant_id'))
        .leftJoin('api_keys as k', (join) =>
          join.onRef('k.id', '=', 'a.target').onRef('k.tenant_id', '=', 'a.tenant_id'),
        )
        .selectAll('a')
        .select(['d.name as destination_name', 'o.title as offer_title', 'k.label as key_label'])
        .where('a.tenant_id', '=', tenantId)
        .orderBy('a.at', 'desc')
        .orderBy('a.id', 'desc')
        .limit(limit)
        .execute()
      return rows.map((row) => {
        const targetName = auditTargetName(row.action, row)
        return {
          id: row.id,
          tenantId: row.tenant_id,
          actor: row.actor,
          action: row.action,
          ...(row.target !== null && { target: row.target }),
          ...(targetName !== null && { targetName }),
          ...(row.detail !== null && { detail: JSON.parse(row.detail) as Record<string, unknown> }),
          at: Number(row.at),
        }
      })
    },
  }
}

/**
 * The name of an audit entry's target, by what the action acts on: an id could in principle name both a destination
 * and an offer (offer ids are the publisher's own), so the action decides which table's name is meant.
 */
function auditTargetName(
  action: string,
  names: { destination_name: string | null; offer_title: string | null; key_label: string | null },
): string | null {
  const subject = action.split('.', 1)[0]
  if (subject === 'destination') return names.destination_name
  if (subject === 'offer' || subject === 'routes' || subject === 'earlier_leads') return names.offer_title
  if (subject === 'key') return names.key_label
  return null
}
