/** Destinations: created, changed, read, deleted (their pending deliveries end `dead`) and their health. */

import type { Kysely, Selectable } from 'kysely'
import type { DestinationState } from '../core/delivery-state.ts'
import type { Database } from './schema.ts'
import type { DeliveryStore, DestinationRecord } from './types.ts'

type DestinationRow = Selectable<Database['destinations']>

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

export type DestinationStore = Pick<
  DeliveryStore,
  | 'createDestination'
  | 'updateDestination'
  | 'getDestination'
  | 'getDestinationById'
  | 'listDestinations'
  | 'listAllDestinations'
  | 'deleteDestination'
  | 'setDestinationHealth'
>

export function createDestinationQueries(db: Kysely<Database>): DestinationStore {
  const liveDestination = (tenantId: string, id: string) =>
    db
      .selectFrom('destinations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)

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
  }
}
