/** The OpenAPI 3.1 document served at `/openapi.json`, built from the same zod schemas the routes validate with. */

import { z } from 'zod'
import { errorCatalogue } from '../core/errors.ts'
import { stages } from '../core/funnel.ts'
import {
  alertChannelInput,
  alertChannelPatchInput,
  alertRuleInput,
  alertRulePatchInput,
  alertSendListQuery,
  digestSettingsInput,
} from '../services/alerts.ts'
import { destinationInput, destinationPatchInput } from '../services/destinations.ts'
import { ingestTokenRotateInput, keyInput, keyRotateInput } from '../services/keys.ts'
import { invitationInput, roleInput } from '../services/people.ts'
import { leadSortFields } from '../store/types.ts'
import { notificationContacts } from './notification-contacts.ts'
import { roleOfRoute, scopeOfRoute } from './route-scopes.ts'
import { deliveryListQuery, replayBody } from './routes/deliveries.ts'
import { destinationAttemptsQuery, routeBody } from './routes/destinations.ts'
import { funnelQuery, leadExportQuery, leadListQuery } from './routes/leads.ts'
import { offerBody } from './routes/offers.ts'
import { tenantSignInInput } from './routes/people.ts'
import { customerErasureQuery, retentionInput } from './routes/privacy.ts'
import { subscriptionSourceInput } from './routes/subscriptions.ts'

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
    CreatedTime: {
      type: ['string', 'number'],
      description:
        'When the customer acted: ISO 8601, or epoch milliseconds. A time outside 1970-01-01 to 9999-12-31 (or a fraction of a millisecond) is kept as sent with the event, the receive time is used instead, and the receipt warns occurredAt_invalid.',
    },
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
    occurredAt: {
      type: 'string',
      format: 'date-time',
      description: 'From 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z; any other is 400 LEAD_INVALID.',
    },
    customer: customerSchema,
  },
}

const attempt = {
  type: 'object',
  description: 'One attempt of a delivery, as listed in its attemptLog.',
  properties: {
    id: { type: 'string' },
    number: { type: 'integer', minimum: 1, description: '1, 2, 3… per delivery; never repeated, replays included.' },
    kind: {
      type: 'string',
      enum: ['scheduled', 'replay', 'test'],
      description:
        'scheduled: the first try or a retry on the schedule; replay: queued again by a publisher; test: a test lead.',
    },
    startedAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'integer' },
    outcome: {
      type: 'string',
      enum: ['delivered', 'retryable', 'rate_limited', 'auth', 'rejected', 'misconfigured', 'gone'],
    },
    status: { type: ['integer', 'null'] },
    vendorCode: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    leadVersion: { type: 'integer' },
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

/** What a routing change did, or with `dryRun` would do, for leads that arrived before it. */
const backfill = {
  type: 'object',
  description:
    'Earlier leads whose route gains destinations: the leads of the offer, leads that were waiting under one of its names and join it (a customer with leads under both its id and its display name becomes one lead), or with the default route the leads of every offer without its own. Each is queued for the gained destinations it has nothing delivered, queued or in flight for yet, test leads included, as ingest would have queued them.',
  properties: {
    earlierLeads: { type: 'string', enum: ['deliver', 'skip'] },
    dryRun: { type: 'boolean', description: 'Nothing was changed; the counts say what saving would do.' },
    destinations: {
      type: 'array',
      description: 'Destinations the change adds to earlier leads, each with the earlier leads not there yet.',
      items: { type: 'object', properties: { id: { type: 'string' }, leads: { type: 'integer' } } },
    },
    leads: { type: 'integer', description: 'Earlier leads that would get at least one delivery.' },
    deliveries: { type: 'integer', description: 'One per such lead and gained destination.' },
    queued: { type: 'integer', description: 'Deliveries queued: 0 with earlierLeads "skip" or dryRun.' },
    joinedLeads: { type: 'integer', description: 'Leads that were waiting for the offer and joined it.' },
    mergedLeads: { type: 'integer', description: "Leads folded into the same customer's lead on the offer." },
  },
}

function routingResponse(description: string) {
  return {
    description,
    content: { 'application/json': { schema: { type: 'object', properties: { backfill } } } },
  }
}

function pathParameters(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
}

/** One authenticated operation: path parameters from the path, optional query and JSON body schemas. */
function operation(
  path: string,
  summary: string,
  options: { query?: z.ZodObject; body?: z.ZodType; status?: number; response?: Record<string, unknown> } = {},
) {
  return {
    summary,
    security: [{ apiKey: [] }],
    parameters: [...pathParameters(path), ...(options.query ? queryParameters(options.query) : [])],
    ...(options.body && {
      requestBody: {
        content: {
          'application/json': { schema: z.toJSONSchema(options.body, { io: 'input', unrepresentable: 'any' }) },
        },
      },
    }),
    responses: { [options.status ?? 200]: options.response ?? { description: 'OK' }, ...problems },
  }
}

/** Routes beyond ingest and leads: destinations, routing, publishing, deliveries, funnel, settings. */
/** Each operation's security names the one scope its route needs, from the table the authenticator checks. */
function withRouteScopes(paths: Record<string, Record<string, unknown>>) {
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const secured = operation as { security?: unknown }
      if (secured.security === undefined) continue
      const route = path.replace(/\{(\w+)\}/g, ':$1')
      // A key with the scope, or a signed-in person with the role (x-leadrelay-role).
      secured.security = [{ apiKey: [scopeOfRoute(method, route)] }, { session: [] }]
      ;(operation as Record<string, unknown>)['x-leadrelay-role'] = roleOfRoute(method, route)
    }
  }
  return paths
}

