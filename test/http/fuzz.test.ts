/**
 * Spec-driven fuzz test: every operation of `/openapi.json` as served gets hostile requests built from its own
 * schemas — wrong types, missing and extra keys, huge and deeply nested bodies, `__proto__`/`constructor` keys,
 * control characters and invalid UTF-8, media types with parameters, bad path and query values — with and without
 * valid credentials. Every answer must be below 500; every 4xx a problem+json with a catalogue code and its status;
 * a refused request must store nothing. Afterwards the server is healthy and every stored lead can be read, exported
 * and delivered.
 *
 * Reproduce with `FUZZ_SEED=<seed> npx vitest run test/http/fuzz.test.ts` (the seed is printed); `FUZZ_RUNS` sets
 * the total number of requests (default 5,200).
 */

import { Writable } from 'node:stream'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import type { Delivery } from '../../src/core/delivery.ts'
import { errorCatalogue } from '../../src/core/errors.ts'
import type { Lead } from '../../src/core/lead.ts'
import { exportLeads } from '../../src/services/lead-files/export-leads.ts'
import type { CreatedTenant } from '../../src/services/tenants.ts'
import { johnSmith, microsoftExample, seedLead } from '../helpers/leads.ts'
import { type ApiOperation, type JsonSchema, operationsOf } from '../helpers/openapi-operations.ts'
import {
  hostileString,
  jsonTextOf,
  mutatedArbitrary,
  percentEncode,
  type SchemaHints,
  schemaArbitrary,
} from '../helpers/schema-arbitrary.ts'
import { bearer, ingestPath, startTestServer } from '../helpers/test-server.ts'
import { startWebhookSink } from '../helpers/webhook-sink.ts'

