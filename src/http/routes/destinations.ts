/** Destinations: create, read, update, delete, verify with a test lead. Secrets go in, never come out. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { destinationStates } from '../../core/delivery-state.ts'
import { changeRouting } from '../../services/change-routing.ts'
import { checkResultSchema, destinationInput, destinationPatchInput } from '../../services/destinations.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'
import { attemptSchema, presentAttempt } from './deliveries.ts'
import { customerSchema } from './leads.ts'
import { backfillSchema, earlierLeadsFields, presentBackfill } from './offers.ts'

/**
 * A destination as the API shows it: never a secret value. Besides these members a kind may say what it stores
 * (`secretHeaders`: names only), and a create, update or rotation answer carries the secrets it generated, once.
 */
const destinationSchema = z
  .looseObject({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    config: z.unknown().describe("Settings, as the kind's configSchema describes them"),
    hasSecrets: z.boolean(),
    state: z.enum(destinationStates),
    stateReason: z.string().nullable(),
    failingSince: z.string().nullable(),
    throttledSince: z.string().nullable().describe("Since when the vendor's rate limit has held deliveries back"),
    health: z
      .enum(['healthy', 'throttled', 'failing', 'paused', 'disabled'])
      .describe("What the portal's badge says; rate limiting shows only once it has lasted"),
    limits: z.object({ maxConcurrency: z.int(), ratePerSecond: z.number().nullable() }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Destination' })

const concurrencySchema = z
  .object({ window: z.int(), ceiling: z.int(), inFlight: z.int() })
  .nullable()
  .describe(
    "Attempts in flight this node's worker allows now (adaptive, up to ceiling); null before its first delivery",
  )

const destinationWithConcurrency = destinationSchema.extend({ concurrency: concurrencySchema })

const secretFieldSchema = z
  .object({
    name: z.string(),
    label: z.string(),
    required: z.boolean(),
    generated: z.boolean().optional(),
    help: z.string().optional(),
    multiline: z.boolean().optional(),
    headerRecord: z.boolean().optional(),
    when: z.record(z.string(), z.array(z.string()).readonly()).optional(),
  })
  .meta({ id: 'SecretField' })

const destinationKindSchema = z
  .object({
    kind: z.string(),
    displayName: z.string(),
    configSchema: z
      .record(z.string(), z.unknown())
      .describe("JSON Schema (draft 2020-12) of the kind's settings, with x-when and x-enum-labels for forms"),
    secretFields: z.array(secretFieldSchema).readonly(),
    supportsSecretRotation: z.boolean(),
  })
  .meta({ id: 'DestinationKind' })

const destinationAttemptLogSchema = z
  .object({
    items: z.array(attemptSchema.extend({ deliveryId: z.string(), leadId: z.string(), customer: customerSchema })),
    nextCursor: z.string().optional(),
    successRate: z.object({
      last24h: z.object({ attempts: z.int(), delivered: z.int(), rate: z.number().nullable() }),
      last7d: z.object({ attempts: z.int(), delivered: z.int(), rate: z.number().nullable() }),
    }),
  })
  .meta({ id: 'DestinationAttemptLog' })

const routeSchema = z.object({ destinations: z.array(z.string()).readonly() })

const destinationParams = z.object({ destinationId: z.string() })

export function registerDestinationRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.post(
    '/v1/destinations',
    {
      config: requires('admin'),
      schema: {
        operationId: 'createDestination',
        summary: 'Create a destination; generated secrets are in this answer only',
        body: destinationInput,
        response: { 201: jsonAnswer('The destination, with any secret generated for it', destinationSchema) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const created = await deps.destinations.create(caller.tenant, request.body, caller.actor)
      // Generated secrets (a webhook signing secret) are shown here once and never again.
      return reply.code(201).send({ ...created.destination, ...created.revealedSecrets })
    },
  )

  /** The adaptive window this node's worker holds for the destination; null before its first delivery here. */
  const withConcurrency = <T extends { readonly id: string }>(destination: T) => {
    const view = deps.deliveryWindows?.().get(destination.id)
    return { ...destination, concurrency: view ?? null }
  }

  api.get(
    '/v1/destinations',
    {
      config: requires('read'),
      schema: {
        operationId: 'listDestinations',
        summary: 'List destinations with their health',
        response: { 200: jsonAnswer('Destinations', z.object({ items: z.array(destinationWithConcurrency) })) },
      },
    },
    async (request) => ({ items: (await deps.destinations.list(callerOf(request).tenant)).map(withConcurrency) }),
  )

  api.get(
    '/v1/destinations/:destinationId',
    {
      config: requires('read'),
      schema: {
        operationId: 'getDestination',
        summary: 'One destination (never its secrets)',
        params: destinationParams,
        response: { 200: jsonAnswer('The destination', destinationWithConcurrency) },
      },
    },
    async (request) =>
      withConcurrency(await deps.destinations.get(callerOf(request).tenant, request.params.destinationId)),
  )

  api.patch(
    '/v1/destinations/:destinationId',
    {
      config: requires('admin'),
      schema: {
        operationId: 'updateDestination',
        summary: 'Change a destination; a paused or disabled one resumes',
        params: destinationParams,
        body: destinationPatchInput,
        response: { 200: jsonAnswer('The destination, with any secret generated by the change', destinationSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const updated = await deps.destinations.update(
        caller.tenant,
        request.params.destinationId,
        request.body,
        caller.actor,
      )
      return { ...updated.destination, ...updated.revealedSecrets }
    },
  )

  api.delete(
    '/v1/destinations/:destinationId',
    {
      config: requires('admin'),
      schema: {
        operationId: 'deleteDestination',
        summary: 'Delete a destination; its pending deliveries end dead',
        params: destinationParams,
        response: { 204: z.undefined().describe('Deleted') },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await deps.destinations.remove(caller.tenant, request.params.destinationId, caller.actor)
      return reply.code(204).send()
    },
  )

  api.post(
    '/v1/destinations/:destinationId/verify',
    {
      config: requires('admin'),
      schema: {
        operationId: 'verifyDestination',
        summary: 'Test connection: an authenticated check, then one test lead',
        params: destinationParams,
        response: { 200: jsonAnswer('What the check found', checkResultSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return deps.destinations.verify(caller.tenant, request.params.destinationId, caller.actor)
    },
  )

  api.get(
    '/v1/destinations/:destinationId/attempts',
    {
      config: requires('read'),
      schema: {
        operationId: 'listDestinationAttempts',
        summary:
          "The destination's delivery log: attempts newest first, each with its lead, and the success rate over 24 h and 7 days",
        params: destinationParams,
        querystring: destinationAttemptsQuery,
        response: { 200: jsonAnswer('A page of the delivery log', destinationAttemptLogSchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const { destinationId } = request.params
      const query = request.query
      // An unknown destination (or another tenant's) answers DESTINATION_NOT_FOUND, like every destination route.
      await deps.destinations.get(tenant, destinationId)
      const now = deps.clock.now()
      const rateSince = async (since: number) => {
        const stats = await deps.store.destinationAttemptStats(tenant.id, destinationId, since)
        return { ...stats, rate: stats.attempts === 0 ? null : stats.delivered / stats.attempts }
      }
      const [page, last24h, last7d] = await Promise.all([
        deps.store.listDestinationAttempts(tenant.id, destinationId, {
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
    },
  )

  api.get(
    '/v1/destination-kinds',
    {
      config: requires('read'),
      schema: {
        operationId: 'listDestinationKinds',
        summary: 'Destination kinds with their config JSON Schema and secret fields',
        response: { 200: jsonAnswer('Every kind', z.object({ items: z.array(destinationKindSchema) })) },
      },
    },
    async () => ({ items: deps.destinations.kinds() }),
  )

  api.get(
    '/v1/destinations/:destinationId/preview/:leadId',
    {
      config: requires('read'),
      schema: {
        operationId: 'previewDestinationPayload',
        summary: 'The exact payload the destination would get for a lead',
        params: z.object({ destinationId: z.string(), leadId: z.string() }),
        response: {
          200: jsonAnswer(
            'The payload, nothing sent',
            z.object({ payload: z.unknown().describe("The request body in the vendor's format") }),
          ),
        },
      },
    },
    async (request) => {
      const { destinationId, leadId } = request.params
      return { payload: await deps.destinations.preview(callerOf(request).tenant, destinationId, leadId) }
    },
  )

  api.post(
    '/v1/destinations/:destinationId/rotate-secrets',
    {
      config: requires('admin'),
      schema: {
        operationId: 'rotateDestinationSecrets',
        summary: 'New secrets; the old signing secret stays valid 24 h',
        params: destinationParams,
        response: { 200: jsonAnswer('The destination with its new secrets, shown once', destinationSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const rotated = await deps.destinations.rotateSecrets(caller.tenant, request.params.destinationId, caller.actor)
      return { ...rotated.destination, ...rotated.revealedSecrets }
    },
  )

  api.put(
    '/v1/routes/default',
    {
      config: requires('admin'),
      schema: {
        operationId: 'putDefaultRoute',
        summary: 'Destinations for leads of offers without their own; dryRun previews',
        body: routeBody,
        response: {
          200: jsonAnswer(
            'The default route, and what the change did for earlier leads',
            routeSchema.extend({ backfill: backfillSchema }),
          ),
        },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const body = request.body
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
    },
  )

  api.get(
    '/v1/routes/default',
    {
      config: requires('read'),
      schema: {
        operationId: 'getDefaultRoute',
        summary: "The tenant's default route",
        response: { 200: jsonAnswer('The default route', routeSchema) },
      },
    },
    async (request) => ({ destinations: await deps.destinations.getRoutes(callerOf(request).tenant, 'default') }),
  )
}

export const routeBody = z.strictObject({ destinations: z.array(z.string().min(1)).max(20), ...earlierLeadsFields })

/** Paging of a destination's delivery log. */
export const destinationAttemptsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(200).optional(),
})
