/** The OpenAPI 3.1 document served at `/openapi.json`, built from the same zod schemas the routes validate with. */

import { z } from 'zod'
import { errorCatalogue } from '../core/errors.ts'
import { stages } from '../core/funnel.ts'
import { leadListQuery } from './routes/leads.ts'
import { offerBody } from './routes/offers.ts'

const customerSchema = {
  type: 'object',
  description: 'Keys are matched case-insensitively. Any field may be missing.',
  properties: Object.fromEntries(
    ['FirstName', 'LastName', 'Email', 'Phone', 'Country', 'Company', 'Title'].map((name) => [
      name,
      { type: 'string' },
    ]),
  ),
}

const microsoftLead = {
  type: 'object',
  description: "The JSON Microsoft's HTTPS-endpoint lead destination posts. Unknown fields are kept.",
  properties: {
    UserDetails: customerSchema,
    LeadSource: { type: 'string', examples: ['AzureMarketplace-INS|contoso.crm-suite'] },
    ActionCode: { type: 'string', examples: ['INS', 'PLT', 'DNC', 'Create', 'StartTestDrive'] },
    OfferTitle: { type: 'string' },
    Description: { type: 'string' },
  },
}

const apiLead = {
  type: 'object',
  description:
    'Leadrelay format. Also accepts the Azure Table shape { LeadSource, CustomerInfo } with CustomerInfo as an object or a JSON string.',
  properties: {
    eventId: { type: 'string', maxLength: 200, description: 'Makes repeated sends idempotent.' },
    leadSource: { type: 'string', description: 'Source-Action|Offer' },
    source: { type: 'string' },
    action: { type: 'string' },
    offer: { type: 'string', description: 'publisher.offer id or display name' },
    offerTitle: { type: 'string' },
    description: { type: 'string' },
    occurredAt: { type: 'string', format: 'date-time' },
    customer: customerSchema,
  },
}

const receipt = {
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    leadId: { type: 'string' },
    offerId: { type: 'string' },
    routed: { type: 'boolean' },
    stage: { enum: stages },
    leadStage: { enum: stages },
    isTest: { type: 'boolean' },
    newLead: { type: 'boolean' },
    warnings: { type: 'array', items: { type: 'string' } },
  },
}

const problem = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { enum: Object.keys(errorCatalogue) },
    detail: { type: 'string' },
    field: { type: 'string' },
  },
}

function queryParameters(schema: z.ZodObject) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, object>
  }
  return Object.entries(json.properties).map(([name, property]) => ({ name, in: 'query', schema: property }))
}

const problems = {
  default: {
    description: 'Error',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  },
}

export function buildOpenApiDocument(version: string) {
  const bearer = [{ apiKey: [] }]
  return {
    openapi: '3.1.0',
    info: { title: 'Leadrelay', version, description: 'Receives marketplace leads, merges them per customer.' },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: { MicrosoftLead: microsoftLead, Lead: apiLead, Receipt: receipt, Problem: problem },
    },
    paths: {
      '/ingest/microsoft/{token}': {
        post: {
          summary: "Microsoft's HTTPS-endpoint lead destination; paste this URL into Partner Center",
          parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/MicrosoftLead' } } } },
          responses: {
            202: {
              description: 'Stored durably',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } },
            },
            ...problems,
          },
        },
      },
      '/v1/leads': {
        post: {
          summary: 'Send a lead',
          security: bearer,
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 200 } }],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Lead' } } } },
          responses: {
            202: {
              description: 'Stored durably',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Receipt' } } },
            },
            ...problems,
          },
        },
        get: {
          summary: 'List leads, newest first',
          security: bearer,
          parameters: queryParameters(leadListQuery),
          responses: { 200: { description: 'A page of leads' }, ...problems },
        },
      },
      '/v1/leads/{leadId}': {
        get: {
          summary: 'One lead with its event history',
          security: bearer,
          parameters: [{ name: 'leadId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The lead' }, ...problems },
        },
      },
      '/v1/offers': {
        get: { summary: 'List offers', security: bearer, responses: { 200: { description: 'Offers' }, ...problems } },
      },
      '/v1/offers/{offerId}': {
        put: {
          summary: 'Create or replace an offer',
          security: bearer,
          parameters: [{ name: 'offerId', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: z.toJSONSchema(offerBody, { io: 'input' }) } } },
          responses: { 200: { description: 'The offer' }, ...problems },
        },
        get: {
          summary: 'One offer',
          security: bearer,
          parameters: [{ name: 'offerId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The offer' }, ...problems },
        },
      },
      '/v1/tenant': {
        get: {
          summary: 'The tenant this key acts for',
          security: bearer,
          responses: { 200: { description: 'Tenant' }, ...problems },
        },
      },
      '/healthz': {
        get: { summary: 'Readiness', responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } } },
      },
    },
  }
}
