/**
 * A scope's routes as a plain list, and an offer's publication status. Changes to an offer's routing that queue its
 * earlier leads go through routing-queries.ts.
 */

import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { DeliveryStore } from './types.ts'

export type RouteStore = Pick<DeliveryStore, 'setRoutes' | 'getRoutes' | 'setOfferStatus'>

export function createRouteQueries(db: Kysely<Database>): RouteStore {
  return {
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
  }
}
