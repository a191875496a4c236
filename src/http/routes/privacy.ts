/** Privacy: erasing a customer (GDPR Art. 17). See docs/privacy.md. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoTime } from '../../core/time.ts'
import { eraseCustomer } from '../../services/customer-erasure.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

export const customerErasureQuery = z.strictObject({ email: z.string().min(3).max(254) })

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
}
