/** `IngestQueries` over Kysely: the portable implementation (PostgreSQL uses it). */

import type { Executor } from './delivery-queries.ts'
import type { IngestQueries, LeadRow } from './record-lead-event.ts'

export function kyselyIngestQueries(trx: Executor, notifyWork?: (trx: Executor) => Promise<void>): IngestQueries {
  return {
    eventByIdempotencyKey: (tenantId, key) =>
      trx
        .selectFrom('lead_events')
        .select(['content_hash', 'result'])
        .where('tenant_id', '=', tenantId)
        .where('idempotency_key', '=', key)
        .executeTakeFirst(),
    recentEventByContent: (tenantId, contentHash, since) =>
      trx
        .selectFrom('lead_events')
        .select('result')
        .where('tenant_id', '=', tenantId)
        .where('content_hash', '=', contentHash)
        .where('received_at', '>=', since)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst(),
    async offerIdByAlias(tenantId, alias) {
      const row = await trx
        .selectFrom('offer_aliases')
        .select('offer_id')
        .where('tenant_id', '=', tenantId)
        .where('alias', '=', alias)
        .executeTakeFirst()
      return row?.offer_id
    },
    leadByIdentity: (tenantId, offerKey, mergeKey) =>
      trx
        .selectFrom('leads')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('offer_key', '=', offerKey)
        .where('merge_key', '=', mergeKey)
        .executeTakeFirst() as Promise<LeadRow | undefined>,
    async updateLead(id, columns) {
      await trx.updateTable('leads').set(columns).where('id', '=', id).execute()
    },
    async insertLead(row) {
      await trx.insertInto('leads').values(row).execute()
    },
    async routedDestinations(tenantId, scope) {
      const rows = await trx
        .selectFrom('routes')
        .innerJoin('destinations', 'destinations.id', 'routes.destination_id')
        .select('routes.destination_id')
        .where('routes.tenant_id', '=', tenantId)
        .where('routes.scope', '=', scope)
        .where('destinations.deleted_at', 'is', null)
        .execute()
      return rows.map((row) => row.destination_id)
    },
    async insertDeliveries(rows) {
      await trx
        .insertInto('deliveries')
        .values(
          rows.map(({ now, ...row }) => ({
            ...row,
            state: 'queued',
            attempts: 0,
            run_at: now,
            retry_from: now,
            locked_by: null,
            locked_until: null,
            last_error: null,
            last_error_kind: null,
            last_status: null,
            external_id: null,
            created_at: now,
            updated_at: now,
            delivered_at: null,
          })),
        )
        .execute()
    },
    async insertEvent(row) {
      await trx.insertInto('lead_events').values(row).execute()
    },
    ...(notifyWork && { notifyWork: () => notifyWork(trx) }),
  }
}
