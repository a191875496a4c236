/** Offers: the ids and display names leads arrive under. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
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
})

function presentOffer(offer: Offer) {
  return {
    id: offer.id,
    title: offer.title ?? null,
    aliases: offer.aliases,
    createdAt: new Date(offer.createdAt).toISOString(),
    updatedAt: new Date(offer.updatedAt).toISOString(),
  }
}

export function registerOfferRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.put<{ Params: { offerId: string } }>('/v1/offers/:offerId', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const id = parseWith(offerIdSchema, request.params.offerId)
    const body = parseWith(offerBody, request.body)
    const aliases = [...new Set([...(body.title ? [body.title] : []), ...body.aliases])]
    const offer = await deps.store.putOffer(
      tenant.id,
      { id, ...(body.title !== undefined && { title: body.title }), aliases },
      deps.clock.now(),
    )
    return presentOffer(offer)
  })

  app.get('/v1/offers', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    return { items: (await deps.store.listOffers(tenant.id)).map(presentOffer) }
  })

  app.get<{ Params: { offerId: string } }>('/v1/offers/:offerId', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const offer = await deps.store.getOffer(tenant.id, request.params.offerId)
    if (!offer) throw new AppError('OFFER_NOT_FOUND', `No offer ${request.params.offerId}`, { field: 'offerId' })
    return presentOffer(offer)
  })
}
