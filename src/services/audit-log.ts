/** Writing a tenant's audit log: the one place an entry gets its id and time. */

import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { Store, Tenant } from '../store/types.ts'

/** Appends who (`key:<id>`, `person:<id>`, `cli:<user>`) did what to which target in the tenant. */
export type RecordAudit = (
  tenant: Tenant,
  actor: string,
  action: string,
  target: string,
  detail?: Record<string, unknown>,
) => Promise<void>

export function createAuditRecorder(deps: {
  readonly store: Pick<Store, 'appendAudit'>
  readonly clock: Clock
  readonly ids: IdGenerator
}): RecordAudit {
  return async (tenant, actor, action, target, detail) => {
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: tenant.id,
      actor,
      action,
      target,
      ...(detail && { detail }),
      at: deps.clock.now(),
    })
  }
}