const seed = Number(process.env.FUZZ_SEED ?? 20_261_125)
const totalRuns = Number(process.env.FUZZ_RUNS ?? 5_200)
console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} reproduces this run), ${totalRuns} requests`)

const t = await startTestServer()
const sink = await startWebhookSink()
const app = t.server.app
const bodyLimitBytes = app.initialConfig.bodyLimit ?? 65_536

afterAll(async () => {
  sqlite?.close()
  await t.close()
  await sink.close()
})

// ---------------------------------------------------------------------------------------------------------------
// The world the fuzzer acts in: two tenants, each with a destination every lead is delivered to (never named to the
// fuzzer, so it stays intact) and a decoy destination whose id the fuzzer knows and may change or delete.

interface TenantWorld {
  readonly created: CreatedTenant
  readonly deliveryDestinationId: string
  decoyDestinationId: string
}

async function api(tenant: CreatedTenant, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const response = await app.inject({
    method,
    url,
    headers: { ...bearer(tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
  return response.body === '' ? undefined : response.json()
}

async function createSinkDestination(tenant: CreatedTenant, name: string): Promise<string> {
  const created = await api(tenant, 'POST', '/v1/destinations', { kind: 'webhook', name, config: { url: sink.url } })
  return created.id as string
}

async function worldOf(created: CreatedTenant): Promise<TenantWorld> {
  const deliveryDestinationId = await createSinkDestination(created, 'delivery sink')
  await api(created, 'PUT', '/v1/routes/default', { destinations: [deliveryDestinationId] })
  return { created, deliveryDestinationId, decoyDestinationId: await createSinkDestination(created, 'decoy') }
}

const home = await worldOf(t.tenant)
const other = await worldOf(await t.addTenant('fabrikam'))
const worlds = [home, other]

const served = await app.inject({ method: 'GET', url: '/openapi.json' })
const document = served.json() as Parameters<typeof operationsOf>[0]

const known = {
  ingestToken: t.tenant.ingestToken,
  keyIds: [] as string[],
  leadIds: [] as string[],
  offerIds: ['contoso.crm-suite'],
  deliveryIds: [] as string[],
}
await api(t.tenant, 'PUT', '/v1/offers/contoso.crm-suite', { title: 'Contoso CRM Suite' })
for (const body of [
  seedLead('AzureMarketplace-INS|contoso.crm-suite', johnSmith),
  seedLead('AzurePortal-Create|x.y', {}),
]) {
  known.leadIds.push((await api(t.tenant, 'POST', '/v1/leads', body)).leadId)
}
await app.inject({
  method: 'POST',
  url: ingestPath(t.tenant),
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(microsoftExample),
})
await t.server.worker.runUntilIdle()
for (const delivery of (await t.store.listDeliveries(t.tenant.tenant.id, {}, { limit: 10 })).items) {
  known.deliveryIds.push(delivery.id)
}

/** A key the fuzzer may rotate and revoke (when the API has keys), never the one it authenticates with. */
async function ensureDecoyKey(): Promise<void> {
  if (document.paths['/v1/keys']?.post === undefined) return
  const listed = (await api(t.tenant, 'GET', '/v1/keys')).items as { id: string; revokesAt: string | null }[]
  const live = listed.filter((key) => key.revokesAt === null).map((key) => key.id)
  if (known.keyIds.some((id) => live.includes(id))) return
  known.keyIds = [(await api(t.tenant, 'POST', '/v1/keys', { name: 'decoy', scopes: ['read'] })).id]
}
await ensureDecoyKey()

/** Keeps every lead deliverable whatever the fuzzer changed: routes back to the delivery sink, the decoy alive. */
async function restoreRouting(): Promise<void> {
  for (const world of worlds) {
    const tenantId = world.created.tenant.id
    if ((await t.store.getDestination(tenantId, world.decoyDestinationId)) === undefined) {
      world.decoyDestinationId = await createSinkDestination(world.created, 'decoy')
    }
    await t.store.setRoutes(tenantId, 'default', [world.deliveryDestinationId])
    for (const offer of await t.store.listOffers(tenantId)) {
      if ((await t.store.getRoutes(tenantId, `offer:${offer.id}`)).length > 0) {
        await t.store.setRoutes(tenantId, `offer:${offer.id}`, [])
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// "Nothing stored": SQLite's data_version changes whenever another connection commits anything; on PostgreSQL the
// store's own counts and lists stand in for it.

const sqlite =
  process.env.LEADRELAY_TEST_STORE === 'postgres'
    ? undefined
    : new Database(`${t.dataDir}/leadrelay.db`, { readonly: true, fileMustExist: true })
const dataVersion = sqlite?.prepare('pragma data_version').pluck()

async function fingerprint(): Promise<string> {
  if (dataVersion !== undefined) return String(dataVersion.get())
  const parts: unknown[] = []
  for (const world of worlds) {
    const tenantId = world.created.tenant.id
    parts.push(
      await t.store.countLeadEvents(tenantId),
      (await t.store.listDestinations(tenantId)).map((d) => [d.id, d.updatedAt, d.state, d.sealedSecrets]),
      (await t.store.listOffers(tenantId)).map((o) => [o.id, o.updatedAt, o.status, o.aliases]),
      await t.store.getRoutes(tenantId, 'default'),
      await t.store.getTenantContacts(tenantId),
      await t.store.listAudit(tenantId, 1),
    )
  }
  return JSON.stringify(parts)
}

// ---------------------------------------------------------------------------------------------------------------
// Building requests from an operation.

const pick = <T>(pool: () => readonly T[]) => fc.nat().map((index) => pool()[index % pool().length]!)
const destinationKinds = (await api(t.tenant, 'GET', '/v1/destination-kinds')).items as {
  kind: string
  configSchema: JsonSchema
}[]

const safeUrls = [
  sink.url,
  'http://127.0.0.1:1/refused',
  'ftp://127.0.0.1/x',
  'https://',
  'not a url',
  `${sink.url}?a=%ZZ`,
]

/** Values the generator tries for fields and parameters of these names, so valid-ish requests reach real records. */
const hints: SchemaHints = {
  leadId: pick(() => known.leadIds),
  lead: pick(() => known.leadIds),
  offerId: pick(() => known.offerIds),
  offer: pick(() => known.offerIds),
  deliveryId: pick(() => known.deliveryIds),
  ids: pick(() => known.deliveryIds),
  destinationId: pick(() => [home.decoyDestinationId]),
  destination: pick(() => [home.decoyDestinationId, home.deliveryDestinationId]),
  destinations: pick(() => [home.decoyDestinationId]),
  token: pick(() => [known.ingestToken]),
  keyId: pick(() => known.keyIds),
  kind: fc.constantFrom(...destinationKinds.map((kind) => kind.kind), 'constructor', '__proto__', 'toString'),
  config: fc.oneof(
    ...destinationKinds.map((kind) => schemaArbitrary(kind.configSchema, { url: fc.constantFrom(...safeUrls) })),
    fc.constant({ url: sink.url }),
  ),
  url: fc.constantFrom(...safeUrls),
  webhookUrl: fc.constantFrom(...safeUrls),
  Email: fc.emailAddress(),
  email: fc.emailAddress(),
  LeadSource: fc.constantFrom(
    'AzureMarketplace-INS|contoso.crm-suite',
    'AppSource-Contact Me|contoso.b',
    'TestDrive-StartTestDrive|x.y',
  ),
  leadSource: fc.constantFrom('AzureMarketplace-INS|contoso.crm-suite', 'AzurePortal-Create|contoso.b'),
  CreatedTime: fc.oneof(
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    fc.constantFrom(9e15, -9e15, 1.5, 1e300, 0),
  ),
  occurredAt: fc.oneof(
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    fc.constantFrom(9e15, 1.5, '9e15'),
  ),
}

/** Path values: valid percent-encoding of hostile text, broken percent-encoding, dot segments, very long values. */
const hostilePathValue = fc.oneof(
  hostileString.map((text) => percentEncode(text)),
  fc.constantFrom(
    '%ZZ',
    '%',
    '%E0%A4%A',
    '%C0%AF',
    '%FF',
    '%00',
    '..',
    '.',
    '%2e%2e',
    '..%2F..%2Fetc%2Fpasswd',
    '%2F',
    '%20',
    '%F0%9F%9A%80',
    '王',
    'a;b',
    'x'.repeat(100),
    'x'.repeat(101),
    'x'.repeat(200),
    'x'.repeat(5_000),
    'lr_in_0000000000000000000000000000',
    'lead_01M89SAZ3WY3SYM90XMK99YMS0',
  ),
)

const hostileQueryValue = fc.oneof(
  fc.constantFrom(
    '9e15',
    '-9e15',
    '1e400',
    '99999999999999999999',
    '-1',
    '0',
    '1.5',
    'NaN',
    '',
    '%ZZ',
    '%',
    '+275760-09-13T00:00:00.000Z',
    '9999-12-31T23:59:59Z',
    '2024-13-45T00:00:00Z',
    'true',
    'x'.repeat(5_000),
  ),
  hostileString.map((text) => percentEncode(text)),
)

const mediaTypes = [
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; foo=bar',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
] as const

const utf8Json: readonly string[] = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'application/json; charset="utf-8"',
  'APPLICATION/JSON',
]

const rawBodies = [
  '',
  '{',
  'null',
  '[]',
  '"lead"',
  '1',
  'true',
  '{"a":1}{"b":2}',
  'NaN',
  "{'a':1}",
  '{"a":1,}',
  '{"LeadSource":"a\u0001b"}',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"a":{"b":{"__proto__":{"x":1}}}}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
  `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
] as const

