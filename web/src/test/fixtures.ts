/** Answers shaped like the real API's, for component tests. */

import type { Delivery, Destination, DestinationKind, FunnelReport, Lead } from '../api/types.ts'

/** What `GET /v1/destination-kinds` answers for the webhook connector. */
export const webhookKind: DestinationKind = {
  kind: 'webhook',
  displayName: 'Webhook (HTTPS)',
  configSchema: {
    type: 'object',
    properties: {
      url: {
        type: 'string',
        maxLength: 2048,
        format: 'uri',
        description: 'Where leads are POSTed. Use https: the body carries customer contact details.',
      },
      format: {
        default: 'leadrelay',
        description: "Body shape: 'leadrelay' or 'microsoft'.",
        type: 'string',
        enum: ['leadrelay', 'microsoft'],
      },
      timeoutMs: {
        default: 15000,
        description: 'How long one attempt may take, in ms.',
        type: 'integer',
        minimum: 1000,
        maximum: 30000,
      },
      headers: {
        description: 'Extra headers sent with every request.',
        type: 'object',
        additionalProperties: { type: 'string', maxLength: 4096 },
      },
    },
    required: ['url'],
    additionalProperties: false,
  },
  secretFields: [
    {
      name: 'signingSecret',
      label: 'Signing secret',
      required: false,
      generated: true,
      help: 'whsec_ followed by base64; leave empty and Leadrelay generates one and shows it once',
    },
  ],
  supportsSecretRotation: true,
}

/** A connector with a required secret, a pattern, a nullable number, a boolean and a nested object. */
export const crmKind: DestinationKind = {
  kind: 'crm',
  displayName: 'Some CRM',
  configSchema: {
    type: 'object',
    properties: {
      clientId: { type: 'string', pattern: '^[0-9a-f]{8}$', description: 'Eight hex digits.' },
      leadSourceCode: { default: 8, anyOf: [{ type: 'integer', minimum: 0, maximum: 100 }, { type: 'null' }] },
      suspend: { type: 'boolean', default: false, description: 'Suspend marketing.' },
      fieldMap: { type: 'object', properties: { omit: { type: 'array', items: { type: 'string' } } } },
    },
    required: ['clientId'],
  },
  secretFields: [{ name: 'clientSecret', label: 'Client secret', required: true }],
  supportsSecretRotation: false,
}

export function destination(overrides: Partial<Destination> = {}): Destination {
  // The API's badge follows the state unless a test says otherwise (failing and throttled need deliveries).
  const state = overrides.state ?? 'active'
  return {
    id: 'dst_1',
    kind: 'webhook',
    name: 'Sales webhook',
    config: { url: 'https://hooks.example.com/leads', format: 'leadrelay', timeoutMs: 15000 },
    hasSecrets: true,
    state,
    stateReason: null,
    failingSince: null,
    throttledSince: null,
    health: state === 'active' ? 'healthy' : state,
    limits: { maxConcurrency: 4, ratePerSecond: null },
    concurrency: null,
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-01T10:00:00.000Z',
    ...overrides,
  }
}

export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    id: 'dlv_1',
    leadId: 'lead_1',
    destinationId: 'dst_1',
    leadVersion: 1,
    state: 'dead',
    attempts: 1,
    nextAttemptAt: null,
    lastError: 'The endpoint refused the lead: HTTP 400',
    lastErrorKind: 'rejected',
    lastStatus: 400,
    createdAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-20T10:00:01.000Z',
    deliveredAt: null,
    ...overrides,
  }
}

export function lead(overrides: Partial<Lead> = {}): Lead {
  return {
    id: 'lead_1',
    offerId: 'contoso.crm-suite',
    offerName: 'contoso.crm-suite',
    offerTitle: null,
    routed: true,
    stage: 'initial_interest',
    doNotContact: false,
    isTest: false,
    customer: { firstName: 'Some', lastName: 'One', email: 'someone@contoso.com', company: 'Contoso' },
    source: 'AzureMarketplace',
    action: 'INS',
    eventCount: 1,
    firstEventAt: '2026-11-20T10:00:00.000Z',
    lastEventAt: '2026-11-20T10:00:00.000Z',
    createdAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-20T10:00:00.000Z',
    version: 1,
    ...overrides,
  }
}

