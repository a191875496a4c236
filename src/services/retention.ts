/** A tenant's retention settings: the use case behind `GET/PUT /v1/tenant/retention`, audited (docs/privacy.md). */

import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import { type RetentionSettings, retentionLimits } from '../core/retention.ts'
import type { StoredRetentionSettings } from '../store/retention-queries.ts'
import type { Store } from '../store/types.ts'

export interface RetentionDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
}

/** Refuses a setting outside `retentionLimits` (the API checks them too; the CLI and tests come here directly). */
function checkLimits(settings: RetentionSettings): void {
  for (const [field, { min, max }] of Object.entries(retentionLimits)) {
    const value = settings[field as keyof RetentionSettings]
    if (!Number.isInteger(value) || value < min || value > max)
      throw new AppError('VALIDATION_FAILED', `${field} must be a whole number from ${min} to ${max}`, { field })
  }
}

/** Saves the tenant's settings and records before and after in the audit log when they changed. */
export async function setRetentionSettings(
  deps: RetentionDeps,
  tenantId: string,
  settings: RetentionSettings,
  actor: string,
): Promise<StoredRetentionSettings> {
  checkLimits(settings)
  const before = await deps.store.getRetentionSettings(tenantId)
  const now = deps.clock.now()
  const after = await deps.store.putRetentionSettings(tenantId, settings, now)
  const plain = ({ attemptsDays, leadEventsIdleMonths, auditMonths }: RetentionSettings) => ({
    attemptsDays,
    leadEventsIdleMonths,
    auditMonths,
  })
  if (JSON.stringify(plain(before)) !== JSON.stringify(plain(after)))
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId,
      actor,
      action: 'retention.changed',
      target: 'retention',
      detail: { before: plain(before), after: plain(after) },
      at: now,
    })
  return after
}