function managementPaths() {
  const paths: Record<string, Record<string, unknown>> = {}
  const add = (method: string, path: string, summary: string, options?: Parameters<typeof operation>[2]) => {
    paths[path] = { ...paths[path], [method]: operation(path, summary, options) }
  }
  add(
    'get',
    '/v1/funnel',
    'Funnel for an offer and period: customers per step (trial: only those who had one), conversion, by source with an all-sources total (withEvent), and leads per day or week (overTime)',
    {
      query: funnelQuery,
    },
  )
  add(
    'post',
    '/v1/offers/{offerId}/publish',
    'Verify each routed destination and send it a test lead; live if all pass',
  )
  add('get', '/v1/destination-kinds', 'Destination kinds with their config JSON Schema and secret fields')
  add('get', '/v1/destinations', 'List destinations with their health')
  add('post', '/v1/destinations', 'Create a destination; generated secrets are in this answer only', {
    body: destinationInput,
    status: 201,
  })
  add('get', '/v1/destinations/{destinationId}', 'One destination (never its secrets)')
  add('patch', '/v1/destinations/{destinationId}', 'Change a destination; a paused or disabled one resumes', {
    body: destinationPatchInput,
  })
  add('delete', '/v1/destinations/{destinationId}', 'Delete a destination; its pending deliveries end dead', {
    status: 204,
  })
  add(
    'get',
    '/v1/destinations/{destinationId}/attempts',
    "The destination's delivery log: attempts newest first, each with its lead, and the success rate over 24 h and 7 days",
    { query: destinationAttemptsQuery },
  )
  add('post', '/v1/destinations/{destinationId}/verify', 'Test connection: an authenticated check, then one test lead')
  add('post', '/v1/destinations/{destinationId}/rotate-secrets', 'New secrets; the old signing secret stays valid 24 h')
  add(
    'get',
    '/v1/destinations/{destinationId}/preview/{leadId}',
    'The exact payload the destination would get for a lead',
  )
  add('get', '/v1/routes/default', "The tenant's default route")
  add('put', '/v1/routes/default', 'Destinations for leads of offers without their own; dryRun previews', {
    body: routeBody,
    response: routingResponse('The default route, and what the change did for earlier leads'),
  })
  add(
    'get',
    '/v1/deliveries',
    'Deliveries, newest first, filtered by state, destination, lead, reason and time; each with its lead (customer, offer title); total exact up to 10,000',
    {
      query: deliveryListQuery,
    },
  )
  add('get', '/v1/deliveries/troubles', 'Dead and failing deliveries counted per destination and reason')
  add('get', '/v1/deliveries/{deliveryId}', 'One delivery with every attempt')
  add(
    'post',
    '/v1/deliveries/{deliveryId}/retry',
    'Make a queued delivery due now (audited); a destination held by a rate limit, paused or disabled still waits: destinationHeldUntil and destinationState say so',
  )
  add('post', '/v1/deliveries/replay', 'Queue final deliveries again, by ids or by filter (audited)', {
    body: replayBody,
  })
  add('get', '/v1/alert-channel-kinds', 'Alert channel kinds with their config JSON Schema and secret fields')
  add('get', '/v1/alert-channels', 'Alert channels: Teams, Slack, email, signed webhook (never their secrets)')
  add(
    'post',
    '/v1/alert-channels',
    'Create an alert channel; secrets are write-only, generated ones are in this answer only',
    {
      body: alertChannelInput,
      status: 201,
    },
  )
  add('get', '/v1/alert-channels/{channelId}', 'One alert channel (never its secrets)')
  add('patch', '/v1/alert-channels/{channelId}', 'Change an alert channel; given secrets replace stored ones', {
    body: alertChannelPatchInput,
  })
  add('delete', '/v1/alert-channels/{channelId}', 'Delete an alert channel no rule uses (audited)', { status: 204 })
  add(
    'post',
    '/v1/alert-channels/{channelId}/test',
    'Send a test alert (a made-up lead) now and answer what happened: ok, status, failureKind, reason; never retried',
  )
  add(
    'get',
    '/v1/alert-rules',
    'Alert rules: which leads (offers, stage reached, sources, countries) tell which channels',
  )
  add('post', '/v1/alert-rules', 'Create an alert rule; it fires once per lead and stage (audited)', {
    body: alertRuleInput,
    status: 201,
  })
  add('get', '/v1/alert-rules/{ruleId}', 'One alert rule')
  add('patch', '/v1/alert-rules/{ruleId}', 'Change an alert rule (audited)', { body: alertRulePatchInput })
  add('delete', '/v1/alert-rules/{ruleId}', 'Delete an alert rule; alerts already queued are still sent', {
    status: 204,
  })
  add('post', '/v1/alert-rules/{ruleId}/test', "Send a test alert through each of the rule's channels; never retried")
  add('get', '/v1/alert-sends', 'Alerts sent or on their way, newest first, by lead or channel', {
    query: alertSendListQuery,
  })
  add('get', '/v1/alert-sends/{sendId}', 'One alert to one channel with every attempt')
  add('post', '/v1/alert-sends/{sendId}/replay', 'Queue a delivered or dead alert again (audited)')
  add('get', '/v1/leads/{leadId}/alerts', "The lead's alerts: rule, channel, stage, state and when it was sent")
  add('get', '/v1/alert-digest', 'The weekly or daily digest email: frequency and recipients')
  add('put', '/v1/alert-digest', 'Set the digest: daily, weekly or off, and who gets it (audited)', {
    body: digestSettingsInput,
  })
  add(
    'get',
    '/v1/audit',
    'Who changed destinations, routing, publishes, notification contacts and keys, newest first; each target with its current name (targetName)',
  )
  add('get', '/v1/tenant/notifications', 'Who hears about destinations being paused, disabled or recovering')
  add('put', '/v1/tenant/notifications', 'Set the notification contacts', { body: notificationContacts })
  add('get', '/v1/keys', "The tenant's working API keys: name, scopes, a hint of the secret, never the secret")
  add('post', '/v1/keys', 'Create a named API key with scopes; the key is in this answer only', {
    body: keyInput,
    status: 201,
  })
  add(
    'post',
    '/v1/keys/{keyId}/rotate',
    'A new secret for the same name and scopes; the old one stops after overlapHours',
    {
      body: keyRotateInput,
      status: 201,
    },
  )
  add('delete', '/v1/keys/{keyId}', 'Revoke an API key at once (audited)', { status: 204 })
  add('get', '/v1/tenant/ingest-tokens', 'The current ingest token and previous ones still in their overlap')
  add(
    'post',
    '/v1/tenant/ingest-token/rotate',
    'A new ingest URL (in this answer only); the old one keeps working for overlapHours (default 72)',
    { body: ingestTokenRotateInput, status: 201 },
  )
  add('delete', '/v1/tenant/ingest-tokens/{tokenId}', "End a previous ingest token's overlap now", { status: 204 })
  add('get', '/v1/people', "The tenant's people: name, email, role, operator flag, member since")
  add(
    'post',
    '/v1/invitations',
    'Invite an email with a role; the link (7 days, once) is emailed, or in this answer without SMTP',
    {
      body: invitationInput,
      status: 201,
    },
  )
  add('patch', '/v1/people/{personId}', "Change a person's role; only an owner makes or unmakes owners", {
    body: roleInput,
  })
  add('delete', '/v1/people/{personId}', 'Remove a person from the tenant; their sessions here end at once', {
    status: 204,
  })
  add('get', '/v1/tenant/sign-in', 'The Entra tenant whose people join this tenant by signing in, and their role')
  add('put', '/v1/tenant/sign-in', 'Set (or clear, with null) the Entra tenant whose people join by signing in', {
    body: tenantSignInInput,
  })
  add(
    'post',
    '/v1/sessions/revoke-all',
    'Sign out everywhere: every session of the signed-in person (with an admin key: of every person of the tenant)',
  )
  add(
    'delete',
    '/v1/customers',
    'Erase a customer (GDPR Art. 17): their personal data leaves every lead, event and delivery record of the tenant, each destination holding a record is asked to delete it, and a tombstone (a keyed hash of the email, the time, who asked) keeps old events from coming back (docs/privacy.md)',
    { query: customerErasureQuery },
  )
  add(
    'get',
    '/v1/tenant/retention',
    "How long the tenant keeps delivery attempts, idle leads' events and the audit log, with the defaults and limits",
  )
  add(
    'put',
    '/v1/tenant/retention',
    "Set retention (audited): attempts older than attemptsDays deleted, the events of leads idle for leadEventsIdleMonths reduced to their merged lead, audit entries older than auditMonths deleted; applied by the worker's next retention run (docs/privacy.md)",
    { body: retentionInput },
  )
  add(
    'get',
    '/v1/subscription-source',
    "The tenant's marketplace subscription source: its Entra app (never the secret) and the last poll's outcome",
  )
  add(
    'put',
    '/v1/subscription-source',
    'Set the Entra app Leadrelay reads SaaS subscriptions with (read only; the secret is sealed and never shown); audited',
    { body: subscriptionSourceInput },
  )
  add('delete', '/v1/subscription-source', 'Stop reading SaaS subscriptions; what was recorded stays', {
    status: 204,
  })
  add(
    'post',
    '/v1/subscription-source/poll',
    'Read the SaaS subscriptions now: each new subscription, status, plan or quantity change becomes a lead event (docs/decisions/0010)',
  )
  add('get', '/v1/leads/{leadId}/subscriptions', "The lead's SaaS subscriptions: plan, quantity, status and term")
  return paths
}

