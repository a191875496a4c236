/**
 * Input as the real world sends it, and as an attacker would: media-type parameters, byte order marks, times out of
 * range, deep nesting, prototype keys, broken and over-long paths, guessed credentials. Each case was a 415, a 500,
 * a non-problem answer or a lead that broke later reads before it was fixed.
 */

import { PassThrough } from 'node:stream'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { exportLeads } from '../../src/services/lead-files/export-leads.ts'
import { ingestItemOf } from '../helpers/ingest-items.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
})

const lead = () => JSON.stringify(seedLead('AzureMarketplace-INS|contoso.a', johnSmith))

function expectProblem(response: LightMyRequestResponse, status: number, code: string, field?: string) {
  expect(response.statusCode).toBe(status)
  expect(response.headers['content-type']).toContain('application/problem+json')
  const problem = response.json()
  expect(problem).toMatchObject({ status, code, type: `urn:leadrelay:error:${code}` })
  expect(problem.detail).toEqual(expect.any(String))
  if (field !== undefined) expect(problem.field).toBe(field)
  return problem
}

async function postLead(url: string, payload: string | Buffer, headers: Record<string, string>) {
  return t.server.app.inject({ method: 'POST', url, headers: { ...bearer(t.tenant), ...headers }, payload })
}

describe('media types with parameters', () => {
  test.each([
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'Application/JSON; Charset="utf-8"',
    'application/json ; charset=utf8',
    'application/vnd.leadrelay+json; charset=utf-8',
    'application/json; charset=utf-8; boundary=ignored',
  ])('%s is accepted on the own API, the Microsoft URL and a management route', async (contentType) => {
    const api = await postLead('/v1/leads', lead(), { 'content-type': contentType })
    expect(api.statusCode).toBe(202)
    const microsoft = await postLead(ingestPath(t.tenant), lead(), { 'content-type': contentType })
    expect(microsoft.statusCode).toBe(202)
    const offer = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/offers/contoso.a',
      headers: { ...bearer(t.tenant), 'content-type': contentType },
      payload: JSON.stringify({ title: 'Contoso A' }),
    })
    expect(offer.statusCode).toBe(200)
  })

  test.each(['iso-8859-1', 'utf-16', 'UTF-16LE', 'windows-1252'])(
    'charset %s is refused with a 415 naming it',
    async (charset) => {
      const before = await t.store.countLeadEvents(t.tenant.tenant.id)
      for (const url of ['/v1/leads', ingestPath(t.tenant)]) {
        const response = await postLead(url, lead(), { 'content-type': `application/json; charset=${charset}` })
        const problem = expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type')
        expect(problem.detail).toContain(charset.toLowerCase())
        expect(problem.detail).toContain('UTF-8')
      }
      expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before)
    },
  )

  test('a UTF-8 byte order mark before the JSON is dropped', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lead())])
    for (const url of ['/v1/leads', ingestPath(t.tenant)]) {
      const response = await postLead(url, body, { 'content-type': 'application/json; charset=utf-8' })
      expect(response.statusCode).toBe(202)
      expect(response.json().leadId).toMatch(/^lead_/)
    }
  })

  test('a body that is only a byte order mark is empty JSON', async () => {
    const response = await postLead('/v1/leads', Buffer.from([0xef, 0xbb, 0xbf]), {
      'content-type': 'application/json',
    })
    expectProblem(response, 400, 'INVALID_JSON', '$')
  })
})

test('the ingest URL with a trailing slash is the same URL', async () => {
  const response = await postLead(`${ingestPath(t.tenant)}/`, lead(), { 'content-type': 'application/json' })
  expect(response.statusCode).toBe(202)
  expect(response.json().leadId).toMatch(/^lead_/)
})

