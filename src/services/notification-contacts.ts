/** Who hears about a destination's health: the use case behind `PUT /v1/tenant/notifications`, audited. */

import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { Store, Tenant, TenantContacts } from '../store/types.ts'

export interface NotificationContactsDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
}

/** `a…@contoso.com`: enough to recognise an address in the audit log without keeping it whole. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  if (at <= 0) return '…'
  return `${email.slice(0, 1)}…${email.slice(at)}`
}

/** Only the host of an alert webhook: its path and query often carry a token (Slack, Teams, Zapier). */
function webhookHost(url: string | undefined): string | null {
  if (url === undefined) return null
  try {
    return new URL(url).host
  } catch {
    return '…'
  }
}

/** A summary of contacts for the audit log: masked addresses and the webhook's host, never a whole URL. */
export function contactsSummary(contacts: TenantContacts) {
  return { emails: contacts.emails.map(maskEmail), webhookHost: webhookHost(contacts.webhookUrl) }
}

/** Replaces the tenant's contacts and records before and after in the audit log when they changed. */
export async function setNotificationContacts(
  deps: NotificationContactsDeps,
  tenant: Tenant,
  contacts: TenantContacts,
  actor: string,
): Promise<TenantContacts> {
  const before = await deps.store.getTenantContacts(tenant.id)
  await deps.store.setTenantContacts(tenant.id, contacts)
  const after = await deps.store.getTenantContacts(tenant.id)
  const lower = (emails: readonly string[]) => new Set(emails.map((email) => email.toLowerCase()))
  const [was, is] = [lower(before.emails), lower(after.emails)]
  const added = [...is].filter((email) => !was.has(email))
  const removed = [...was].filter((email) => !is.has(email))
  const webhookChanged = (before.webhookUrl ?? null) !== (after.webhookUrl ?? null)
  if (added.length > 0 || removed.length > 0 || webhookChanged) {
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: tenant.id,
      actor,
      action: 'notifications.changed',
      target: 'notifications',
      detail: {
        before: contactsSummary(before),
        after: contactsSummary(after),
        addedEmails: added.map(maskEmail),
        removedEmails: removed.map(maskEmail),
        webhookChanged,
      },
      at: deps.clock.now(),
    })
  }
  return after
}
