/** Privacy: erasing a customer (GDPR Art. 17) and the tenant's retention settings. See docs/privacy.md. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { defaultRetentionSettings, retentionLimits } from '../../core/retention.ts'
import { isoTime } from '../../core/time.ts'
import { eraseCustomer } from '../../services/customer-erasure.ts'
import { setRetentionSettings } from '../../services/retention.ts'
import type { StoredRetentionSettings } from '../../store/retention-queries.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'

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

const retentionValues = z.object({
  attemptsDays: z.int().describe('Delivery attempts older than this many days are deleted'),
  leadEventsIdleMonths: z.int().describe('The events of a lead idle this many months are reduced to its merged lead'),
  auditMonths: z.int().describe('Audit entries older than this many months are deleted'),
})

const bounds = z.object({ min: z.int(), max: z.int() })

const retentionSettingsSchema = retentionValues
  .extend({
    updatedAt: z.string().describe('Absent while the defaults apply').optional(),
    defaults: retentionValues,
    limits: z.object({ attemptsDays: bounds, leadEventsIdleMonths: bounds, auditMonths: bounds }),
  })
  .meta({ id: 'RetentionSettings' })

const erasureResultSchema = z
  .object({
    emailHash: z.string().describe('The keyed hash of the email the tombstone keeps'),
    erasedAt: z.string(),
    leads: z.int().describe('Leads (one per offer) whose personal data was removed'),
    deletionsQueued: z.int().describe('Deletions queued, one per destination holding a record of those leads'),
  })
  .meta({ id: 'ErasureResult' })

export function registerPrivacyRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.delete(
    '/v1/customers',
    {
      // Erasure removes a customer's personal data for good and asks every destination to delete theirs.
      config: requires('admin'),
      schema: {
        operationId: 'eraseCustomer',
        summary:
          'Erase a customer (GDPR Art. 17): their personal data leaves every lead, event and delivery record of the tenant, each destination holding a record is asked to delete it, and a tombstone (a keyed hash of the email, the time, who asked) keeps old events from coming back (docs/privacy.md)',
        querystring: customerErasureQuery,
        response: { 200: jsonAnswer('What was erased', erasureResultSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const result = await eraseCustomer(deps, {
        tenantId: caller.tenant.id,
        email: request.query.email,
        actor: caller.actor,
      })
      return {
        emailHash: result.emailHash,
        erasedAt: isoTime(result.erasedAt),
        leads: result.leads,
        deletionsQueued: result.deletions,
      }
    },
  )

  api.get(
    '/v1/tenant/retention',
    {
      config: requires('read'),
      schema: {
        operationId: 'getRetention',
        summary:
          "How long the tenant keeps delivery attempts, idle leads' events and the audit log, with the defaults and limits",
        response: { 200: jsonAnswer('The settings', retentionSettingsSchema) },
      },
    },
    async (request) => retentionAnswer(await deps.store.getRetentionSettings(callerOf(request).tenant.id)),
  )

  api.put(
    '/v1/tenant/retention',
    {
      // Retention decides what is deleted, for every lead of the tenant.
      config: requires('admin'),
      schema: {
        operationId: 'setRetention',
        summary:
          "Set retention (audited): attempts older than attemptsDays deleted, the events of leads idle for leadEventsIdleMonths reduced to their merged lead, audit entries older than auditMonths deleted; applied by the worker's next retention run (docs/privacy.md)",
        body: retentionInput,
        response: { 200: jsonAnswer('The settings', retentionSettingsSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return retentionAnswer(await setRetentionSettings(deps, caller.tenant.id, request.body, caller.actor))
    },
  )
}