describe('times that cannot be stored', () => {
  const times: Array<[string, string]> = [
    ['9e15', '9000000000000000'],
    ['-9e15', '-9000000000000000'],
    ['1.5', '1.5'],
    ['1e300', '1e+300'],
    ['1e400', 'Infinity'],
    ['"+275760-09-13T00:00:00.000Z"', '+275760-09-13T00:00:00.000Z'],
  ]

  test.each(times)(
    'CreatedTime %s on the Microsoft URL: kept as sent, the receive time used, a warning, every read works',
    async (json, kept) => {
      const email = `t${Math.random().toString(36).slice(2)}@contoso.com`
      const payload = `{"LeadSource":"AzureMarketplace-INS|contoso.a","UserDetails":{"Email":"${email}"},"CreatedTime":${json}}`
      const response = await postLead(ingestPath(t.tenant), payload, { 'content-type': 'application/json' })
      expect(response.statusCode).toBe(202)
      expect(response.json().warnings).toContain('occurredAt_invalid: kept with the event, not used')
      const { leadId } = response.json()

      const one = await t.server.app.inject({ method: 'GET', url: `/v1/leads/${leadId}`, headers: bearer(t.tenant) })
      expect(one.statusCode).toBe(200)
      expect(one.json().events[0].occurredAt).toBe(new Date(t.clock.now()).toISOString())
      expect(one.json().events[0].invalid).toEqual({ occurredAt: kept })
      const list = await t.server.app.inject({
        method: 'GET',
        url: `/v1/leads?email=${encodeURIComponent(email)}`,
        headers: bearer(t.tenant),
      })
      expect(list.statusCode).toBe(200)
      expect(list.json().items).toHaveLength(1)
    },
  )

  test.each([...times, ['"0001-01-01T00:00:00Z"', '']])(
    'occurredAt %s on the own API is LEAD_INVALID on occurredAt, nothing stored',
    async (json) => {
      const before = await t.store.countLeadEvents(t.tenant.tenant.id)
      const payload = `{"LeadSource":"AzureMarketplace-INS|contoso.a","customer":{"email":"x@contoso.com"},"occurredAt":${json}}`
      const response = await postLead('/v1/leads', payload, { 'content-type': 'application/json' })
      const problem = expectProblem(response, 400, 'LEAD_INVALID', 'occurredAt')
      expect(problem.detail).toContain('9999-12-31')
      expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before)
    },
  )

  test('a lead stored with an unrenderable time before this check is still read and exported', async () => {
    const tenantId = t.tenant.tenant.id
    const body = { LeadSource: 'AzureMarketplace-INS|contoso.old', customer: { email: 'old@contoso.com' } }
    const item = ingestItemOf(tenantId, body, { ids: createIdGenerator(t.clock), clock: t.clock })
    const [outcome] = await t.store.recordLeadEvents([{ ...item, draft: { ...item.draft, occurredAt: 9e15 } }], 0)
    expect(outcome?.status).toBe('recorded')
    const leadId = outcome?.status === 'recorded' ? outcome.receipt.leadId : ''

    const one = await t.server.app.inject({ method: 'GET', url: `/v1/leads/${leadId}`, headers: bearer(t.tenant) })
    expect(one.statusCode).toBe(200)
    expect(one.json().lastEventAt).toBe('9999-12-31T23:59:59.999Z')
    const list = await t.server.app.inject({ method: 'GET', url: '/v1/leads?limit=500', headers: bearer(t.tenant) })
    expect(list.statusCode).toBe(200)
    const output = new PassThrough()
    let text = ''
    output.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    await exportLeads(t.store, { tenantId, format: 'csv', output })
    expect(text).toContain('9999-12-31T23:59:59.999Z')
  })
})