/** A JSON text with bytes that are not UTF-8 (or not UTF-8 any more) spliced into its first string. */
function withBadBytes(text: string, variant: number): Buffer {
  const quote = text.indexOf('"')
  const cut = quote < 0 ? 0 : quote + 1
  const bad = [
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0xc3, 0x28]),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    Buffer.from([0x00]),
  ]
  if (variant === bad.length) return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
  if (variant === bad.length + 1) return Buffer.from(`\ufeff${text}`, 'utf16le')
  if (variant === bad.length + 2) return Buffer.from(text, 'latin1')
  return Buffer.concat([Buffer.from(text.slice(0, cut)), bad[variant % bad.length]!, Buffer.from(text.slice(cut))])
}

interface FuzzRequest {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly payload: string | Buffer | undefined
}

function bodyArbitrary(operation: ApiOperation): fc.Arbitrary<string | Buffer | undefined> {
  const schema = operation.body ?? { type: 'object', properties: { a: { type: 'string' } } }
  const json = mutatedArbitrary(schema, hints, { bodyLimitBytes }).map(jsonTextOf)
  const weightOfNone = operation.body === undefined ? 8 : 1
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: weightOfNone },
    { arbitrary: json, weight: 8 },
    { arbitrary: fc.constantFrom(...rawBodies), weight: 2 },
    { arbitrary: fc.tuple(json, fc.nat(8)).map(([text, variant]) => withBadBytes(text, variant)), weight: 2 },
  )
}