export function buildOpenApiDocument(version: string) {
  const bearer = [{ apiKey: [] }]
  return {
    openapi: '3.1.0',
    info: { title: 'Leadrelay', version, description: 'Receives marketplace leads, merges them per customer.' },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A named API key. Each operation lists the scope it needs: ingest (POST /v1/leads), read (GETs) or admin (everything); a key without it gets 403 FORBIDDEN.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'leadrelay-session',
          description:
            "A person signed in through /auth/login (OpenID Connect); `__Host-leadrelay-session` on https. Each operation names the least role it needs in x-leadrelay-role (viewer, editor, admin, owner); a person without it gets 403 FORBIDDEN with requiredRole. Changes (POST, PUT, PATCH, DELETE) must come from the portal's origin (Sec-Fetch-Site or Origin), else 403 CROSS_SITE_REQUEST.",
        },
      },
      schemas: { MicrosoftLead: microsoftLead, Lead: apiLead, Receipt: receipt, Attempt: attempt, Problem: problem },
    },
    paths: withRouteScopes({
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
          summary: 'List leads: filtered, sorted (default: most recent activity first), counted, cursor-paged',
          description:
            'Every filter, the sort and the count run in the database, each served by an index. `q` matches leads whose full name, last name, company, email or email domain starts with it (trimmed, lower-cased). `email` and `emailDomain` match exactly, case-insensitively; `since`/`until` bound the last activity. `sort` is lastActivity, createdAt, name or company; `order` defaults to desc for times and asc for names; ties go by lead id. `nextCursor` continues the same filter and sort only. `total` counts the matching leads exactly up to 10,000; beyond that it is 10,000 with `totalIsEstimate: true` (meaning "more than").',
          security: bearer,
          parameters: queryParameters(leadListQuery),
          responses: {
            200: {
              description: 'A page of leads',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { type: 'object' } },
                      nextCursor: { type: 'string' },
                      total: { type: 'integer', description: 'Matching leads, exact up to 10,000' },
                      totalIsEstimate: { type: 'boolean', description: 'More than `total` leads match' },
                      sort: { type: 'string', enum: [...leadSortFields] },
                      order: { type: 'string', enum: ['asc', 'desc'] },
                    },
                  },
                },
              },
            },
            ...problems,
          },
        },
      },
      '/v1/leads/export.csv': {
        get: {
          summary: 'The leads matching the list filters as CSV, one row per event, streamed (docs/import-export.md)',
          security: bearer,
          parameters: queryParameters(leadExportQuery),
          responses: {
            200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
            ...problems,
          },
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
          summary: 'Create or replace an offer; waiting leads join it; dryRun previews',
          security: bearer,
          parameters: [{ name: 'offerId', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: z.toJSONSchema(offerBody, { io: 'input' }) } } },
          responses: { 200: routingResponse('The offer, and what the change did for earlier leads'), ...problems },
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
      ...managementPaths(),
      '/healthz': {
        get: { summary: 'Readiness', responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } } },
      },
    }),
  }
}
