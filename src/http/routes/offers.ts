/** Offers: the ids and display names leads arrive under. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { isoTime } from '../../core/time.ts'
import type { Offer } from '../../store/types.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

export const offerIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\s/|]+$/, 'no spaces, slashes or bars')

export const offerBody = z.strictObject({
  title: z.string().trim().min(1).max(300).optional(),
  aliases: z.array(z.string().trim().min(1).max(300)).max(50).default([]),
  /** Destination ids this offer's leads go to; omit to keep the current routing. */
  destinations: z.array(z.string().min(1)).max(20).optional(),
})

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
    const tenant = await deps.auth.tenantOf(request)
    const id = parseWith(offerIdSchema, request.params.offerId)
    const body = parseWith(offerBody, request.body)
    const aliases = [...new Set([...(body.title ? [body.title] : []), ...body.aliases])]
    if (body.destinations !== undefined) await deps.destinations.setRoutes(tenant, `offer:${id}`, body.destinations)
    const offer = await deps.store.putOffer(
      tenant.id,
      { id, ...(body.title !== undefined && { title: body.title }), aliases },
      deps.clock.now(),
    )
    if (body.destinations !== undefined) {
      // New routing has not been checked yet: the offer is live again only after the next publish.
      await deps.store.setOfferStatus(tenant.id, id, 'draft', deps.clock.now())
    }
    return presentOffer(
      (await deps.store.getOffer(tenant.id, id)) ?? offer,
      await deps.destinations.getRoutes(tenant, `offer:${id}`),
    )
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
