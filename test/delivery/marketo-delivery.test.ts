import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type MarketoFake, startMarketoFake } from '../fakes/marketo-fake.ts'
import { startCommitThenDropProxy } from '../helpers/commit-then-drop-proxy.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

const clientId = 'leadrelay-client'
const clientSecret = 'leadrelay-secret-0123456789'

let t: TestServer
let fake: MarketoFake

beforeEach(async () => {
  t = await startTestServer()
  fake = await startMarketoFake({
    clientId,
    clientSecret,
    now: () => t.clock.now(),
    customFields: [
      { name: 'leadrelaySource', displayName: 'Leadrelay Source', dataType: 'string', length: 255 },
      { name: 'leadrelayTest', displayName: 'Leadrelay Test', dataType: 'boolean' },
    ],
  })
})
afterEach(async () => {
  await t.close()
  await fake.close()
})

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, body?: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, json: response.body ? response.json() : undefined }
}

async function marketoRoutedTo(
  config: Record<string, unknown> = {},
  secrets: Record<string, string> = { clientId, clientSecret },
  offer = 'contoso.crm-suite',
) {
  const created = await api('POST', '/v1/destinations', {
    kind: 'marketo',
    name: 'Marketo',
    config: { restUrl: fake.url, sourceDetailField: 'leadrelaySource', testLeadField: 'leadrelayTest', ...config },
    secrets,
  })
  expect(created.status).toBe(201)
  // Secrets go in and never come out.
  expect(JSON.stringify(created.json)).not.toContain(clientSecret)
  expect(
    (await api('PUT', `/v1/offers/${offer}`, { title: 'Contoso CRM', destinations: [created.json.id] })).status,
  ).toBe(200)
  return created.json as { id: string }
}

