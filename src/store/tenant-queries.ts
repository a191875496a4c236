/** A tenant as the delivery side reads it: its name, and the contacts told when a destination's health changes. */

import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { DeliveryStore } from './types.ts'

export type TenantContactStore = Pick<DeliveryStore, 'setTenantContacts' | 'getTenantContacts' | 'getTenant'>

export function createTenantQueries(db: Kysely<Database>): TenantContactStore {
  return {
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
  }
}
