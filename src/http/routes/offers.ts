/** Offers: the ids and display names leads arrive under. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { offerTextLimits } from '../../core/lead-source.ts'
import { isoTime } from '../../core/time.ts'
import { changeRouting } from '../../services/change-routing.ts'
import { checkResultSchema } from '../../services/destinations.ts'
import type { RoutingChangeResult } from '../../store/routing-queries.ts'
import type { Offer } from '../../store/types.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'

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

const offerStatuses = ['draft', 'live'] as const

export const backfillSchema = z
  .object({
    earlierLeads: z.enum(['deliver', 'skip']),
    dryRun: z.boolean().describe('Nothing was changed; the counts say what saving would do.'),
    destinations: z
      .array(z.object({ id: z.string(), leads: z.int() }))
      .describe('Destinations the change adds to earlier leads, each with the earlier leads not there yet.'),
    leads: z.int().describe('Earlier leads that would get at least one delivery.'),
    deliveries: z.int().describe('One per such lead and gained destination.'),
    queued: z.int().describe('Deliveries queued: 0 with earlierLeads "skip" or dryRun.'),
    joinedLeads: z.int().describe('Leads that were waiting for the offer and joined it.'),
    mergedLeads: z.int().describe("Leads folded into the same customer's lead on the offer."),
  })
  .meta({
    id: 'Backfill',
    description:
      'Earlier leads whose route gains destinations: the leads of the offer, leads that were waiting under one of its names and join it (a customer with leads under both its id and its display name becomes one lead), or with the default route the leads of every offer without its own. Each is queued for the gained destinations it has nothing delivered, queued or in flight for yet, test leads included, as ingest would have queued them.',
  })

const offerSchema = z
  .object({
    id: z.string(),
    title: z.string().nullable(),
    aliases: z.array(z.string()).readonly().describe('Other names leads may carry for the offer'),
    destinations: z.array(z.string()).readonly().describe("Destination ids of the offer's own route"),
    status: z.enum(offerStatuses),
    publishedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Offer' })

const savedOfferSchema = offerSchema.extend({ backfill: backfillSchema }).meta({ id: 'SavedOffer' })

const publishResultSchema = z
  .object({
    offerId: z.string(),
    status: z.enum(offerStatuses).describe('live when every check passed'),
    usesDefaultRoute: z.boolean(),
    results: z.array(checkResultSchema),
  })
  .meta({ id: 'PublishResult' })

const offerParams = z.object({ offerId: z.string() })

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
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.put(
    '/v1/offers/:offerId',
    {
      config: requires('admin', 'editor'),
      schema: {
        operationId: 'putOffer',
        summary: 'Create or replace an offer; waiting leads join it; dryRun previews',
        params: z.object({ offerId: offerIdSchema }),
        body: offerBody,
        response: { 200: jsonAnswer('The offer, and what the change did for earlier leads', savedOfferSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const id = request.params.offerId
      const body = request.body
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
    },
  )

  api.get(
    '/v1/offers',
    {
      config: requires('read'),
      schema: {
        operationId: 'listOffers',
        summary: 'List offers',
        response: { 200: jsonAnswer('Offers', z.object({ items: z.array(offerSchema) })) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const offers = await deps.store.listOffers(tenant.id)
      return {
        items: await Promise.all(
          offers.map(async (offer) =>
            presentOffer(offer, await deps.destinations.getRoutes(tenant, `offer:${offer.id}`)),
          ),
        ),
      }
    },
  )

  api.get(
    '/v1/offers/:offerId',
    {
      config: requires('read'),
      schema: {
        operationId: 'getOffer',
        summary: 'One offer',
        params: offerParams,
        response: { 200: jsonAnswer('The offer', offerSchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const offer = await deps.store.getOffer(tenant.id, request.params.offerId)
      if (!offer) throw new AppError('OFFER_NOT_FOUND', `No offer ${request.params.offerId}`, { field: 'offerId' })
      return presentOffer(offer, await deps.destinations.getRoutes(tenant, `offer:${offer.id}`))
    },
  )

  api.post(
    '/v1/offers/:offerId/publish',
    {
      config: requires('admin', 'editor'),
      schema: {
        operationId: 'publishOffer',
        summary: 'Verify each routed destination and send it a test lead; live if all pass',
        params: offerParams,
        response: { 200: jsonAnswer('Each check, and whether the offer is live now', publishResultSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return deps.destinations.publish(caller.tenant, request.params.offerId, caller.actor)
    },
  )
}
