/** Offers: the ids and display names leads arrive under. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { offerTextLimits } from '../../core/lead-source.ts'
import { isoTime } from '../../core/time.ts'
import { changeRouting } from '../../services/change-routing.ts'
import type { RoutingChangeResult } from '../../store/routing-queries.ts'
import type { Offer } from '../../store/types.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

export const offerIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(offerTextLimits.idLength)
  .regex(/^[^\s/|]+$/, 'no spaces, slashes or bars')

/** What a routing change does for leads that arrived before it; on PUT /v1/offers/{id} and PUT /v1/routes/default. */
export const earlierLeadsFields = {
  /** Queue earlier leads for the destinations their route gains (`deliver`), or only new leads get them (`skip`). */
  earlierLeads: z
    .enum(['deliver', 'skip'])
    .default('deliver')
    .describe(
      'When the route gains destinations: queue the earlier leads that have not reached them (deliver), or leave them to new leads only (skip)',
    ),
  /** Answer what the change would do, and change nothing. */
  dryRun: z.boolean().default(false).describe('Change nothing; answer what saving would do (backfill counts)'),
}

export const offerBody = z.strictObject({
  title: z.string().trim().min(1).max(offerTextLimits.nameLength).optional(),
  aliases: z.array(z.string().trim().min(1).max(offerTextLimits.nameLength)).max(50).default([]),
  /** Destination ids this offer's leads go to; omit to keep the current routing. */
  destinations: z.array(z.string().min(1)).max(20).optional(),
  ...earlierLeadsFields,
})

/** The `backfill` member of a routing change's answer. */
export function presentBackfill(result: RoutingChangeResult, dryRun: boolean) {
  const { earlierLeads } = result
  return {
    earlierLeads: earlierLeads.choice,
    dryRun,
    destinations: earlierLeads.destinations.map((entry) => ({ id: entry.destinationId, leads: entry.leads })),
    leads: earlierLeads.leads,
    deliveries: earlierLeads.deliveries,
    queued: earlierLeads.queued,
    joinedLeads: result.joinedLeads,
    mergedLeads: result.mergedLeads,
  }
}

function presentOffer(offer: Offer, destinations: readonly string[]) {
  return {
    id: offer.id,
    title: offer.title ?? null,
    aliases: offer.aliases,
    destinations,
    status: offer.status,
    publishedAt: offer.publishedAt === undefined ? null : isoTime(offer.publishedAt),
    createdAt: isoTime(offer.createdAt),
    updatedAt: isoTime(offer.updatedAt),
  }
}

export function registerOfferRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.put<{ Params: { offerId: string } }>('/v1/offers/:offerId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const id = parseWith(offerIdSchema, request.params.offerId)
    const body = parseWith(offerBody, request.body)
    const aliases = [...new Set([...(body.title ? [body.title] : []), ...body.aliases])]
    const result = await changeRouting(
      deps,
      caller.tenant,
      {
        offer: { id, ...(body.title !== undefined && { title: body.title }), aliases },
        ...(body.destinations !== undefined && { destinationIds: body.destinations }),
        earlierLeads: body.earlierLeads,
        dryRun: body.dryRun,
      },
      caller.actor,
    )
    const offer = result.offer ?? (await deps.store.getOffer(caller.tenant.id, id))
    if (!offer) throw new AppError('OFFER_NOT_FOUND', `No offer ${id}`, { field: 'offerId' })
    const destinations =
      body.dryRun && body.destinations !== undefined
        ? [...new Set(body.destinations)].sort()
        : await deps.destinations.getRoutes(caller.tenant, `offer:${id}`)
    return { ...presentOffer(offer, destinations), backfill: presentBackfill(result, body.dryRun) }
  })

  app.get('/v1/offers', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const offers = await deps.store.listOffers(tenant.id)
    return {
      items: await Promise.all(
        offers.map(async (offer) =>
          presentOffer(offer, await deps.destinations.getRoutes(tenant, `offer:${offer.id}`)),
        ),
      ),
    }
  })

  app.get<{ Params: { offerId: string } }>('/v1/offers/:offerId', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const offer = await deps.store.getOffer(tenant.id, request.params.offerId)
    if (!offer) throw new AppError('OFFER_NOT_FOUND', `No offer ${request.params.offerId}`, { field: 'offerId' })
    return presentOffer(offer, await deps.destinations.getRoutes(tenant, `offer:${offer.id}`))
  })

  app.post<{ Params: { offerId: string } }>('/v1/offers/:offerId/publish', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return deps.destinations.publish(caller.tenant, request.params.offerId, caller.actor)
  })
}
