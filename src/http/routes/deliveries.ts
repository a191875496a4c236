/** Deliveries: where every lead stands at every destination, with each attempt; replay after a fix. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type AttemptRecord, attemptKinds, type Delivery } from '../../core/delivery.ts'
import { deliveryStates } from '../../core/delivery-state.ts'
import { AppError } from '../../core/errors.ts'
import { stages } from '../../core/funnel.ts'
import { isoTime } from '../../core/time.ts'
import type { DeliveryLeadSummary } from '../../store/delivery-list-queries.ts'
import type { DeliveryFilter } from '../../store/types.ts'
import { attemptExchangeFields, presentExchange } from '../attempt-exchange-schema.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'

const time = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text))

const filterFields = {
  state: z.enum(deliveryStates).optional(),
  destination: z.string().min(1).max(100).optional(),
  lead: z.string().min(1).max(100).optional(),
  /** The last error, exactly: one group of failing or dead deliveries. */
  reason: z.string().min(1).max(2000).optional(),
  since: time.optional(),
  until: time.optional(),
}

export const deliveryListQuery = z.strictObject({
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional(),
})

export const replayBody = z.union([
  z.strictObject({ ids: z.array(z.string().min(1)).min(1).max(10_000) }),
  z.strictObject({ filter: z.strictObject(filterFields) }),
])

