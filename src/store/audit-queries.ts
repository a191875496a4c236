/** The audit log: entries appended by the services, listed newest first with their target's current name. */

import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { DeliveryStore } from './types.ts'

export type AuditStore = Pick<DeliveryStore, 'appendAudit' | 'listAudit'>

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

export function createAuditQueries(db: Kysely<Database>): AuditStore {
  return {
    async appendAudit(entry) {
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
