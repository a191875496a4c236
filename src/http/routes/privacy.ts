/** Privacy: erasing a customer (GDPR Art. 17) and the tenant's retention settings. See docs/privacy.md. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { defaultRetentionSettings, retentionLimits } from '../../core/retention.ts'
import { isoTime } from '../../core/time.ts'
import { eraseCustomer } from '../../services/customer-erasure.ts'
import { setRetentionSettings } from '../../services/retention.ts'
import type { StoredRetentionSettings } from '../../store/retention-queries.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

export const customerErasureQuery = z.strictObject({ email: z.string().min(3).max(254) })

const whole = (limits: { readonly min: number; readonly max: number }) => z.int().min(limits.min).max(limits.max)

/** `PUT /v1/tenant/retention`: every setting, within `retentionLimits`. */
export const retentionInput = z.strictObject({
  attemptsDays: whole(retentionLimits.attemptsDays),
  leadEventsIdleMonths: whole(retentionLimits.leadEventsIdleMonths),
  auditMonths: whole(retentionLimits.auditMonths),
})

function retentionAnswer(settings: StoredRetentionSettings) {
  return {
    attemptsDays: settings.attemptsDays,
    leadEventsIdleMonths: settings.leadEventsIdleMonths,
    auditMonths: settings.auditMonths,
    ...(settings.updatedAt !== undefined && { updatedAt: isoTime(settings.updatedAt) }),
    defaults: defaultRetentionSettings,
    limits: retentionLimits,
  }
}

export function registerPrivacyRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.delete('/v1/customers', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const query = parseWith(customerErasureQuery, request.query)
    const result = await eraseCustomer(deps, { tenantId: caller.tenant.id, email: query.email, actor: caller.actor })
    return {
      emailHash: result.emailHash,
      erasedAt: isoTime(result.erasedAt),
      leads: result.leads,
      deletionsQueued: result.deletions,
    }
  })

  app.get('/v1/tenant/retention', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return retentionAnswer(await deps.store.getRetentionSettings(caller.tenant.id))
  })

  app.put('/v1/tenant/retention', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(retentionInput, request.body)
    return retentionAnswer(await setRetentionSettings(deps, caller.tenant.id, input, caller.actor))
  })
}
