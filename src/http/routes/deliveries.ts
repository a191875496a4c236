/** Deliveries: where every lead stands at every destination, with each attempt; replay after a fix. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AttemptRecord, Delivery } from '../../core/delivery.ts'
import { deliveryStates } from '../../core/delivery-state.ts'
import { AppError } from '../../core/errors.ts'
import { isoTime } from '../../core/time.ts'
import type { DeliveryLeadSummary } from '../../store/delivery-list-queries.ts'
import type { DeliveryFilter } from '../../store/types.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

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
  app.get('/v1/deliveries', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const query = parseWith(deliveryListQuery, request.query)
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
  })

  app.get('/v1/deliveries/troubles', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const groups = await deps.store.deliveryTroubles(tenant.id, 100)
    return { items: groups }
  })

  app.post<{ Params: { deliveryId: string } }>('/v1/deliveries/:deliveryId/retry', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const result = await deps.destinations.retryNow(caller.tenant, request.params.deliveryId, caller.actor)
    return {
      ...presentDelivery(result.delivery),
      destinationState: result.destinationState,
      destinationHeldUntil: iso(result.heldUntil),
    }
  })

  app.get<{ Params: { deliveryId: string } }>('/v1/deliveries/:deliveryId', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const delivery = await deps.store.getDelivery(tenant.id, request.params.deliveryId)
    if (!delivery)
      throw new AppError('DELIVERY_NOT_FOUND', `No delivery ${request.params.deliveryId}`, { field: 'deliveryId' })
    return presentDelivery(delivery, await deps.store.listAttempts(tenant.id, [delivery.id]))
  })

  app.post('/v1/deliveries/replay', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const body = parseWith(replayBody, request.body)
    const selector = 'ids' in body ? { ids: body.ids } : { filter: filterOf(body.filter) }
    const result = await deps.destinations.replay(caller.tenant, selector, caller.actor)
    return { replayed: result.replayed.length, skipped: result.skipped, ids: result.replayed.slice(0, 1000) }
  })

  app.get('/v1/audit', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
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
  })
}
