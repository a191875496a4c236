import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer
let baselineEvents: number
let leadId: string

beforeAll(async () => {
  t = await startTestServer()
  const response = await t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { 'content-type': 'application/json', ...bearer(t.tenant) },
    payload: JSON.stringify(seedLead('AzureMarketplace-INS|contoso.a', johnSmith)),
  })
  leadId = response.json().leadId
  baselineEvents = await t.store.countLeadEvents(t.tenant.tenant.id)
})
afterAll(async () => {
  await t.close()
})

interface BadCase {
  name: string
  url?: 'api' | 'microsoft'
  contentType?: string
  payload: string
  headers?: Record<string, string>
  status: number
  code: string
  field?: string
}

const big = JSON.stringify({ LeadSource: 'AzureMarketplace-INS|a.b', Description: 'x'.repeat(70 * 1024) })

const cases: BadCase[] = [
  {
    name: 'malformed JSON',
    payload: '{"LeadSource": "AzureMarketplace-INS|a.b",',
    status: 400,
    code: 'INVALID_JSON',
    field: '$',
  },
  {
    name: 'malformed JSON on the Microsoft URL',
    url: 'microsoft',
    payload: '{oops}',
    status: 400,
    code: 'INVALID_JSON',
  },
  { name: 'an empty body', payload: '', status: 400, code: 'INVALID_JSON' },
  { name: 'a JSON array', payload: '[1,2]', status: 400, code: 'LEAD_INVALID', field: '$' },
  { name: 'a JSON string', payload: '"lead"', status: 400, code: 'LEAD_INVALID', field: '$' },
  {
    name: 'LeadSource a number... object',
    payload: '{"LeadSource": {"a":1}}',
    status: 400,
    code: 'LEAD_INVALID',
    field: 'LeadSource',
  },
  {
    name: 'CustomerInfo an array',
    payload: '{"LeadSource":"a-INS|b.c","CustomerInfo":[1]}',
    status: 400,
    code: 'LEAD_INVALID',
    field: 'CustomerInfo',
  },
  {
    name: 'CustomerInfo a string that is not JSON',
    payload: '{"LeadSource":"a-INS|b.c","CustomerInfo":"{nope"}',
    status: 400,
    code: 'LEAD_INVALID',
    field: 'CustomerInfo',
  },
  {
    name: 'Email a boolean',
    payload: '{"LeadSource":"a-INS|b.c","CustomerInfo":{"Email":true}}',
    status: 400,
    code: 'LEAD_INVALID',
    field: 'CustomerInfo.Email',
  },
  {
    name: 'an invalid email on the own API',
    payload: '{"LeadSource":"a-INS|b.c","CustomerInfo":{"Email":"not an email"}}',
    status: 400,
    code: 'LEAD_INVALID',
    field: 'customer.email',
  },
  { name: 'an empty object', payload: '{}', status: 400, code: 'LEAD_EMPTY' },
  {
    name: 'a __proto__ key',
    payload: '{"__proto__":{"admin":true},"LeadSource":"a-INS|b.c"}',
    status: 400,
    code: 'INVALID_JSON',
  },
  { name: 'a body over 64 KiB', payload: big, status: 413, code: 'BODY_TOO_LARGE' },
  {
    name: 'text/plain',
    contentType: 'text/plain',
    payload: 'LeadSource=x',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form encoding',
    contentType: 'application/x-www-form-urlencoded',
    payload: 'a=b',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'no API key',
    headers: { authorization: '' },
    payload: '{"LeadSource":"a-INS|b.c"}',
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'an unknown API key',
    headers: { authorization: 'Bearer lr_key_guess' },
    payload: '{"LeadSource":"a-INS|b.c"}',
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'an over-long idempotency key',
    headers: { 'idempotency-key': 'k'.repeat(201) },
    payload: '{"LeadSource":"a-INS|b.c"}',
    status: 400,
    code: 'IDEMPOTENCY_KEY_INVALID',
    field: 'Idempotency-Key',
  },
]

describe('bad input gets a problem with a code and leaves the store unchanged', () => {
  test.each(cases)('$name → $status $code', async (badCase) => {
    const response = await t.server.app.inject({
      method: 'POST',
      url: badCase.url === 'microsoft' ? ingestPath(t.tenant) : '/v1/leads',
      headers: { 'content-type': badCase.contentType ?? 'application/json', ...bearer(t.tenant), ...badCase.headers },
      payload: badCase.payload,
    })
    expect(response.statusCode).toBe(badCase.status)
    expect(response.headers['content-type']).toContain('application/problem+json')
    const problem = response.json()
    expect(problem).toMatchObject({ status: badCase.status, code: badCase.code })
    expect(problem.title).toEqual(expect.any(String))
    expect(problem.detail).toEqual(expect.any(String))
    if (badCase.field) expect(problem.field).toBe(badCase.field)
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(baselineEvents)
    const lead = await t.server.app.inject({ method: 'GET', url: `/v1/leads/${leadId}`, headers: bearer(t.tenant) })
    expect(lead.json().customer.email).toBe('jsmith@microsoft.com')
    expect(lead.json().eventCount).toBe(1)
  })
})

describe('hostile but valid values are stored verbatim', () => {
  test.each([
    ['SQL injection', "Robert'); DROP TABLE leads;--"],
    ['HTML', '<script>alert(1)</script>'],
    ['unicode', 'Zoë 王小明 🚀 Ñandú'],
    ['right-to-left', 'مرحبا'],
  ])('%s', async (_name, value) => {
    const email = `u${Math.random().toString(36).slice(2)}@example.com`
    const response = await t.server.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: { 'content-type': 'application/json', ...bearer(t.tenant) },
      payload: JSON.stringify(
        seedLead(`AzureMarketplace-INS|${value}`, { FirstName: value, Company: value, Email: email }),
      ),
    })
    expect(response.statusCode).toBe(202)
    const lead = await t.server.app.inject({
      method: 'GET',
      url: `/v1/leads/${response.json().leadId}`,
      headers: bearer(t.tenant),
    })
    expect(lead.json().customer).toMatchObject({ firstName: value, company: value })
    expect(lead.json().events[0].offerRef).toBe(value)
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBeGreaterThan(baselineEvents)
  })
})

test('unknown routes and methods are problems too', async () => {
  const response = await t.server.app.inject({ method: 'GET', url: '/v1/nothing' })
  expect(response.statusCode).toBe(404)
  expect(response.json()).toMatchObject({ code: 'NOT_FOUND' })
})