const authorization = fc.oneof(
  { arbitrary: fc.constant(`Bearer ${t.tenant.apiKey}`), weight: 12 },
  { arbitrary: fc.constant(`Bearer ${other.created.apiKey}`), weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      'Bearer lr_key_guess',
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `bearer ${t.tenant.apiKey}`,
      `Bearer ${t.tenant.apiKey}x`,
      `Bearer ${t.tenant.apiKey} ${t.tenant.apiKey}`,
      `Bearer ${t.tenant.ingestToken}`,
      `Bearer ${'k'.repeat(10_000)}`,
    ),
    weight: 3,
  },
)

function queryArbitrary(operation: ApiOperation): fc.Arbitrary<string> {
  const declared = operation.queryParameters.map((parameter) =>
    fc.tuple(
      fc.constant(parameter.name),
      fc.array(
        fc.oneof(
          {
            arbitrary: schemaArbitrary(parameter.schema, hints, parameter.name).map((value) =>
              percentEncode(String(value)),
            ),
            weight: 3,
          },
          { arbitrary: hostileQueryValue, weight: 2 },
        ),
        { minLength: 1, maxLength: 2 },
      ),
    ),
  )
  const extra = fc.tuple(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'limit[]', 'a[b]'),
    fc.array(hostileQueryValue, { minLength: 1, maxLength: 2 }),
  )
  return fc
    .tuple(
      fc.subarray([...declared, extra].map((arbitrary, index) => ({ arbitrary, index }))),
      fc.tuple(...declared, extra),
    )
    .map(([chosen, values]) =>
      chosen
        .flatMap(({ index }) => {
          const [name, list] = values[index] as [string, string[]]
          return list.map((value) => `${percentEncode(name)}=${value}`)
        })
        .join('&'),
    )
}

