/** Reading leads: a filtered, sorted, counted, cursor-paged list, its CSV export, and one lead with its history. */

import { PassThrough, Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { stages } from '../../core/funnel.ts'
import { buildFunnelReport, buildOverTime, funnelSteps, timeBucketsFor, timeStages } from '../../core/funnel-report.ts'
import type { Lead } from '../../core/lead.ts'
import { isoTime } from '../../core/time.ts'
import { exportLeads } from '../../services/lead-files/export-leads.ts'
import { type LeadFilter, type LeadSort, type LeadSortField, leadSortFields } from '../../store/types.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'
import { deliverySchema, presentDelivery } from './deliveries.ts'

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

export const customerSchema = z
  .object({
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    email: z.string().describe('Lower-cased; present only when it is a valid address').optional(),
    phone: z.string().describe('As sent').optional(),
    phoneDigits: z.string().describe('The digits of phone, to match a customer who left no email').optional(),
    country: z.string().describe('ISO 3166-1 alpha-2 when recognisable, otherwise as sent').optional(),
    company: z.string().optional(),
    title: z.string().optional(),
  })
  .meta({ id: 'Customer' })

const leadSchema = z
  .object({
    id: z.string(),
    offerId: z.string().nullable().describe('The configured offer; null while the offer is unknown (unrouted)'),
    offerName: z.string().nullable().describe('The offer as the lead names it'),
    offerTitle: z.string().nullable().describe("The configured offer's title, when it has one"),
    routed: z.boolean(),
    stage: z.enum(stages).describe('The furthest stage any event reached'),
    doNotContact: z.boolean(),
    isTest: z.boolean(),
    customer: customerSchema,
    source: z.string().nullable(),
    action: z.string().nullable(),
    eventCount: z.int(),
    firstEventAt: z.string(),
    lastEventAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.int().describe('Increases with every change; a delivery carries the version it delivers'),
  })
  .meta({ id: 'LeadSummary', description: 'A lead: every event of one customer for one offer, merged' })

const leadEventSchema = z
  .object({
    id: z.string(),
    format: z.string(),
    receivedAt: z.string(),
    occurredAt: z.string(),
    leadSource: z.string().optional(),
    source: z.string().optional(),
    action: z.string().optional(),
    stage: z.enum(stages),
    offerRef: z.string().optional(),
    offerTitle: z.string().optional(),
    description: z.string().optional(),
    customer: customerSchema,
    invalid: z
      .record(z.string(), z.string())
      .describe('Values kept as sent that could not be used (a time out of range)')
      .optional(),
    isTest: z.boolean(),
  })
  .meta({ id: 'LeadEvent' })

const leadDetailSchema = leadSchema
  .extend({ events: z.array(leadEventSchema), deliveries: z.array(deliverySchema) })
  .meta({ id: 'LeadDetail' })

const leadPageSchema = z
  .object({
    items: z.array(leadSchema),
    nextCursor: z.string().optional(),
    total: z.int().describe('Matching leads, exact up to 10,000'),
    totalIsEstimate: z.boolean().describe('More than `total` leads match'),
    sort: z.enum(leadSortFields),
    order: z.enum(['asc', 'desc']),
  })
  .meta({ id: 'LeadPage' })

/** A count for each of `keys`, every one present. */
function countsOf<const K extends readonly string[]>(keys: K) {
  return z.object(Object.fromEntries(keys.map((key) => [key, z.int()])) as Record<K[number], z.ZodInt>)
}

const countsByStage = countsOf(stages)

const funnelReportSchema = z
  .object({
    leads: z.int(),
    stages: countsByStage.describe('Leads whose first event was in the period, by the stage they are in now'),
    reached: countsOf(funnelSteps).describe(
      'Trial: leads whose first trial was in the period. Initial interest, active and customer: leads that reached this step or a later one. Churned: leads whose subscription is cancelled now.',
    ),
    conversion: z
      .array(z.object({ from: z.string(), to: z.string(), rate: z.number().nullable() }))
      .readonly()
      .describe(
        'Share of leads that went on from one step to the next (or further), 0..1; null when none reached the first',
      ),
    withEvent: countsByStage.describe(
      'Leads that first reached each stage in the period, all sources together (docs/funnel.md)',
    ),
    bySource: z.array(z.object({ source: z.string(), stages: countsByStage })).readonly(),
    overTime: z
      .object({
        unit: z.enum(['day', 'week']),
        buckets: z
          .array(
            z.object({
              start: z.string().describe('ISO start of the day or week'),
              leads: z.int().describe('Leads whose first event was in the bucket'),
              stages: countsOf(timeStages),
            }),
          )
          .readonly(),
      })
      .describe('Leads per day or week of the period; absent when nothing happened in it')
      .optional(),
  })
  .meta({ id: 'FunnelReport' })

/** A CSV file, written to the client as it is read (a stream, documented as the text it is). */
const csvStream = z.custom<Readable>((value) => value instanceof Readable).meta({ type: 'string' })

export function registerLeadRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.get(
    '/v1/leads',
    {
      config: requires('read'),
      schema: {
        operationId: 'listLeads',
        summary: 'List leads: filtered, sorted (default: most recent activity first), counted, cursor-paged',
        description:
          'Every filter, the sort and the count run in the database, each served by an index. `q` matches leads whose full name, last name, company, email or email domain starts with it (trimmed, lower-cased). `email` and `emailDomain` match exactly, case-insensitively; `since`/`until` bound the last activity. `sort` is lastActivity, createdAt, name or company; `order` defaults to desc for times and asc for names; ties go by lead id. `nextCursor` continues the same filter and sort only. `total` counts the matching leads exactly up to 10,000; beyond that it is 10,000 with `totalIsEstimate: true` (meaning "more than").',
        querystring: leadListQuery,
        response: { 200: jsonAnswer('A page of leads', leadPageSchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const query = request.query
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
    },
  )

  api.get(
    '/v1/leads/export.csv',
    {
      config: requires('read'),
      schema: {
        operationId: 'exportLeads',
        summary: 'The leads matching the list filters as CSV, one row per event, streamed (docs/import-export.md)',
        querystring: leadExportQuery,
        produces: ['text/csv'],
        response: { 200: { description: 'CSV', content: { 'text/csv': { schema: csvStream } } } },
      },
    },
    async (request, reply) => {
      const tenant = callerOf(request).tenant
      const filter = leadFilterOf(request.query)
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
    },
  )

  api.get(
    '/v1/funnel',
    {
      config: requires('read'),
      schema: {
        operationId: 'getFunnel',
        summary:
          'Funnel for an offer and period: customers per step (trial: only those who had one), conversion, by source with an all-sources total (withEvent), and leads per day or week (overTime)',
        querystring: funnelQuery,
        response: { 200: jsonAnswer('The funnel', funnelReportSchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const query = request.query
      const filter = {
        ...(query.offer !== undefined && { offerId: query.offer }),
        ...(query.since !== undefined && { since: query.since }),
        ...(query.until !== undefined && { until: query.until }),
      }
      const counts = await deps.store.funnelCounts(tenant.id, filter)
      const buckets = timeBucketsFor(filter, counts.firstEventAt, deps.clock.now())
      const overTime = buckets && buildOverTime(buckets, await deps.store.funnelOverTime(tenant.id, filter, buckets))
      return buildFunnelReport(counts, overTime)
    },
  )

  api.get(
    '/v1/leads/:leadId',
    {
      config: requires('read'),
      schema: {
        operationId: 'getLead',
        summary: 'One lead with its event history and every delivery with its attempts',
        params: z.object({ leadId: z.string() }),
        response: { 200: jsonAnswer('The lead', leadDetailSchema) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
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
    },
  )
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
