/**
 * Claiming: leases due deliveries of active destinations that no rate limit holds, at most one in flight per
 * (destination, lead), the newest state of each lead, older queued states superseded by it. A fixed handful of
 * statements however many deliveries are claimed: on PostgreSQL each is a round trip, and the claim transaction is
 * the one place workers queue behind each other.
 */

import { sql } from 'kysely'
import type { Delivery } from '../../core/delivery.ts'
import type { Executor } from '../executor.ts'
import type { ClaimRequest } from '../types.ts'
import { type DeliveryRow, deliveryOf, pairKeyOf } from './delivery-rows.ts'
import type { ClaimLocking, QueueContext } from './queue-context.ts'

/**
 * The due deliveries a claim considers, oldest due first; twice the limit leaves room for older states of the same
 * lead, which the newest one supersedes. With `claimLocking`, rows another worker is claiming right now are skipped
 * rather than waited for; the pair locks decide, and the rows are read again under them.
 */
export function claimCandidatesQuery(
  executor: Executor,
  request: Pick<ClaimRequest, 'now' | 'limit' | 'skipDestinations'>,
  claimLocking: ClaimLocking | undefined,
) {
  const candidates = executor
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
    .limit(request.limit * 2)
  return claimLocking ? candidates.modifyEnd(sql.raw(claimLocking.rowLock)) : candidates
}

/** Leases the chosen rows for one lead version: the statement that moves deliveries to `in_flight`. */
export function leaseQuery(
  executor: Executor,
  request: Pick<ClaimRequest, 'workerId' | 'now' | 'leaseMs'>,
  version: number,
  ids: readonly string[],
) {
  return executor
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
}

export function claimDeliveries(context: QueueContext, request: ClaimRequest): Promise<readonly Delivery[]> {
  const { claimLocking } = context
  return context.bookkeepingTransaction(async (trx) => {
    const rows = await claimCandidatesQuery(trx, request, claimLocking).execute()
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
      const pair = relatedByPair.get(key)
      if (pair) pair.push(row)
      else relatedByPair.set(key, [row])
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
      claimed.push(...(await leaseQuery(trx, request, version, ids).execute()))
    }
    return claimed.sort((a, b) => Number(a.run_at) - Number(b.run_at) || a.id.localeCompare(b.id)).map(deliveryOf)
  })
}