function sendLead(action: string, customer: Record<string, string> = johnSmith, offer = 'contoso.crm-suite') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|${offer}`, customer))
}

function john() {
  return fake.findLeads('email', 'jsmith@microsoft.com')
}

describe('delivering to Marketo through the worker', () => {
  test('creates the person, then a second event for the same customer updates the same person', async () => {
    await marketoRoutedTo()
    const receipt = (await sendLead('INS')).json
    expect(receipt.deliveries).toBe(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(john()).toHaveLength(1)
    expect(john()[0]!.fields).toEqual({
      email: 'jsmith@microsoft.com',
      firstName: 'John',
      lastName: 'Smith',
      phone: '1234567890',
      country: 'US',
      company: 'Microsoft',
      title: 'CTO',
      leadSource: 'Azure Marketplace',
      leadrelaySource: 'AzureMarketplace-INS|contoso.crm-suite (initial_interest)',
      leadrelayTest: false,
    })

    await sendLead('PLT', { ...johnSmith, Title: 'CEO' })
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads.size).toBe(1)
    expect(john()[0]!.updates).toBe(1)
    expect(john()[0]!.fields).toMatchObject({
      title: 'CEO',
      leadrelaySource: 'AzureMarketplace-PLT|contoso.crm-suite (active)',
    })
    const deliveries = (await api('GET', `/v1/deliveries?lead=${receipt.leadId}`)).json.items
    expect(deliveries.map((d: { state: string }) => d.state)).toEqual(['delivered', 'delivered'])
    expect(fake.syncCalls().every((call) => call.headers.authorization === `Bearer ${fake.tokensIssued[0]}`)).toBe(true)
  })

  test("a DNC event sets Marketo's do-not-contact fields", async () => {
    await marketoRoutedTo({ marketingSuspendedOnDoNotContact: true })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    expect(john()[0]!.fields).not.toHaveProperty('unsubscribed')
    // The heads-up comes after the customer's own action, so it is in force.
    t.clock.advance(60_000)
    await sendLead('DNC')
    await t.server.worker.runUntilIdle()
    expect(fake.leads.size).toBe(1)
    expect(john()[0]!.fields).toMatchObject({ unsubscribed: true, marketingSuspended: true })
    expect((fake.syncCalls().at(-1)!.json as { input: Record<string, unknown>[] }).input[0]).toMatchObject({
      unsubscribed: true,
      marketingSuspended: true,
    })
  })

  test('an expired token is fetched again once and the lead delivered', async () => {
    await marketoRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    fake.expireTokens()
    await sendLead('INS', { ...johnSmith, Email: 'other@example.com' })
    await t.server.worker.runUntilIdle()
    expect(fake.identityCalls()).toHaveLength(2)
    const calls = fake.syncCalls()
    expect(calls).toHaveLength(3)
    expect(calls[1]!.headers.authorization).toBe(`Bearer ${fake.tokensIssued[0]}`)
    expect(calls[2]!.headers.authorization).toBe(`Bearer ${fake.tokensIssued[1]}`)
    const delivered = (await api('GET', '/v1/deliveries?state=delivered')).json.items
    expect(delivered).toHaveLength(2)
    expect(delivered.every((d: { attempts: number }) => d.attempts === 1)).toBe(true)
  })

  test("Marketo's rate limit (606) waits the documented 20 s, without using up an attempt", async () => {
    await marketoRoutedTo()
    fake.failNext({ errors: [{ code: '606', message: "Max rate limit '100' exceeded with in '20' secs" }] })
    const receipt = (await sendLead('INS')).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    t.clock.advance(19_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(john()).toHaveLength(1)
    const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
    expect(lead.deliveries[0]).toMatchObject({ state: 'delivered', attempts: 1 })
    expect(lead.deliveries[0].attemptLog.map((a: { outcome: string; vendorCode: string }) => a.vendorCode)).toEqual([
      '606',
      null,
    ])
  })

  test('HTTP 429 with Retry-After waits exactly that long, then delivers', async () => {
    await marketoRoutedTo()
    fake.failNext({ status: 429, headers: { 'retry-after': '7' }, body: 'Too Many Requests' })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    t.clock.advance(6_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    expect(fake.syncCalls()).toHaveLength(1)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.syncCalls()).toHaveLength(2)
    expect(john()).toHaveLength(1)
  })

  test('5xx and a Marketo system error are retried on the schedule (5 s, then 5 min)', async () => {
    await marketoRoutedTo()
    fake.failNext({ status: 503, body: 'Service Unavailable' }, { errors: [{ code: '611', message: 'System error' }] })
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    t.clock.advance(4_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(john()).toHaveLength(0)
    t.clock.advance(299_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(john()).toHaveLength(1)
    const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
    expect(
      lead.deliveries[0].attemptLog.map((a: { outcome: string; status: number }) => [a.outcome, a.status]),
    ).toEqual([
      ['retryable', 503],
      ['retryable', 200],
      ['delivered', 200],
    ])
  })

  test('a validation error ends dead with a readable reason that carries no customer data', async () => {
    await marketoRoutedTo()
    fake.rejectRecords((record) => record.email === 'jsmith@microsoft.com', {
      code: '1003',
      message: "Invalid data: 'jsmith@microsoft.com'",
    })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0].lastErrorKind).toBe('rejected')
    expect(dead[0].lastError).toContain('error 1003')
    expect(dead[0].lastError).toContain('Field Management')
    expect(dead[0].lastError).not.toContain('jsmith')
    expect(fake.leads.size).toBe(0)
  })

  test('a lead without email ends dead without a call to Marketo', async () => {
    await marketoRoutedTo()
    await sendLead('INS', { FirstName: 'Anon', Phone: '5550100' })
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0].lastError).toContain('no email address')
    expect(fake.syncCalls()).toHaveLength(0)
  })

  test('bad credentials pause the destination: leads wait without using attempts; fixing them resumes', async () => {
    const destination = await marketoRoutedTo({}, { clientId, clientSecret: 'not-the-secret' })
    await sendLead('INS')
    await sendLead('INS', { ...johnSmith, Email: 'other@example.com' })
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toContain('Client ID and Client Secret')
    expect(paused.stateReason).not.toContain('not-the-secret')
    const identityCalls = fake.identityCalls().length
    t.clock.advance(86_400_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    expect(fake.identityCalls()).toHaveLength(identityCalls)
    const queued = (await api('GET', '/v1/deliveries?state=queued')).json.items
    expect(queued).toHaveLength(2)
    expect(queued.every((d: { attempts: number }) => d.attempts === 0)).toBe(true)
    expect(fake.syncCalls()).toHaveLength(0)

    const fixed = await api('PATCH', `/v1/destinations/${destination.id}`, { secrets: { clientSecret } })
    expect(fixed.json.state).toBe('active')
    await t.server.worker.runUntilIdle()
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    expect(fake.leads.size).toBe(2)
  })

  test('several due leads go in one Sync Leads call; a partial failure gives each delivery its own outcome', async () => {
    await marketoRoutedTo()
    fake.rejectRecords((record) => record.email === 'bad@example.com', { code: '1003', message: 'Invalid data' })
    await sendLead('INS', { ...johnSmith, Email: 'a@example.com' })
    await sendLead('INS', { ...johnSmith, Email: 'bad@example.com' })
    await sendLead('INS', { ...johnSmith, Email: 'c@example.com' })
    expect(await t.server.worker.runUntilIdle()).toBe(3)
    const calls = fake.syncCalls()
    expect(calls).toHaveLength(1)
    expect((calls[0]!.json as { input: { email: string }[] }).input.map((record) => record.email).sort()).toEqual([
      'a@example.com',
      'bad@example.com',
      'c@example.com',
    ])
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0].lastError).toContain('1003')
    expect(fake.findLeads('email', 'a@example.com')).toHaveLength(1)
    expect(fake.findLeads('email', 'c@example.com')).toHaveLength(1)
    expect(fake.findLeads('email', 'bad@example.com')).toHaveLength(0)
  })

  test('a missing field pauses the destination with the field named; creating it and resuming delivers', async () => {
    fake.removeField('leadrelaySource')
    const destination = await marketoRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toContain("'leadrelaySource'")
    fake.addField({ name: 'leadrelaySource', displayName: 'Leadrelay Source', dataType: 'string' })
    const check = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(check.json.ok).toBe(true)
    await t.server.worker.runUntilIdle()
    expect(john()).toHaveLength(1)
  })
})

describe('a timeout after Marketo committed', () => {
  test('does not duplicate the person on retry (default createOrUpdate by email)', async () => {
    const proxy = await startCommitThenDropProxy(fake.url)
    try {
      // One base URL for REST and identity: only the armed Sync Leads write is dropped.
      await marketoRoutedTo({ restUrl: proxy.url })
      proxy.dropNext(1, (method, path) => method === 'POST' && path.startsWith('/rest/v1/leads.json'))
      const receipt = (await sendLead('INS')).json
      await t.server.worker.runUntilIdle()
      expect(proxy.dropped).toHaveLength(1)
      expect(proxy.dropped[0]).toMatchObject({ method: 'POST', status: 200 })
      // Marketo already created the person; Leadrelay never saw the answer.
      expect(john()).toHaveLength(1)
      expect((await api('GET', `/v1/leads/${receipt.leadId}`)).json.deliveries[0].state).not.toBe('delivered')

      t.clock.advance(5_000)
      await t.server.worker.runUntilIdle()
      expect(fake.syncCalls()).toHaveLength(2)
      expect(john()).toHaveLength(1)
      expect(fake.leads.size).toBe(1)
      expect(john()[0]!.updates).toBe(1)
      const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
      expect(lead.deliveries[0].state).toBe('delivered')
      const outcomes = lead.deliveries[0].attemptLog.map((a: { outcome: string }) => a.outcome)
      expect(outcomes).toEqual(['retryable', 'delivered'])
    } finally {
      await proxy.close()
    }
  })
})

describe('Test connection (POST /v1/destinations/:id/verify)', () => {
  test('passes against Marketo and sends a test lead flagged as a test', async () => {
    const destination = await marketoRoutedTo()
    const check = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(check.status).toBe(200)
    expect(check.json).toMatchObject({ ok: true, kind: 'marketo' })
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /identity/oauth/token',
      'GET /rest/v1/leads/describe.json',
      'POST /rest/v1/leads.json',
    ])
    const [testLead] = [...fake.leads.values()]
    expect(testLead?.fields).toMatchObject({ leadrelayTest: true, leadSource: 'Azure Marketplace' })
    expect(String(testLead?.fields.email)).toMatch(/^leadrelay_test_\d+@example\.com$/)
  })

  test('fails with a clear reason for bad credentials', async () => {
    const destination = await marketoRoutedTo({}, { clientId: 'someone-else', clientSecret })
    const check = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(check.json).toMatchObject({ ok: false, step: 'verify', failureKind: 'auth', status: 401 })
    expect(check.json.reason).toContain('LaunchPoint')
    expect(fake.syncCalls()).toHaveLength(0)
  })

  test('fails naming the custom fields to create', async () => {
    fake.removeField('leadrelayTest')
    const destination = await marketoRoutedTo()
    const check = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(check.json).toMatchObject({ ok: false, step: 'verify', failureKind: 'misconfigured' })
    expect(check.json.reason).toContain('leadrelayTest (Boolean)')
  })

  test('refuses a config without munchkinId or restUrl, and secrets without clientSecret', async () => {
    const noBase = await api('POST', '/v1/destinations', {
      kind: 'marketo',
      name: 'Marketo',
      config: {},
      secrets: { clientId, clientSecret },
    })
    expect(noBase.status).toBe(400)
    const noSecret = await api('POST', '/v1/destinations', {
      kind: 'marketo',
      name: 'Marketo',
      config: { munchkinId: '123-ABC-456' },
      secrets: { clientId },
    })
    expect(noSecret.status).toBe(400)
    expect(JSON.stringify(noSecret.json)).toContain('secrets.clientSecret')
  })
})

describe('marketplace subscription stages', () => {
  test('Lead Status says Customer, Suspended or Churned once a subscription does; earlier stages leave it alone', async () => {
    await marketoRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    expect(john()[0]?.fields.leadStatus).toBeUndefined()
    for (const [action, status] of [
      ['Subscribed', 'Customer'],
      ['Suspended', 'Suspended'],
      ['Unsubscribed', 'Churned'],
    ] as const) {
      t.clock.advance(60_000)
      await sendLead(action)
      await t.server.worker.runUntilIdle()
      expect(john()).toHaveLength(1)
      expect(john()[0]?.fields.leadStatus, action).toBe(status)
    }
  })
})