/**
 * A known data set, as the server builds it (src/core/funnel-report.ts): 12 customers reached the funnel. Furthest
 * stages: 2 trial, 3 initial interest, 2 active, 2 customer, 1 suspended, 1 churned, 1 do-not-contact; 5 had a trial
 * (4 of them went on, 2 bought), 9 reached initial interest or later, 6 active, 4 became customers, 1 of them churned.
 */
export const knownReport: FunnelReport = {
  leads: 12,
  stages: {
    unclassified: 0,
    do_not_contact: 1,
    trial: 2,
    initial_interest: 3,
    active: 2,
    customer: 2,
    suspended: 1,
    churned: 1,
  },
  reached: { trial: 5, initial_interest: 9, active: 6, customer: 4, churned: 1 },
  conversion: [
    { from: 'trial', to: 'initial_interest', rate: 4 / 5 },
    { from: 'initial_interest', to: 'active', rate: 6 / 9 },
    { from: 'active', to: 'customer', rate: 4 / 6 },
    { from: 'customer', to: 'churned', rate: 1 / 4 },
    { from: 'trial', to: 'customer', rate: 2 / 5 },
    { from: 'initial_interest', to: 'customer', rate: 4 / 9 },
  ],
  withEvent: {
    unclassified: 0,
    do_not_contact: 1,
    trial: 5,
    initial_interest: 6,
    active: 4,
    customer: 3,
    suspended: 1,
    churned: 1,
  },
  bySource: [
    {
      source: 'AppSource',
      stages: {
        unclassified: 0,
        do_not_contact: 0,
        trial: 0,
        initial_interest: 2,
        active: 1,
        customer: 0,
        suspended: 0,
        churned: 0,
      },
    },
    {
      source: 'AzureMarketplace',
      stages: {
        unclassified: 0,
        do_not_contact: 1,
        trial: 5,
        initial_interest: 4,
        active: 3,
        customer: 0,
        suspended: 0,
        churned: 0,
      },
    },
    {
      source: 'AzurePortal',
      stages: {
        unclassified: 0,
        do_not_contact: 0,
        trial: 0,
        initial_interest: 0,
        active: 0,
        customer: 3,
        suspended: 1,
        churned: 1,
      },
    },
  ],
  overTime: {
    unit: 'day',
    buckets: [
      {
        start: '2026-11-01T00:00:00.000Z',
        leads: 6,
        stages: { trial: 3, initial_interest: 4, active: 1, customer: 0, churned: 0, do_not_contact: 0 },
      },
      {
        start: '2026-11-02T00:00:00.000Z',
        leads: 0,
        stages: { trial: 0, initial_interest: 0, active: 0, customer: 0, churned: 0, do_not_contact: 0 },
      },
      {
        start: '2026-11-03T00:00:00.000Z',
        leads: 4,
        stages: { trial: 2, initial_interest: 2, active: 3, customer: 2, churned: 1, do_not_contact: 1 },
      },
    ],
  },
}

/** A fetch that answers from a table of `METHOD path` handlers and records every call. */
export function fakeFetch(routes: Record<string, (body: unknown, url: URL) => unknown>) {
  const calls: { method: string; url: URL; body: unknown; headers: Record<string, string> }[] = []
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://portal.test')
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ method, url, body, headers: (init?.headers ?? {}) as Record<string, string> })
    const handler = routes[`${method} ${url.pathname}`]
    if (!handler) {
      return new Response(JSON.stringify({ code: 'NOT_FOUND', detail: `No route ${method} ${url.pathname}` }), {
        status: 404,
        headers: { 'content-type': 'application/problem+json' },
      })
    }
    const answer = handler(body, url)
    if (answer instanceof Response) return answer
    return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return { fetch: fetchFn as typeof fetch, calls }
}

export function problem(status: number, code: string, detail: string, field?: string): Response {
  return new Response(JSON.stringify({ status, code, detail, ...(field && { field }) }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  })
}