function requestArbitrary(operation: ApiOperation): fc.Arbitrary<FuzzRequest> {
  const pathValues = operation.pathParameters.map((parameter) =>
    fc.oneof(
      {
        arbitrary: (hints[parameter.name] ?? fc.string({ minLength: 1 })).map((value) => percentEncode(String(value))),
        weight: 4,
      },
      { arbitrary: hostilePathValue, weight: 2 },
    ),
  )
  const headerValues = operation.headerParameters.map((parameter) =>
    fc.option(
      fc
        .oneof(
          fc.string({
            unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
            maxLength: 40,
          }),
          fc.constantFrom('k'.repeat(200), 'k'.repeat(201), 'k'.repeat(5_000), ' '),
        )
        .map((value) => [parameter.name, value] as const),
    ),
  )
  return fc
    .record({
      pathValues: fc.tuple(...pathValues),
      query: fc.oneof(
        { arbitrary: queryArbitrary(operation), weight: operation.queryParameters.length > 0 ? 4 : 1 },
        fc.constant(''),
      ),
      authorization: operation.secured ? authorization : fc.option(authorization, { freq: 4 }),
      tenantHeader: fc.option(fc.constantFrom(other.created.tenant.id, 'tnt_unknown', '__proto__', ''), { freq: 8 }),
      headers: fc.tuple(...headerValues),
      contentType: fc.oneof(
        { arbitrary: fc.constant('application/json'), weight: 8 },
        fc.constantFrom(...mediaTypes),
        fc.constant(undefined),
      ),
      payload: bodyArbitrary(operation),
    })
    .map(({ pathValues, query, authorization, tenantHeader, headers, contentType, payload }) => {
      let index = 0
      const path = operation.path.replace(/\{\w+\}/g, () => pathValues[index++] ?? '')
      const requestHeaders: Record<string, string> = {}
      if (authorization !== undefined && authorization !== null) requestHeaders.authorization = authorization
      if (tenantHeader !== null) requestHeaders['leadrelay-tenant'] = tenantHeader
      for (const header of headers) if (header !== null) requestHeaders[header[0].toLowerCase()] = header[1]
      if (payload !== undefined && contentType !== undefined) requestHeaders['content-type'] = contentType
      return {
        method: operation.method,
        url: query === '' ? path : `${path}?${query}`,
        headers: requestHeaders,
        payload,
      }
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Sending and judging.

const catalogue: Readonly<Record<string, { status: number }>> = errorCatalogue
let requestsSent = 0
let baseline = await fingerprint()

/** A short, printable account of a request: enough to replay it by hand, never a 64 KiB body. */
function describeRequest(request: FuzzRequest): string {
  const payload =
    request.payload === undefined
      ? 'no body'
      : `${Buffer.byteLength(request.payload)} bytes: ${JSON.stringify(String(request.payload).slice(0, 160))}`
  const url = request.url.length > 160 ? `${request.url.slice(0, 160)}… (${request.url.length} chars)` : request.url
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${value.length > 60 ? `${value.slice(0, 60)}…` : value}`)
    .join(' | ')
  return `${request.method} ${url} [${headers}] ${payload}`
}

/** What went wrong with one answer, or undefined when it is as the contract says. */
async function judge(request: FuzzRequest): Promise<string | undefined> {
  requestsSent++
  const response = await app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    ...(request.payload !== undefined && { payload: request.payload }),
  })
  const status = response.statusCode
  if (status >= 500) return `${status} ${response.body.slice(0, 200)}`
  if (status < 200 || (status >= 300 && status < 400)) return `unexpected status ${status}`
  if (status < 400) {
    if (request.method !== 'GET') {
      const answer = (response.body === '' ? {} : response.json()) as { leadId?: string; ingestToken?: string }
      if (status === 202 && answer.leadId !== undefined && !known.leadIds.includes(answer.leadId)) {
        known.leadIds.push(answer.leadId)
        if (known.leadIds.length > 60) known.leadIds.splice(2, 1)
      }
      // A rotated ingest URL of the tenant under test replaces the one the fuzzer sends leads to.
      if (answer.ingestToken !== undefined && request.headers.authorization === `Bearer ${t.tenant.apiKey}`) {
        known.ingestToken = answer.ingestToken
      }
      if (request.url.startsWith('/v1/keys')) await ensureDecoyKey()
      await restoreRouting()
      baseline = await fingerprint()
    }
    return undefined
  }
  const contentType = response.headers['content-type'] ?? ''
  // JSON in UTF-8 is JSON whatever the spelling of its media type (RFC 8259, RFC 9110: parameters, letter case).
  if (status === 415 && utf8Json.includes(request.headers['content-type'] ?? '')) {
    return `415 for ${request.headers['content-type']}`
  }
  if (!String(contentType).startsWith('application/problem+json')) {
    return `${status} answered as ${contentType || 'no content type'}: ${response.body.slice(0, 120)}`
  }
  let problem: { code?: string; status?: number }
  try {
    problem = response.json()
  } catch {
    return `${status} problem that is not JSON: ${response.body.slice(0, 120)}`
  }
  if (problem.code === undefined || catalogue[problem.code] === undefined)
    return `${status} code ${problem.code} not in the catalogue`
  if (problem.status !== status || catalogue[problem.code]!.status !== status) {
    return `${status} but the problem says ${problem.status} and ${problem.code} is ${catalogue[problem.code]!.status}`
  }
  const after = await fingerprint()
  if (after !== baseline) {
    baseline = after
    return `${status} ${problem.code} but the store changed`
  }
  return undefined
}

interface Finding {
  readonly kind: string
  count: number
  readonly example: string
}

// ---------------------------------------------------------------------------------------------------------------

const operations = operationsOf(document)
const runsPerOperation = Math.ceil(totalRuns / operations.length)
const findingsByOperation = new Map<string, Finding[]>()

test('the OpenAPI document as served names the operations to fuzz, bodies and parameters included', () => {
  expect(served.statusCode).toBe(200)
  expect(operations.length).toBeGreaterThan(20)
  expect(operations.filter((operation) => operation.body !== undefined).length).toBeGreaterThan(5)
  expect(operations.some((operation) => operation.queryParameters.length > 0)).toBe(true)
})

describe.each(operations.map((operation) => ({ name: `${operation.method} ${operation.path}`, operation })))(
  '$name',
  ({ name, operation }) => {
    test(`${runsPerOperation} hostile requests: no 5xx, problems from the catalogue, nothing stored when refused`, async () => {
      const findings: Finding[] = []
      findingsByOperation.set(name, findings)
      let run = 0
      await fc.assert(
        fc.asyncProperty(requestArbitrary(operation), async (request) => {
          run++
          const kind = await judge(request)
          if (kind === undefined) return
          const key = kind.replace(/\d{4,}|lead_\w+|dst_\w+|evt_\w+/g, '…').slice(0, 120)
          const seen = findings.find((finding) => finding.kind === key)
          if (seen) seen.count++
          else findings.push({ kind: key, count: 1, example: `run ${run}: ${describeRequest(request)} → ${kind}` })
        }),
        { seed: seed + operations.indexOf(operation), numRuns: runsPerOperation, endOnFailure: true },
      )
      expect(run).toBe(runsPerOperation)
      expect(findings.map((finding) => `${finding.count}× ${finding.example}`)).toEqual([])
    }, 120_000)
  },
)

describe('after the fuzzing', () => {
  test(`at least 5,000 requests were sent across ${operations.length} operations`, () => {
    expect(requestsSent).toBeGreaterThanOrEqual(Math.min(totalRuns, 5_000))
    expect(findingsByOperation.size).toBe(operations.length)
  })

  test('the server is healthy', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' })
    expect(health.statusCode).toBe(200)
  })

  const storedLeads = async (tenantId: string): Promise<Lead[]> => {
    const leads: Lead[] = []
    let cursor: string | undefined
    do {
      const page = await t.store.listLeads(tenantId, {}, { limit: 500, ...(cursor !== undefined && { cursor }) })
      leads.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return leads
  }

  test('every stored lead is readable: in the list, page by page, and on its own', async () => {
    for (const world of worlds) {
      const stored = await storedLeads(world.created.tenant.id)
      const listed: string[] = []
      let cursor: string | undefined
      do {
        const response = await app.inject({
          method: 'GET',
          url: `/v1/leads?limit=100${cursor === undefined ? '' : `&cursor=${cursor}`}`,
          headers: bearer(world.created),
        })
        expect(response.statusCode, response.body.slice(0, 300)).toBe(200)
        const page = response.json() as { items: { id: string }[]; nextCursor?: string }
        listed.push(...page.items.map((lead) => lead.id))
        cursor = page.nextCursor
      } while (cursor !== undefined)
      expect(listed.sort()).toEqual(stored.map((lead) => lead.id).sort())
      const unreadable: string[] = []
      for (const lead of stored) {
        const response = await app.inject({
          method: 'GET',
          url: `/v1/leads/${lead.id}`,
          headers: bearer(world.created),
        })
        if (response.statusCode !== 200 || response.json().id !== lead.id) {
          unreadable.push(`${lead.id}: ${response.statusCode} ${response.body.slice(0, 200)}`)
        }
      }
      expect(unreadable).toEqual([])
    }
    expect((await storedLeads(t.tenant.tenant.id)).length).toBeGreaterThan(Math.floor(totalRuns / 250))
  }, 60_000)

  test('every stored lead is exportable, as CSV and as JSONL, with all its events', async () => {
    for (const world of worlds) {
      const tenantId = world.created.tenant.id
      for (const format of ['csv', 'jsonl'] as const) {
        let text = ''
        const output = new Writable({
          write(chunk, _encoding, callback) {
            text += String(chunk)
            callback()
          },
        })
        const summary = await exportLeads(t.store, { tenantId, format, output })
        expect(summary.leads).toBe((await storedLeads(tenantId)).length)
        expect(summary.rows).toBe(await t.store.countLeadEvents(tenantId))
        const lines = text.split('\n').filter((line) => line !== '')
        if (format === 'jsonl') {
          expect(lines).toHaveLength(summary.rows)
          for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
        }
      }
    }
  }, 60_000)

  test('every stored lead is deliverable: its newest version reached the webhook sink', async () => {
    await t.server.worker.runUntilIdle()
    for (const world of worlds) {
      const tenantId = world.created.tenant.id
      const leads = await storedLeads(tenantId)
      const deliveries: Delivery[] = []
      let cursor: string | undefined
      do {
        const page = await t.store.listDeliveries(tenantId, {}, { limit: 500, ...(cursor !== undefined && { cursor }) })
        deliveries.push(...page.items)
        cursor = page.nextCursor
      } while (cursor !== undefined)
      const unfinished = deliveries.filter(
        (delivery) => delivery.state !== 'delivered' && delivery.state !== 'superseded',
      )
      expect(unfinished.map((delivery) => `${delivery.leadId} ${delivery.state}: ${delivery.lastError}`)).toEqual([])
      const undelivered = leads.filter(
        (lead) =>
          !deliveries.some(
            (delivery) =>
              delivery.leadId === lead.id &&
              delivery.destinationId === world.deliveryDestinationId &&
              delivery.state === 'delivered' &&
              delivery.leadVersion === lead.version,
          ),
      )
      expect(undelivered.map((lead) => lead.id)).toEqual([])
      const received = new Set(sink.received.map((request) => (request.json as { data?: { id?: string } })?.data?.id))
      expect(leads.filter((lead) => !received.has(lead.id)).map((lead) => lead.id)).toEqual([])
    }
  }, 120_000)
})
