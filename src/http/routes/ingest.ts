/** Lead intake: Microsoft's HTTPS-endpoint URL and Leadrelay's own `POST /v1/leads`. */

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { stages } from '../../core/funnel.ts'
import type { IngestResponse } from '../../services/ingest.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { checkedByService, jsonAnswer } from '../route-schema.ts'
import { ingestTokenRoute, requires } from '../route-scopes.ts'

const customer = z
  .object(
    Object.fromEntries(
      ['FirstName', 'LastName', 'Email', 'Phone', 'Country', 'Company', 'Title'].map((name) => [
        name,
        z.string().optional(),
      ]),
    ),
  )
  .describe('Keys are matched case-insensitively. Any field may be missing.')

/** The JSON Microsoft's HTTPS-endpoint lead destination posts; checked by the ingest service, which keeps any shape. */
const microsoftLeadBody = checkedByService(
  z
    .looseObject({
      UserDetails: customer.optional(),
      LeadSource: z
        .string()
        .meta({ examples: ['AzureMarketplace-INS|contoso.crm-suite'] })
        .optional(),
      ActionCode: z
        .string()
        .meta({ examples: ['INS', 'PLT', 'DNC', 'Create', 'StartTestDrive'] })
        .optional(),
      OfferTitle: z.string().optional(),
      Description: z.string().optional(),
      CreatedTime: z
        .union([z.string(), z.number()])
        .describe(
          'When the customer acted: ISO 8601, or epoch milliseconds. A time outside 1970-01-01 to 9999-12-31 (or a fraction of a millisecond) is kept as sent with the event, the receive time is used instead, and the receipt warns occurredAt_invalid.',
        )
        .optional(),
    })
    .meta({
      id: 'MicrosoftLead',
      description: "The JSON Microsoft's HTTPS-endpoint lead destination posts. Unknown fields are kept.",
    }),
)

/** Leadrelay's own lead format; checked by the ingest service (LEAD_INVALID names the field). */
const apiLeadBody = checkedByService(
  z
    .looseObject({
      eventId: z.string().max(200).describe('Makes repeated sends idempotent.').optional(),
      leadSource: z.string().describe('Source-Action|Offer').optional(),
      source: z.string().optional(),
      action: z.string().optional(),
      offer: z.string().describe('publisher.offer id or display name').optional(),
      offerTitle: z.string().optional(),
      description: z.string().optional(),
      occurredAt: z.iso
        .datetime({ offset: true })
        .describe('From 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z; any other is 400 LEAD_INVALID.')
        .optional(),
      customer: customer.optional(),
    })
    .meta({
      id: 'NewLead',
      description:
        'Leadrelay format. Also accepts the Azure Table shape { LeadSource, CustomerInfo } with CustomerInfo as an object or a JSON string.',
    }),
)

/** The Idempotency-Key header; the ingest service refuses a malformed one with IDEMPOTENCY_KEY_INVALID. */
const idempotencyHeaders = checkedByService(
  z.object({
    'idempotency-key': z
      .string()
      .max(200)
      .describe(
        'Printable ASCII, up to 200 characters. A repeated send with the same key returns the original receipt and stores nothing new; the same key with a different body is 409 IDEMPOTENCY_KEY_REUSED.',
      )
      .optional(),
  }),
)

const receiptSchema = z
  .object({
    eventId: z.string(),
    leadId: z.string(),
    offerId: z.string().optional(),
    routed: z.boolean(),
    stage: z.enum(stages),
    leadStage: z.enum(stages),
    isTest: z.boolean(),
    newLead: z.boolean(),
    deliveries: z.int().describe('Deliveries queued for this change, one per routed destination.'),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'Receipt' })

const stored = {
  202: jsonAnswer(
    'Stored durably (committed to disk before this answer); the Idempotent-Replayed header says whether it repeats an earlier send',
    receiptSchema,
  ),
}

function answer(reply: FastifyReply, result: IngestResponse): FastifyReply {
  return reply
    .code(202)
    .header('idempotent-replayed', result.duplicate ? 'true' : 'false')
    .send(result.receipt)
}

function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' ? header : undefined
}

export function registerIngestRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.post(
    '/ingest/microsoft/:token',
    {
      config: ingestTokenRoute,
      schema: {
        operationId: 'ingestMicrosoftLead',
        summary: "Microsoft's HTTPS-endpoint lead destination; paste this URL into Partner Center",
        params: z.object({ token: z.string().describe('The secret ingest token (lr_in_…); it is the credential') }),
        // Partner Center sends no headers; an Idempotency-Key is honoured here too but not offered.
        body: microsoftLeadBody,
        response: stored,
      },
    },
    async (request, reply) => {
      // Microsoft cannot send headers, so the secret token in the path is the credential.
      const tenant = await deps.auth.tenantOfIngestToken(request.params.token)
      const result = await deps.ingest.ingest({
        tenantId: tenant.id,
        format: 'microsoft',
        body: request.body,
        idempotencyKey: idempotencyKeyOf(request.headers['idempotency-key']),
      })
      return answer(reply, result)
    },
  )

  api.post(
    '/v1/leads',
    {
      config: requires('ingest'),
      schema: {
        operationId: 'sendLead',
        summary: 'Send a lead',
        headers: idempotencyHeaders,
        body: apiLeadBody,
        response: stored,
      },
    },
    async (request, reply) => {
      const result = await deps.ingest.ingest({
        tenantId: callerOf(request).tenant.id,
        format: 'api',
        body: request.body,
        idempotencyKey: idempotencyKeyOf(request.headers['idempotency-key']),
        strict: true,
      })
      return answer(reply, result)
    },
  )
}
