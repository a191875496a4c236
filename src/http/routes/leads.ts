/** Reading leads: a filtered, cursor-paged list and one lead with its event history. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { stages } from '../../core/funnel.ts'
import { buildFunnelReport, buildOverTime, timeBucketsFor } from '../../core/funnel-report.ts'
import { isoTime } from '../../core/time.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'
import { presentDelivery } from './deliveries.ts'

const time = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text))
const flag = z.enum(['true', 'false']).transform((text) => text === 'true')

export const leadListQuery = z.strictObject({
  offer: z.string().min(1).max(200).optional(),
  stage: z.enum(stages).optional(),
  email: z.string().min(1).max(254).optional(),
  since: time.optional(),
  until: time.optional(),
  test: flag.optional(),
  routed: flag.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional(),
})

export const funnelQuery = z.strictObject({
  offer: z.string().min(1).max(200).optional(),
  since: time.optional(),
  until: time.optional(),
})

export function registerLeadRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/leads', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const query = parseWith(leadListQuery, request.query)
    const page = await deps.store.listLeads(
      tenant.id,
      {
        ...(query.offer !== undefined && { offerId: query.offer }),
        ...(query.stage !== undefined && { stage: query.stage }),
        ...(query.email !== undefined && { email: query.email }),
        ...(query.since !== undefined && { since: query.since }),
        ...(query.until !== undefined && { until: query.until }),
        ...(query.test !== undefined && { isTest: query.test }),
        ...(query.routed !== undefined && { routed: query.routed }),
      },
      { limit: query.limit, ...(query.cursor !== undefined && { cursor: query.cursor }) },
    )
    return { items: page.items.map(presentLead), ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }) }
  })

  app.get('/v1/funnel', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const query = parseWith(funnelQuery, request.query)
    const filter = {
      ...(query.offer !== undefined && { offerId: query.offer }),
      ...(query.since !== undefined && { since: query.since }),
      ...(query.until !== undefined && { until: query.until }),
    }
    const counts = await deps.store.funnelCounts(tenant.id, filter)
    const buckets = timeBucketsFor(filter, counts.firstEventAt, deps.clock.now())
    const overTime = buckets && buildOverTime(buckets, await deps.store.funnelOverTime(tenant.id, filter, buckets))
    return buildFunnelReport(counts, overTime)
  })

  app.get<{ Params: { leadId: string } }>('/v1/leads/:leadId', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const lead = await deps.store.getLead(tenant.id, request.params.leadId)
    // Another tenant's lead answers exactly like a lead that does not exist.
    if (!lead) throw new AppError('LEAD_NOT_FOUND', `No lead ${request.params.leadId}`, { field: 'leadId' })
    const events = await deps.store.listLeadEvents(tenant.id, lead.id)
    const deliveries = (await deps.store.listDeliveries(tenant.id, { leadId: lead.id }, { limit: 500 })).items
    const attempts = await deps.store.listAttempts(
      tenant.id,
      deliveries.map((delivery) => delivery.id),
    )
    return {
      ...presentLead(lead),
      events: events.map((event) => ({
        ...event,
        occurredAt: iso(event.occurredAt),
        receivedAt: iso(event.receivedAt),
      })),
      deliveries: deliveries.map((delivery) => presentDelivery(delivery, attempts)),
    }
  })
}

const iso = isoTime

/** The public shape of a lead: ISO times, no internal columns. */
export function presentLead(lead: import('../../store/types.ts').Lead) {
  return {
    id: lead.id,
    offerId: lead.offerId ?? null,
    offerName: lead.offerKey || null,
    routed: lead.offerId !== undefined,
    stage: lead.stage,
    doNotContact: lead.doNotContact,
    isTest: lead.isTest,
    customer: lead.customer,
    source: lead.source ?? null,
    action: lead.action ?? null,
    eventCount: lead.eventCount,
    firstEventAt: iso(lead.firstEventAt),
    lastEventAt: iso(lead.lastEventAt),
    createdAt: iso(lead.createdAt),
    updatedAt: iso(lead.updatedAt),
    version: lead.version,
  }
}
