/** Reading leads: a filtered, sorted, counted, cursor-paged list, its CSV export, and one lead with its history. */

import { PassThrough } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { stages } from '../../core/funnel.ts'
import { buildFunnelReport, buildOverTime, timeBucketsFor } from '../../core/funnel-report.ts'
import type { Lead } from '../../core/lead.ts'
import { isoTime } from '../../core/time.ts'
import { exportLeads } from '../../services/lead-files.ts'
import { type LeadFilter, type LeadSort, type LeadSortField, leadSortFields } from '../../store/types.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'
import { presentDelivery } from './deliveries.ts'

const time = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text))
const flag = z.enum(['true', 'false']).transform((text) => text === 'true')

/** The filters shared by the list and the CSV export. */
const leadFilterFields = {
  offer: z.string().min(1).max(200).optional(),
  stage: z.enum(stages).optional(),
  source: z.string().min(1).max(100).optional(),
  doNotContact: flag.optional(),
  email: z.string().min(1).max(254).optional(),
  emailDomain: z.string().min(1).max(254).optional(),
  q: z.string().min(1).max(200).optional(),
  since: time.optional(),
  until: time.optional(),
  test: flag.optional(),
  routed: flag.optional(),
}

export const leadListQuery = z.strictObject({
  ...leadFilterFields,
  sort: z.enum(leadSortFields).default('lastActivity'),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(400).optional(),
})

export const leadExportQuery = z.strictObject(leadFilterFields)

/** Counting stops here: beyond it the answer says "more than 10,000" (`totalIsEstimate`) instead of reading on. */
export const leadTotalCap = 10_000

function leadFilterOf(query: z.infer<typeof leadExportQuery>): LeadFilter {
  return {
    ...(query.offer !== undefined && { offerId: query.offer }),
    ...(query.stage !== undefined && { stage: query.stage }),
    ...(query.source !== undefined && { source: query.source }),
    ...(query.doNotContact !== undefined && { doNotContact: query.doNotContact }),
    ...(query.email !== undefined && { email: query.email }),
    ...(query.emailDomain !== undefined && { emailDomain: query.emailDomain }),
    ...(query.q !== undefined && { search: query.q }),
    ...(query.since !== undefined && { since: query.since }),
    ...(query.until !== undefined && { until: query.until }),
    ...(query.test !== undefined && { isTest: query.test }),
    ...(query.routed !== undefined && { routed: query.routed }),
  }
}

/** Times newest first, names A to Z, unless `order` says otherwise. */
function sortOf(query: { sort: LeadSortField; order?: 'asc' | 'desc' | undefined }): LeadSort {
  const natural = query.sort === 'lastActivity' || query.sort === 'createdAt' ? 'desc' : 'asc'
  return { by: query.sort, direction: query.order ?? natural }
}

export const funnelQuery = z.strictObject({
  offer: z.string().min(1).max(200).optional(),
  since: time.optional(),
  until: time.optional(),
})

export function registerLeadRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/leads', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const query = parseWith(leadListQuery, request.query)
    const filter = leadFilterOf(query)
    const sort = sortOf(query)
    const [page, total] = await Promise.all([
      deps.store.listLeads(tenant.id, filter, {
        limit: query.limit,
        sort,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      }),
      deps.store.countLeads(tenant.id, filter, leadTotalCap),
    ])
    const titles = await offerTitles(deps, tenant.id, page.items)
    return {
      items: page.items.map((lead) => presentLead(lead, titles)),
      ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }),
      total: total.count,
      totalIsEstimate: total.capped,
      sort: sort.by,
      order: sort.direction,
    }
  })

  app.get('/v1/leads/export.csv', async (request, reply) => {
    const tenant = await deps.auth.tenantOf(request)
    const filter = leadFilterOf(parseWith(leadExportQuery, request.query))
    const output = new PassThrough()
    // Written page by page as the client reads; a failure midway can only cut the file short.
    exportLeads(deps.store, { tenantId: tenant.id, format: 'csv', filter, output }).then(
      () => output.end(),
      (error: unknown) => {
        request.log.error({ err: error }, 'lead export failed midway')
        output.destroy(error instanceof Error ? error : new Error(String(error)))
      },
    )
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="leads.csv"')
      .send(output)
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
      ...presentLead(lead, await offerTitles(deps, tenant.id, [lead])),
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

/** Titles of the configured offers among `leads`, by offer id (one query per page). */
async function offerTitles(deps: HttpDeps, tenantId: string, leads: readonly Lead[]): Promise<Map<string, string>> {
  const ids = new Set(leads.flatMap((lead) => (lead.offerId === undefined ? [] : [lead.offerId])))
  if (ids.size === 0) return new Map()
  const offers = await deps.store.listOffers(tenantId)
  return new Map(
    offers.flatMap((offer) => (ids.has(offer.id) && offer.title !== undefined ? [[offer.id, offer.title]] : [])),
  )
}

/** The public shape of a lead: ISO times, no internal columns; `offerTitle` when its offer has one. */
export function presentLead(lead: Lead, titles?: ReadonlyMap<string, string>) {
  return {
    id: lead.id,
    offerId: lead.offerId ?? null,
    offerName: lead.offerKey || null,
    offerTitle: (lead.offerId !== undefined && titles?.get(lead.offerId)) || null,
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
