import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { johnSmith, microsoftExample, seedLead } from '../helpers/leads.ts'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
})

function postMicrosoft(body: unknown, headers: Record<string, string> = {}) {
  return t.server.app.inject({
    method: 'POST',
    url: ingestPath(t.tenant),
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  })
}

function postLead(body: unknown, headers: Record<string, string> = {}) {
  return t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { 'content-type': 'application/json', ...bearer(t.tenant), ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function getLead(id: string) {
  const response = await t.server.app.inject({ method: 'GET', url: `/v1/leads/${id}`, headers: bearer(t.tenant) })
  expect(response.statusCode).toBe(200)
  return response.json()
}

describe('Microsoft HTTPS endpoint', () => {
  test("accepts Microsoft's documented example and keeps unknown fields", async () => {
    const response = await postMicrosoft({ ...microsoftExample, SomethingNew: { nested: true } })
    expect(response.statusCode).toBe(202)
    const receipt = response.json()
    expect(receipt).toMatchObject({ stage: 'initial_interest', routed: false, newLead: true, isTest: false })
    const lead = await getLead(receipt.leadId)
    expect(lead.customer).toMatchObject({ email: 'someone@contoso.com', country: 'US', phoneDigits: '16175555555' })
    expect(lead.events).toHaveLength(1)
    expect(lead.events[0].extra).toEqual({ SomethingNew: { nested: true } })
    expect(lead.events[0].description).toBe('Test run through Power Automate')
  })

  test('matches keys case-insensitively (userDetails from the test-lead sample)', async () => {
    const response = await postMicrosoft({
      userDetails: { firstname: 'MSFT_TEST_636573304831318844', EMAIL: 'MSFT_TEST_636573304831318844@test.com' },
      leadsource: 'AzureMarketplace',
      actioncode: 'INS',
      offertitle: 'Contoso Test',
    })
    expect(response.statusCode).toBe(202)
    const receipt = response.json()
    expect(receipt.isTest).toBe(true)
    const lead = await getLead(receipt.leadId)
    expect(lead.customer.email).toBe('msft_test_636573304831318844@test.com')
    expect(lead.isTest).toBe(true)
  })

  test('an unknown token is 401 with a code and stores nothing', async () => {
    const response = await t.server.app.inject({
      method: 'POST',
      url: '/ingest/microsoft/lr_in_not-a-real-token',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(microsoftExample),
    })
    expect(response.statusCode).toBe(401)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({ code: 'INGEST_TOKEN_UNKNOWN', field: 'token' })
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(0)
  })
})

describe('merging the funnel', () => {
  test('test drive, Get it now and a portal purchase become one active lead with three events', async () => {
    const offer = 'contoso.crm-suite'
    const receipts = []
    for (const [action, source] of [
      ['StartTestDrive', 'TestDrive'],
      ['INS', 'AzureMarketplace'],
      ['Create', 'AzurePortal'],
    ] as const) {
      const response = await postLead(seedLead(`${source}-${action}|${offer}`, johnSmith))
      expect(response.statusCode).toBe(202)
      receipts.push(response.json())
      t.clock.advance(60_000)
    }
    expect(new Set(receipts.map((r) => r.leadId)).size).toBe(1)
    expect(receipts.map((r) => r.stage)).toEqual(['trial', 'initial_interest', 'active'])
    const lead = await getLead(receipts[0].leadId)
    expect(lead.stage).toBe('active')
    expect(lead.eventCount).toBe(3)
    expect(lead.events.map((e: { action: string }) => e.action)).toEqual(['StartTestDrive', 'INS', 'Create'])
  })

  test('a DNC notice alone gives a lead flagged do-not-contact; a later customer action clears it', async () => {
    const first = (await postLead(seedLead('SPZA-DNC|contoso.crm-suite', johnSmith))).json()
    expect((await getLead(first.leadId)).doNotContact).toBe(true)
    t.clock.advance(1000)
    await postLead(seedLead('SPZA-PLT|contoso.crm-suite', johnSmith))
    const lead = await getLead(first.leadId)
    expect(lead.doNotContact).toBe(false)
    expect(lead.stage).toBe('active')
  })

  test('the same customer on two offers is two leads; no email nor phone is never merged', async () => {
    const a = (await postLead(seedLead('AzureMarketplace-INS|contoso.a', johnSmith))).json()
    const b = (await postLead(seedLead('AzureMarketplace-INS|contoso.b', johnSmith))).json()
    expect(a.leadId).not.toBe(b.leadId)
    const anonymous1 = (await postLead(seedLead('AzureMarketplace-INS|contoso.a', { FirstName: 'Ann' }))).json()
    const anonymous2 = (await postLead(seedLead('AzureMarketplace-PLT|contoso.a', { FirstName: 'Ann' }))).json()
    expect(anonymous1.leadId).not.toBe(anonymous2.leadId)
    expect(anonymous1.warnings.join()).toContain('customer_unidentified')
  })

  test('accepts CustomerInfo as a JSON string, as Azure Table keeps it', async () => {
    const response = await postLead({
      LeadSource: 'AzurePortal-Create|contoso.a',
      CustomerInfo: JSON.stringify(johnSmith),
    })
    expect(response.statusCode).toBe(202)
    expect((await getLead(response.json().leadId)).customer.company).toBe('Microsoft')
  })
})

describe('idempotency', () => {
  test('a repeated Idempotency-Key returns the original result and writes no second event', async () => {
    const body = seedLead('AzureMarketplace-INS|contoso.a', johnSmith)
    const first = await postLead(body, { 'idempotency-key': 'order-1' })
    const second = await postLead(body, { 'idempotency-key': 'order-1' })
    expect(second.statusCode).toBe(202)
    expect(second.json()).toEqual(first.json())
    expect(first.headers['idempotent-replayed']).toBe('false')
    expect(second.headers['idempotent-replayed']).toBe('true')
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(1)
  })

  test('an eventId field works like the header, and reusing it for another body is a 409', async () => {
    const body = { ...seedLead('AzureMarketplace-INS|contoso.a', johnSmith), eventId: 'evt-42' }
    const first = await postLead(body)
    expect((await postLead(body)).json()).toEqual(first.json())
    const conflict = await postLead({ ...body, LeadSource: 'AzureMarketplace-PLT|contoso.a' })
    expect(conflict.statusCode).toBe(409)
    expect(conflict.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'eventId' })
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(1)
  })

  test('an identical payload without a key counts once within 10 minutes, again after', async () => {
    await postMicrosoft(microsoftExample)
    t.clock.advance(9 * 60_000)
    const repeat = await postMicrosoft({ ...microsoftExample })
    expect(repeat.headers['idempotent-replayed']).toBe('true')
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(1)
    t.clock.advance(2 * 60_000)
    const later = await postMicrosoft(microsoftExample)
    expect(later.headers['idempotent-replayed']).toBe('false')
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(2)
  })
})
