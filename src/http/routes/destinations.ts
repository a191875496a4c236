/** Destinations: create, read, update, delete, verify with a test lead. Secrets go in, never come out. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { changeRouting } from '../../services/change-routing.ts'
import { destinationInput, destinationPatchInput } from '../../services/destinations.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'
import { presentAttempt } from './deliveries.ts'
import { earlierLeadsFields, presentBackfill } from './offers.ts'

export function registerDestinationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/destinations', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(destinationInput, request.body)
    const created = await deps.destinations.create(caller.tenant, input, caller.actor)
    // Generated secrets (a webhook signing secret) are shown here once and never again.
    return reply.code(201).send({ ...created.destination, ...created.revealedSecrets })
  })

  /** The adaptive window this node's worker holds for the destination; null before its first delivery here. */
  const withConcurrency = <T extends { readonly id: string }>(destination: T) => {
    const view = deps.deliveryWindows?.().get(destination.id)
    return { ...destination, concurrency: view ?? null }
  }

  app.get('/v1/destinations', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    return { items: (await deps.destinations.list(tenant)).map(withConcurrency) }
  })

  app.get<{ Params: { destinationId: string } }>('/v1/destinations/:destinationId', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    return withConcurrency(await deps.destinations.get(tenant, request.params.destinationId))
  })

  app.patch<{ Params: { destinationId: string } }>('/v1/destinations/:destinationId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(destinationPatchInput, request.body)
    const updated = await deps.destinations.update(caller.tenant, request.params.destinationId, input, caller.actor)
    return { ...updated.destination, ...updated.revealedSecrets }
  })

  app.delete<{ Params: { destinationId: string } }>('/v1/destinations/:destinationId', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    await deps.destinations.remove(caller.tenant, request.params.destinationId, caller.actor)
    return reply.code(204).send()
  })

  app.post<{ Params: { destinationId: string } }>('/v1/destinations/:destinationId/verify', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return deps.destinations.verify(caller.tenant, request.params.destinationId, caller.actor)
  })

  app.get<{ Params: { destinationId: string } }>('/v1/destinations/:destinationId/attempts', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const query = parseWith(destinationAttemptsQuery, request.query)
    // An unknown destination (or another tenant's) answers DESTINATION_NOT_FOUND, like every destination route.
    await deps.destinations.get(tenant, request.params.destinationId)
    const now = deps.clock.now()
    const rateSince = async (since: number) => {
      const stats = await deps.store.destinationAttemptStats(tenant.id, request.params.destinationId, since)
      return { ...stats, rate: stats.attempts === 0 ? null : stats.delivered / stats.attempts }
    }
    const [page, last24h, last7d] = await Promise.all([
      deps.store.listDestinationAttempts(tenant.id, request.params.destinationId, {
        limit: query.limit,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      }),
      rateSince(now - 86_400_000),
      rateSince(now - 7 * 86_400_000),
    ])
    return {
      items: page.items.map((attempt) => ({
        ...presentAttempt(attempt),
        deliveryId: attempt.deliveryId,
        leadId: attempt.leadId,
        customer: attempt.customer,
      })),
      ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }),
      successRate: { last24h, last7d },
    }
  })

  app.get('/v1/destination-kinds', async (request) => {
    await deps.auth.tenantOf(request)
    return { items: deps.destinations.kinds() }
  })

  app.get<{ Params: { destinationId: string; leadId: string } }>(
    '/v1/destinations/:destinationId/preview/:leadId',
    async (request) => {
      const tenant = await deps.auth.tenantOf(request)
      return { payload: await deps.destinations.preview(tenant, request.params.destinationId, request.params.leadId) }
    },
  )

  app.post<{ Params: { destinationId: string } }>('/v1/destinations/:destinationId/rotate-secrets', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const rotated = await deps.destinations.rotateSecrets(caller.tenant, request.params.destinationId, caller.actor)
    return { ...rotated.destination, ...rotated.revealedSecrets }
  })

  app.put('/v1/routes/default', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const body = parseWith(routeBody, request.body)
    const result = await changeRouting(
      deps,
      caller.tenant,
      { destinationIds: body.destinations, earlierLeads: body.earlierLeads, dryRun: body.dryRun },
      caller.actor,
    )
    return {
      destinations: body.dryRun
        ? [...new Set(body.destinations)].sort()
        : await deps.destinations.getRoutes(caller.tenant, 'default'),
      backfill: presentBackfill(result, body.dryRun),
    }
  })

  app.get('/v1/routes/default', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    return { destinations: await deps.destinations.getRoutes(tenant, 'default') }
  })
}

export const routeBody = z.strictObject({ destinations: z.array(z.string().min(1)).max(20), ...earlierLeadsFields })

/** Paging of a destination's delivery log. */
export const destinationAttemptsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(200).optional(),
})