function filterOf(query: {
  state?: Delivery['state']
  destination?: string
  lead?: string
  reason?: string
  since?: number
  until?: number
}): DeliveryFilter {
  return {
    ...(query.state !== undefined && { state: query.state }),
    ...(query.destination !== undefined && { destinationId: query.destination }),
    ...(query.lead !== undefined && { leadId: query.lead }),
    ...(query.reason !== undefined && { reason: query.reason }),
    ...(query.since !== undefined && { since: query.since }),
    ...(query.until !== undefined && { until: query.until }),
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? null : isoTime(ms))

export const attemptSchema = z
  .object({
    id: z.string(),
    number: z.int().min(1).describe('1, 2, 3… per delivery; never repeated, replays included.'),
    kind: z
      .enum(attemptKinds)
      .describe(
        'scheduled: the first try or a retry on the schedule; replay: queued again by a publisher; test: a test lead.',
      ),
    startedAt: z.string().nullable(),
    durationMs: z.int(),
    outcome: z
      .string()
      .describe('delivered, or the failure kind: retryable, rate_limited, auth, rejected, misconfigured, gone'),
    status: z.int().nullable(),
    vendorCode: z.string().nullable(),
    error: z.string().nullable(),
    leadVersion: z.int(),
    ...attemptExchangeFields,
  })
  .meta({ id: 'Attempt', description: 'One attempt of a delivery, as listed in its attemptLog.' })

export const deliverySchema = z
  .object({
    id: z.string(),
    leadId: z.string(),
    destinationId: z.string(),
    leadVersion: z.int(),
    state: z.enum(deliveryStates),
    attempts: z.int(),
    nextAttemptAt: z.string().nullable().describe('When a queued delivery is tried next'),
    lastError: z.string().nullable(),
    lastErrorKind: z.string().nullable(),
    lastStatus: z.int().nullable(),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    attemptLog: z
      .array(attemptSchema)
      .describe('Every attempt, on a delivery read on its own or with its lead')
      .optional(),
  })
  .meta({ id: 'Delivery' })

const deliveryLeadSchema = z
  .object({
    id: z.string(),
    customer: z.object({
      firstName: z.string().optional(),
      lastName: z.string().optional(),
      email: z.string().optional(),
      company: z.string().optional(),
    }),
    stage: z.enum(stages),
    offerId: z.string().nullable(),
    offerTitle: z.string().nullable(),
  })
  .meta({ id: 'DeliveryLead', description: 'The customer and offer of a delivery, for lists' })

const deliveryPageSchema = z
  .object({
    items: z.array(deliverySchema.extend({ lead: deliveryLeadSchema.nullable() })),
    nextCursor: z.string().optional(),
    total: z.int().describe('Matching deliveries, exact up to 10,000'),
    totalIsEstimate: z.boolean().describe('More than `total` deliveries match'),
  })
  .meta({ id: 'DeliveryPage' })

const deliveryTroubleSchema = z
  .object({
    trouble: z.enum(['dead', 'failing']),
    destinationId: z.string(),
    reason: z.string(),
    count: z.int(),
  })
  .meta({ id: 'DeliveryTrouble' })

const replayResultSchema = z
  .object({
    replayed: z.int(),
    skipped: z.int().describe('Deliveries named that were not final (still queued or in flight) or not found'),
    ids: z.array(z.string()).describe('The replayed deliveries, up to 1,000'),
  })
  .meta({ id: 'ReplayResult' })

const auditEntrySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    actor: z.string().describe('Who: key:<api key id>, person:<person id>, cli:<user>, system'),
    actorName: z.string().describe("The person's name or the key's name behind actor").optional(),
    action: z.string(),
    target: z.string().optional(),
    targetName: z.string().describe("The target's current name, when it has one").optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    at: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' })

const deliveryParams = z.object({ deliveryId: z.string() })

export function presentAttempt(attempt: AttemptRecord) {
  return {
    id: attempt.id,
    number: attempt.number,
    kind: attempt.kind,
    startedAt: iso(attempt.startedAt),
    durationMs: attempt.durationMs,
    outcome: attempt.outcome,
    status: attempt.status ?? null,
    vendorCode: attempt.vendorCode ?? null,
    error: attempt.error ?? null,
    leadVersion: attempt.leadVersion,
    ...presentExchange(attempt),
  }
}

export function presentDelivery(delivery: Delivery, attempts?: readonly AttemptRecord[]) {
  return {
    id: delivery.id,
    leadId: delivery.leadId,
    destinationId: delivery.destinationId,
    leadVersion: delivery.leadVersion,
    state: delivery.state,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.state === 'queued' ? iso(delivery.runAt) : null,
    lastError: delivery.lastError ?? null,
    lastErrorKind: delivery.lastErrorKind ?? null,
    lastStatus: delivery.lastStatus ?? null,
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(delivery.updatedAt),
    deliveredAt: iso(delivery.deliveredAt),
    ...(attempts && { attemptLog: attempts.filter((a) => a.deliveryId === delivery.id).map(presentAttempt) }),
  }
}

/** Counting stops here: beyond it the answer says "more than 10,000" (`totalIsEstimate`). */
export const deliveryTotalCap = 10_000

function presentDeliveryLead(lead: DeliveryLeadSummary | undefined) {
  if (!lead) return null
  return {
    id: lead.leadId,
    customer: {
      ...(lead.firstName !== undefined && { firstName: lead.firstName }),
      ...(lead.lastName !== undefined && { lastName: lead.lastName }),
      ...(lead.email !== undefined && { email: lead.email }),
      ...(lead.company !== undefined && { company: lead.company }),
    },
    stage: lead.stage,
    offerId: lead.offerId ?? null,
    offerTitle: lead.offerTitle ?? null,
  }
}

export function registerDeliveryRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.get(
    '/v1/deliveries',
    {
      config: requires('read'),
      schema: {
        operationId: 'listDeliveries',
        summary:
          'Deliveries, newest first, filtered by state, destination, lead, reason and time; each with its lead (customer, offer title); total exact up to 10,000',
        querystring: deliveryListQuery,
        response: { 200: jsonAnswer('A page of deliveries', deliveryPageSchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const query = request.query
      const filter = filterOf(query)
      const [page, total] = await Promise.all([
        deps.store.listDeliveries(tenant.id, filter, {
          limit: query.limit,
          ...(query.cursor !== undefined && { cursor: query.cursor }),
        }),
        deps.store.countDeliveries(tenant.id, filter, deliveryTotalCap),
      ])
      // The customer and offer of every delivery on the page, read together: no request per lead.
      const leads = await deps.store.deliveryLeads(
        tenant.id,
        page.items.map((delivery) => delivery.leadId),
      )
      return {
        items: page.items.map((delivery) => ({
          ...presentDelivery(delivery),
          lead: presentDeliveryLead(leads.get(delivery.leadId)),
        })),
        ...(page.nextCursor && { nextCursor: page.nextCursor }),
        total: total.count,
        totalIsEstimate: total.capped,
      }
    },
  )

  api.get(
    '/v1/deliveries/troubles',
    {
      config: requires('read'),
      schema: {
        operationId: 'listDeliveryTroubles',
        summary: 'Dead and failing deliveries counted per destination and reason',
        response: {
          200: jsonAnswer('Groups, largest first', z.object({ items: z.array(deliveryTroubleSchema).readonly() })),
        },
      },
    },
    async (request) => ({ items: await deps.store.deliveryTroubles(callerOf(request).tenant.id, 100) }),
  )

  api.post(
    '/v1/deliveries/:deliveryId/retry',
    {
      config: requires('admin', 'editor'),
      schema: {
        operationId: 'retryDelivery',
        summary:
          'Make a queued delivery due now (audited); a destination held by a rate limit, paused or disabled still waits: destinationHeldUntil and destinationState say so',
        params: deliveryParams,
        response: {
          200: jsonAnswer(
            'The delivery, and what may still hold it back',
            deliverySchema.extend({
              destinationState: z.enum(['active', 'paused', 'disabled']),
              destinationHeldUntil: z.string().nullable(),
            }),
          ),
        },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const result = await deps.destinations.retryNow(caller.tenant, request.params.deliveryId, caller.actor)
      return {
        ...presentDelivery(result.delivery),
        destinationState: result.destinationState,
        destinationHeldUntil: iso(result.heldUntil),
      }
    },
  )

  api.get(
    '/v1/deliveries/:deliveryId',
    {
      config: requires('read'),
      schema: {
        operationId: 'getDelivery',
        summary: 'One delivery with every attempt',
        params: deliveryParams,
        response: { 200: jsonAnswer('The delivery', deliverySchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const delivery = await deps.store.getDelivery(tenant.id, request.params.deliveryId)
      if (!delivery)
        throw new AppError('DELIVERY_NOT_FOUND', `No delivery ${request.params.deliveryId}`, { field: 'deliveryId' })
      return presentDelivery(delivery, await deps.store.listAttempts(tenant.id, [delivery.id]))
    },
  )

  api.post(
    '/v1/deliveries/replay',
    {
      config: requires('admin', 'editor'),
      schema: {
        operationId: 'replayDeliveries',
        summary: 'Queue final deliveries again, by ids or by filter (audited)',
        body: replayBody,
        response: { 200: jsonAnswer('What was queued again', replayResultSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const body = request.body
      const selector = 'ids' in body ? { ids: body.ids } : { filter: filterOf(body.filter) }
      const result = await deps.destinations.replay(caller.tenant, selector, caller.actor)
      return { replayed: result.replayed.length, skipped: result.skipped, ids: result.replayed.slice(0, 1000) }
    },
  )

  api.get(
    '/v1/audit',
    {
      config: requires('read'),
      schema: {
        operationId: 'listAudit',
        summary:
          'Who changed destinations, routing, publishes, notification contacts and keys, newest first; each target with its current name (targetName)',
        response: { 200: jsonAnswer('The newest 200 entries', z.object({ items: z.array(auditEntrySchema) })) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const entries = await deps.store.listAudit(tenant.id, 200)
      // Who acted, by name: the person, or the key's name (ids stay for those who need them).
      const names = await deps.store.namesOfActors(entries.map((entry) => entry.actor))
      return {
        items: entries.map((entry) => ({
          ...entry,
          ...(names.has(entry.actor) && { actorName: names.get(entry.actor) }),
          at: iso(entry.at),
        })),
      }
    },
  )
}
