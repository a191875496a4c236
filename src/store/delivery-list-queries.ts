/**
 * What the Deliveries page reads besides the plain list: a capped count for a filter, the leads of a page (customer
 * and offer title in one join), failing and dead deliveries grouped by destination and reason (counted in the
 * database, not fetched), and "retry now" for a queued delivery.
 */

import type { Kysely } from 'kysely'
import type { Stage } from '../core/funnel.ts'
import { applyDeliveryFilter } from './queue/delivery-filter.ts'
import type { Database } from './schema.ts'
import type { DeliveryFilter } from './types.ts'

/** The lead a delivery carries, as a list shows it. */
export interface DeliveryLeadSummary {
  readonly leadId: string
  readonly firstName?: string
  readonly lastName?: string
  readonly email?: string
  readonly company?: string
  readonly stage: Stage
  readonly offerId?: string
  readonly offerTitle?: string
}

/** Deliveries that gave up (`dead`) or keep failing (`failing`: queued or in flight after an error), per reason. */
export interface DeliveryTrouble {
  readonly trouble: 'dead' | 'failing'
  readonly destinationId: string
  readonly reason: string
  readonly count: number
}

export type RetryOutcome =
  | { readonly status: 'due'; readonly destinationId: string }
  | { readonly status: 'not_found' }
  | { readonly status: 'not_queued'; readonly state: string }

export function createDeliveryListQueries(db: Kysely<Database>) {
  return {
    /** How many deliveries match, reading at most `cap` + 1 of them. */
    async countDeliveries(
      tenantId: string,
      filter: DeliveryFilter,
      cap: number,
    ): Promise<{ count: number; capped: boolean }> {
      const matching = applyDeliveryFilter(
        db.selectFrom('deliveries').select('id').where('tenant_id', '=', tenantId),
        filter,
      ).limit(cap + 1)
      const row = await db
        .selectFrom(matching.as('matching'))
        .select((eb) => eb.fn.countAll().as('count'))
        .executeTakeFirstOrThrow()
      const count = Number(row.count)
      return count > cap ? { count: cap, capped: true } : { count, capped: false }
    },

    /** The leads of these ids with their offer's title, in one statement; a lead of another tenant is absent. */
    async deliveryLeads(
      tenantId: string,
      leadIds: readonly string[],
    ): Promise<ReadonlyMap<string, DeliveryLeadSummary>> {
      if (leadIds.length === 0) return new Map()
      const rows = await db
        .selectFrom('leads as l')
        .leftJoin('offers as o', (join) =>
          join.onRef('o.tenant_id', '=', 'l.tenant_id').onRef('o.id', '=', 'l.offer_id'),
        )
        .select([
          'l.id',
          'l.first_name',
          'l.last_name',
          'l.email',
          'l.company',
          'l.stage',
          'l.offer_id',
          'o.title as offer_title',
        ])
        .where('l.tenant_id', '=', tenantId)
        .where('l.id', 'in', [...new Set(leadIds)])
        .execute()
      return new Map(
        rows.map((row) => [
          row.id,
          {
            leadId: row.id,
            ...(row.first_name !== null && { firstName: row.first_name }),
            ...(row.last_name !== null && { lastName: row.last_name }),
            ...(row.email !== null && { email: row.email }),
            ...(row.company !== null && { company: row.company }),
            stage: row.stage as Stage,
            ...(row.offer_id !== null && { offerId: row.offer_id }),
            ...(row.offer_title !== null && row.offer_title !== undefined && { offerTitle: row.offer_title }),
          },
        ]),
      )
    },

    /** Dead and failing deliveries per destination and reason, biggest groups first, at most `limit` groups. */
    async deliveryTroubles(tenantId: string, limit: number): Promise<readonly DeliveryTrouble[]> {
      const rows = await db
        .selectFrom('deliveries')
        .select((eb) => ['state', 'destination_id', 'last_error', eb.fn.countAll().as('count')])
        .where('tenant_id', '=', tenantId)
        .where((eb) =>
          eb.or([
            eb('state', '=', 'dead'),
            eb.and([eb('state', 'in', ['queued', 'in_flight']), eb('last_error', 'is not', null)]),
          ]),
        )
        .groupBy(['state', 'destination_id', 'last_error'])
        .execute()
      const groups = new Map<
        string,
        { trouble: 'dead' | 'failing'; destinationId: string; reason: string; count: number }
      >()
      for (const row of rows) {
        const trouble = row.state === 'dead' ? 'dead' : 'failing'
        const reason = row.last_error ?? 'No reason recorded'
        const key = JSON.stringify([trouble, row.destination_id, reason])
        const group = groups.get(key) ?? { trouble, destinationId: row.destination_id, reason, count: 0 }
        group.count += Number(row.count)
        groups.set(key, group)
      }
      return [...groups.values()]
        .sort(
          (a, b) =>
            (a.trouble === b.trouble ? 0 : a.trouble === 'dead' ? -1 : 1) ||
            b.count - a.count ||
            (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
        )
        .slice(0, limit)
    },

    /**
     * Makes a queued delivery due now. Nothing else changes: a destination held by a rate limit, paused or disabled
     * still gets nothing until it may (every claim checks), so retrying cannot jump a hold.
     */
    async retryDelivery(tenantId: string, deliveryId: string, now: number): Promise<RetryOutcome> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('deliveries')
          .select(['state', 'destination_id', 'run_at'])
          .where('tenant_id', '=', tenantId)
          .where('id', '=', deliveryId)
          .executeTakeFirst()
        if (!row) return { status: 'not_found' }
        if (row.state !== 'queued') return { status: 'not_queued', state: row.state }
        if (Number(row.run_at) > now)
          await trx
            .updateTable('deliveries')
            .set({ run_at: now, updated_at: now })
            .where('id', '=', deliveryId)
            .where('state', '=', 'queued')
            .execute()
        return { status: 'due', destinationId: row.destination_id }
      })
    },
  }
}

export type DeliveryListQueries = ReturnType<typeof createDeliveryListQueries>