describe('deep nesting', () => {
  const deep = (depth: number) => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`

  test('a body nested 5,000 deep (under 64 KiB) is BODY_TOO_DEEP on every JSON route, not a stack overflow', async () => {
    const nested = `{"LeadSource":"AzureMarketplace-INS|contoso.a","Extra":${deep(2500)}}`
    expect(nested.length).toBeLessThan(64 * 1024)
    const before = await t.store.countLeadEvents(t.tenant.tenant.id)
    for (const url of ['/v1/leads', ingestPath(t.tenant)]) {
      expectProblem(await postLead(url, nested, { 'content-type': 'application/json' }), 400, 'BODY_TOO_DEEP', '$')
    }
    const destination = await t.server.app.inject({
      method: 'POST',
      url: '/v1/destinations',
      headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
      payload: `{"kind":"webhook","name":"x","config":${deep(2500)}}`,
    })
    expectProblem(destination, 400, 'BODY_TOO_DEEP', '$')
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before)
  })

  test('nesting up to the limit is accepted and kept', async () => {
    // The body object itself is level 1, Extra's objects and arrays the other 63.
    const payload = `{"LeadSource":"AzureMarketplace-INS|contoso.a","UserDetails":{"Email":"deep@contoso.com"},"Extra":${`${'['.repeat(63)}1${']'.repeat(63)}`}}`
    const response = await postLead(ingestPath(t.tenant), payload, { 'content-type': 'application/json' })
    expect(response.statusCode).toBe(202)
  })
})

describe('prototype keys', () => {
  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'destination kind %s is VALIDATION_FAILED on kind',
    async (kind) => {
      const response = await t.server.app.inject({
        method: 'POST',
        url: '/v1/destinations',
        headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
        payload: JSON.stringify({ kind, name: 'x', config: {} }),
      })
      expectProblem(response, 400, 'VALIDATION_FAILED', 'kind')
    },
  )
})

describe('paths', () => {
  test.each(['/v1/leads/%ZZ', '/v1/offers/%E0%A4%A', '/ingest/microsoft/%C0%AF', '/v1/destinations/%'])(
    '%s (bad percent-encoding) is a VALIDATION_FAILED problem on path',
    async (url) => {
      const response = await t.server.app.inject({ method: 'GET', url, headers: bearer(t.tenant) })
      const problem = expectProblem(response, 400, 'VALIDATION_FAILED', 'path')
      expect(problem.detail).not.toContain('%')
    },
  )

  test('an offer id of 200 characters and more, even percent-encoded, can be configured, read and published', async () => {
    for (const id of [`contoso.${'o'.repeat(192)}`, `contoso.${'é'.repeat(192)}`, `contoso.${'王'.repeat(192)}`]) {
      expect(id).toHaveLength(200)
      const url = `/v1/offers/${encodeURIComponent(id)}`
      const put = await t.server.app.inject({
        method: 'PUT',
        url,
        headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
        payload: JSON.stringify({ title: `Long ${id.at(-1)}` }),
      })
      expect(put.statusCode).toBe(200)
      expect(put.json().id).toBe(id)
      const get = await t.server.app.inject({ method: 'GET', url, headers: bearer(t.tenant) })
      expect(get.statusCode).toBe(200)
      const publish = await t.server.app.inject({ method: 'POST', url: `${url}/publish`, headers: bearer(t.tenant) })
      // No destinations are routed: the offer was found and the answer is the catalogue's, not a 414.
      expectProblem(publish, 409, 'OFFER_NOT_ROUTED')
    }
  })

  test('a lead id or offer id over the path limit is URI_TOO_LONG as a problem', async () => {
    for (const url of [`/v1/leads/${'l'.repeat(257)}`, `/v1/offers/${'%E7%8E%8B'.repeat(257)}/publish`]) {
      const method = url.endsWith('/publish') ? 'POST' : 'GET'
      expectProblem(await t.server.app.inject({ method, url, headers: bearer(t.tenant) }), 414, 'URI_TOO_LONG', 'path')
    }
  })

  test('an id-shaped offer text with a character no id has is an ordinary validation problem', async () => {
    const response = await t.server.app.inject({
      method: 'PUT',
      url: `/v1/offers/contoso.${'o'.repeat(220)}%7C`,
      headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
      payload: '{}',
    })
    expectProblem(response, 400, 'VALIDATION_FAILED')
  })
})

describe('NUL characters (U+0000, which PostgreSQL text cannot hold)', () => {
  async function send(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, body?: string, headers = {}) {
    return t.server.app.inject({
      method,
      url,
      headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { payload: body }),
    })
  }

  test.each<[string, string, string]>([
    ['GET', '/v1/leads/lead_%00', 'leadId'],
    ['GET', '/v1/leads/lead_1%00/alerts', 'leadId'],
    ['GET', '/v1/offers/contoso%00.a', 'offerId'],
    ['PUT', '/v1/offers/contoso%00.a', 'offerId'],
    ['POST', '/v1/offers/contoso%00.a/publish', 'offerId'],
    ['GET', '/v1/destinations/dst_%00', 'destinationId'],
    ['POST', '/v1/destinations/dst_%00/rotate-secrets', 'destinationId'],
    ['GET', '/v1/destinations/dst_1/preview/lead_%00', 'leadId'],
    ['GET', '/v1/deliveries/dlv_%00', 'deliveryId'],
    ['POST', '/v1/deliveries/dlv_%00/retry', 'deliveryId'],
    ['POST', '/v1/keys/key_%00/rotate', 'keyId'],
    ['POST', '/ingest/microsoft/%00', 'token'],
  ])('%s %s is VALIDATION_FAILED naming the path parameter', async (method, url, field) => {
    const body = method === 'GET' ? undefined : method === 'POST' && url.startsWith('/ingest') ? lead() : '{}'
    const response = await send(method as 'GET', url, body)
    const problem = expectProblem(response, 400, 'VALIDATION_FAILED', field)
    expect(problem.detail).toContain('U+0000')
  })

  test.each<[string, string]>([
    ['/v1/leads?q=smith%00', 'q'],
    ['/v1/leads?email=a%00%40contoso.com', 'email'],
    ['/v1/deliveries?state=queued%00', 'state'],
    ['/v1/leads?x%00=1', 'x\\u0000'],
  ])('GET %s is VALIDATION_FAILED naming the query parameter', async (url, field) => {
    expectProblem(await send('GET', url), 400, 'VALIDATION_FAILED', field)
  })

  test('a Microsoft lead with NULs in its text is kept without them in its text, and reads, lists and exports', async () => {
    const email = `nul${Math.random().toString(36).slice(2)}@contoso.com`
    const payload = JSON.stringify({
      LeadSource: 'AzureMarketplace-INS|contoso.nul\u0000',
      ActionCode: 'INS',
      OfferTitle: 'Contoso\u0000 NUL',
      Description: 'padded\u0000\u0000',
      UserDetails: { FirstName: 'Jo\u0000hn', LastName: 'Smith\u0000', Email: `${email}\u0000`, Company: '\u0000' },
      Extras: { 'note\u0000': ['a\u0000b', { deep: '\u0000' }] },
    })
    const response = await postLead(ingestPath(t.tenant), payload, { 'content-type': 'application/json' })
    expect(response.statusCode).toBe(202)
    const { leadId } = response.json()

    const one = await send('GET', `/v1/leads/${leadId}`)
    expect(one.statusCode).toBe(200)
    const read = one.json()
    expect(read.customer).toMatchObject({ firstName: 'John', lastName: 'Smith', email })
    expect(read.offerName).toBe('contoso.nul')
    expect(read.events[0]).toMatchObject({ description: 'padded', offerTitle: 'Contoso NUL' })
    // What Leadrelay keeps as JSON only, it keeps as sent.
    expect(read.events[0].extra).toEqual({ Extras: { 'note\u0000': ['a\u0000b', { deep: '\u0000' }] } })
    const list = await send('GET', `/v1/leads?email=${encodeURIComponent(email)}`)
    expect(list.statusCode).toBe(200)
    expect(list.json().items.map((item: { id: string }) => item.id)).toEqual([leadId])
    const output = new PassThrough()
    let text = ''
    output.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    await exportLeads(t.store, { tenantId: t.tenant.tenant.id, format: 'jsonl', output })
    expect(text).toContain(email)

    // The same lead sent again without the NULs is the same lead.
    const again = await postLead(
      ingestPath(t.tenant),
      JSON.stringify({ LeadSource: 'AzureMarketplace-PLT|contoso.nul', UserDetails: { Email: email } }),
      { 'content-type': 'application/json' },
    )
    expect(again.json().leadId).toBe(leadId)
  })

  test('a lead on the own API with NULs in its description and a customer field is kept without them', async () => {
    const email = `api${Math.random().toString(36).slice(2)}@contoso.com`
    const response = await postLead(
      '/v1/leads',
      JSON.stringify({
        LeadSource: 'AzureMarketplace-INS|contoso.a',
        description: 'from\u0000 the API',
        customer: { email, firstName: 'Ann\u0000' },
      }),
      { 'content-type': 'application/json' },
    )
    expect(response.statusCode).toBe(202)
    const read = (await send('GET', `/v1/leads/${response.json().leadId}`)).json()
    expect(read.customer).toMatchObject({ email, firstName: 'Ann' })
    expect(read.events[0].description).toBe('from the API')
  })

  test.each<[string, string, unknown, string]>([
    ['PUT', '/v1/offers/contoso.nul-title', { title: 'Contoso\u0000' }, 'title'],
    ['PUT', '/v1/offers/contoso.nul-alias', { title: 'Contoso', aliases: ['ok', 'b\u0000'] }, 'aliases.1'],
    ['POST', '/v1/destinations', { kind: 'webhook', name: 'hook\u0000', config: { url: 'https://x.example' } }, 'name'],
    [
      'POST',
      '/v1/destinations',
      { kind: 'webhook', name: 'hook', config: { url: 'https://x.example', headers: { 'X-Tag': 'a\u0000' } } },
      'config.headers.X-Tag',
    ],
    ['POST', '/v1/keys', { name: 'script\u0000', scopes: ['read'] }, 'name'],
    ['PUT', '/v1/tenant/notifications', { emails: ['ops\u0000@contoso.com'] }, 'emails.0'],
    ['PUT', '/v1/routes/default', { destinations: ['dst_\u0000'] }, 'destinations.0'],
    ['POST', '/v1/deliveries/replay', { ids: ['dlv_\u0000'] }, 'ids.0'],
  ])(
    '%s %s with a NUL in a body field is VALIDATION_FAILED naming it, nothing stored',
    async (method, url, body, field) => {
      const offersBefore = (await send('GET', '/v1/offers')).body
      const destinationsBefore = (await send('GET', '/v1/destinations')).body
      const keysBefore = (await send('GET', '/v1/keys')).body
      const problem = expectProblem(
        await send(method as 'PUT', url, JSON.stringify(body)),
        400,
        'VALIDATION_FAILED',
        field,
      )
      expect(problem.detail).toContain('U+0000')
      expect((await send('GET', '/v1/offers')).body).toBe(offersBefore)
      expect((await send('GET', '/v1/destinations')).body).toBe(destinationsBefore)
      expect((await send('GET', '/v1/keys')).body).toBe(keysBefore)
    },
  )
})

describe('API answers are not cached or sniffed', () => {
  test.each<[string, string, string, Record<string, string>, string | undefined]>([
    ['a lead received', 'POST', '/v1/leads', { 'content-type': 'application/json' }, 'lead'],
    ['the Microsoft URL', 'POST', 'microsoft', { 'content-type': 'application/json' }, 'lead'],
    ['a list', 'GET', '/v1/leads', {}, undefined],
    ['an unknown key', 'GET', '/v1/leads', { authorization: 'Bearer lr_key_nope' }, undefined],
    ['no route', 'GET', '/v1/nothing', {}, undefined],
    ['a bad path', 'GET', '/v1/leads/%ZZ', {}, undefined],
    ['a path too long', 'GET', `/v1/leads/${'l'.repeat(257)}`, {}, undefined],
    ['a 415', 'POST', '/v1/leads', { 'content-type': 'text/plain' }, 'x'],
    ['the health check', 'GET', '/healthz', {}, undefined],
  ])('%s', async (_name, method, url, headers, payload) => {
    const response = await t.server.app.inject({
      method: method as 'GET' | 'POST',
      url: url === 'microsoft' ? ingestPath(t.tenant) : url,
      headers: { ...bearer(t.tenant), ...headers },
      ...(payload !== undefined && { payload: payload === 'lead' ? lead() : payload }),
    })
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
  })
})

describe('failed authentication is braked per client address', () => {
  let b: TestServer
  const queries = { keys: 0, tokens: 0 }

  beforeAll(async () => {
    b = await startTestServer()
    const store = b.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    for (const [method, counter] of [
      ['findApiKey', 'keys'],
      ['findIngestToken', 'tokens'],
    ] as const) {
      const original = store[method]?.bind(b.store)
      if (!original) throw new Error(`the store has no ${method}`)
      store[method] = (...args) => {
        queries[counter]++
        return original(...args)
      }
    }
  })
  afterAll(async () => {
    await b.close()
  })

  const get = (remoteAddress: string, key: string | undefined) =>
    b.server.app.inject({
      method: 'GET',
      url: '/v1/leads',
      remoteAddress,
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    })
  const ingest = (remoteAddress: string, token: string) =>
    b.server.app.inject({
      method: 'POST',
      url: `/ingest/microsoft/${token}`,
      remoteAddress,
      headers: { 'content-type': 'application/json' },
      payload: lead(),
    })

  test('after 20 unknown credentials in a minute, the address gets 429 with Retry-After and no store query', async () => {
    const address = '203.0.113.1'
    const token = ingestPath(b.tenant).split('/').pop() ?? ''
    expect((await get(address, b.tenant.apiKey)).statusCode).toBe(200)
    expect((await ingest(address, token)).statusCode).toBe(202)
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await get(address, `lr_key_guess${attempt}`)).statusCode).toBe(401)
      expect((await ingest(address, `lr_in_guess${attempt}`)).statusCode).toBe(401)
    }
    const before = { ...queries }
    const braked = await get(address, 'lr_key_guess-next')
    const problem = expectProblem(braked, 429, 'TOO_MANY_REQUESTS')
    expect(problem.detail).toMatch(/try again in \d+ s/)
    expect(Number(braked.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(braked.headers['retry-after'])).toBeLessThanOrEqual(60)
    expectProblem(await ingest(address, 'lr_in_guess-next'), 429, 'TOO_MANY_REQUESTS')
    expect(queries).toEqual(before)

    // The key and the ingest URL that worked from here before still work; a request without any key is braked like a guess.
    expect((await get(address, b.tenant.apiKey)).statusCode).toBe(200)
    expect((await ingest(address, token)).statusCode).toBe(202)
    expectProblem(await get(address, undefined), 429, 'TOO_MANY_REQUESTS')

    // Another address is not affected, and the brake lifts when the minute is over.
    expect((await get('203.0.113.2', 'lr_key_other')).statusCode).toBe(401)
    b.clock.advance(60_000)
    expect((await get(address, 'lr_key_guess-later')).statusCode).toBe(401)
  })

  test('only failures count: successes and requests without a credential do not', async () => {
    const address = '203.0.113.3'
    for (let request = 0; request < 30; request++) expect((await get(address, b.tenant.apiKey)).statusCode).toBe(200)
    for (let request = 0; request < 30; request++) expect((await get(address, undefined)).statusCode).toBe(401)
    for (let attempt = 0; attempt < 20; attempt++)
      expect((await get(address, `lr_key_x${attempt}`)).statusCode).toBe(401)
    // A new key this process has not seen succeed is held back too, until the minute ends.
    const fresh = await b.addTenant('fabrikam')
    expectProblem(await get(address, fresh.apiKey), 429, 'TOO_MANY_REQUESTS')
    b.clock.advance(60_001)
    expect((await get(address, fresh.apiKey)).statusCode).toBe(200)
  })
})
