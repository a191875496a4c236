import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { fakeToken, type HubSpotFake, startHubSpotFake } from '../fakes/hubspot-fake.ts'
import { startCommitThenDropProxy } from '../helpers/commit-then-drop-proxy.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer
let fake: HubSpotFake

const otherToken = 'pat-na1-99999999-8888-4777-8666-555555555555'

beforeEach(async () => {
  t = await startTestServer()
  fake = await startHubSpotFake()
  fake.addProperty({
    name: 'leadrelay_do_not_contact',
    type: 'bool',
    fieldType: 'booleancheckbox',
    options: ['true', 'false'],
  })
  fake.addProperty({ name: 'leadrelay_test', type: 'bool', fieldType: 'booleancheckbox', options: ['true', 'false'] })
  fake.addProperty({ name: 'leadrelay_source', type: 'string', fieldType: 'text' })
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

const settings = () => ({
  baseUrl: fake.url,
  timeoutMs: 5000,
  doNotContactProperty: 'leadrelay_do_not_contact',
  doNotContactLeadStatus: 'UNQUALIFIED',
  testLeadProperty: 'leadrelay_test',
  leadSourceProperty: 'leadrelay_source',
})

async function hubspotRoutedTo(
  config: Record<string, unknown> = settings(),
  token = fakeToken,
  offer = 'contoso.crm-suite',
  limits?: { ratePerSecond: number },
) {
  const created = await api('POST', '/v1/destinations', {
    kind: 'hubspot',
    name: 'HubSpot',
    config,
    secrets: { accessToken: token },
    ...(limits && { limits }),
  })
  expect(created.status).toBe(201)
  // The token went in; it never comes out.
  expect(JSON.stringify(created.json)).not.toContain('pat-')
  expect(
    (await api('PUT', `/v1/offers/${offer}`, { title: `Title of ${offer}`, destinations: [created.json.id] })).status,
  ).toBe(200)
  return created.json as { id: string; limits: { ratePerSecond: number | null } }
}

function sendLead(action: string, customer: Record<string, string> = johnSmith, offer = 'contoso.crm-suite') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|${offer}`, customer))
}

describe('delivering to HubSpot through the worker', () => {
  test('creates the contact; the next event for the customer updates the same contact', async () => {
    // The documented limit for HubSpot's 100 calls per 10 s: 9 calls per second from this destination.
    const destination = await hubspotRoutedTo(settings(), fakeToken, 'contoso.crm-suite', { ratePerSecond: 9 })
    expect(destination.limits.ratePerSecond).toBe(9)
    const receipt = (await sendLead('INS')).json
    expect(receipt.deliveries).toBe(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.contacts.size).toBe(1)
    const contact = fake.contactByEmail('jsmith@microsoft.com')!
    expect(contact.properties).toMatchObject({
      email: 'jsmith@microsoft.com',
      firstname: 'John',
      lastname: 'Smith',
      phone: '1234567890',
      country: 'US',
      company: 'Microsoft',
      jobtitle: 'CTO',
      lifecyclestage: 'marketingqualifiedlead',
      leadrelay_do_not_contact: 'false',
      leadrelay_test: 'false',
      leadrelay_source: 'AzureMarketplace-INS|contoso.crm-suite',
    })
    expect(fake.upserts()[0]!.inputs[0]).toMatchObject({ idProperty: 'email', id: 'jsmith@microsoft.com' })

    await sendLead('PLT', { ...johnSmith, Title: 'CEO' })
    // The rate limit holds the next call back until its token is there (1/9 s).
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(112)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.contacts.size).toBe(1)
    expect(fake.contactByEmail('jsmith@microsoft.com')).toMatchObject({
      id: contact.id,
      writes: 2,
      properties: { jobtitle: 'CEO', lifecyclestage: 'salesqualifiedlead' },
    })
    const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
    expect(lead.deliveries.map((d: { state: string }) => d.state)).toEqual(['delivered', 'delivered'])
    // A later trial event never pulls the contact's lifecycle stage back.
    await sendLead('StartTestDrive')
    t.clock.advance(112)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.upserts().at(-1)!.inputs[0]!.properties.lifecyclestage).toBe('salesqualifiedlead')
    expect(fake.backwardLifecycleRequests).toBe(0)
  })

  test('a DNC event sets the do-not-contact property and lead status, keeping the lifecycle stage', async () => {
    await hubspotRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    t.clock.advance(60_000)
    await api('POST', '/v1/leads', seedLead('SPZA-DNC|contoso.crm-suite', johnSmith))
    await t.server.worker.runUntilIdle()
    expect(fake.contacts.size).toBe(1)
    expect(fake.contactByEmail('jsmith@microsoft.com')!.properties).toMatchObject({
      leadrelay_do_not_contact: 'true',
      hs_lead_status: 'UNQUALIFIED',
      lifecyclestage: 'marketingqualifiedlead',
    })
    expect(fake.upserts().at(-1)!.inputs[0]!.properties.lifecyclestage).toBe('marketingqualifiedlead')
  })

  test('several due leads go in one batch call; a partial failure gives each delivery its own outcome', async () => {
    await hubspotRoutedTo()
    await sendLead('INS', { ...johnSmith, Email: 'ann@example.com' })
    await sendLead('INS', { ...johnSmith, Email: 'broken@contoso.c' })
    await sendLead('PLT', { ...johnSmith, Email: 'bob@example.com' })
    expect(await t.server.worker.runUntilIdle()).toBe(3)
    expect(fake.upserts()).toHaveLength(1)
    expect(
      fake
        .upserts()[0]!
        .inputs.map((input) => input.id)
        .sort(),
    ).toEqual(['ann@example.com', 'bob@example.com', 'broken@contoso.c'])
    expect(fake.requests.at(-1)!.method).toBe('POST')
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ lastErrorKind: 'rejected', lastStatus: 207 })
    expect(dead[0].lastError).toMatch(/INVALID_EMAIL/)
    expect(dead[0].lastError).not.toContain('broken@')
    expect(fake.contacts.size).toBe(2)
  })

  test('a validation error ends dead with a readable reason', async () => {
    fake.multiStatus = false
    await hubspotRoutedTo()
    fake.fail({ kind: 'validation', code: 'INVALID_INTEGER', property: 'numemployees' })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ lastErrorKind: 'rejected', lastStatus: 400, attempts: 1 })
    expect(dead[0].lastError).toMatch(/HubSpot refused this contact's values \(INVALID_INTEGER on "numemployees"\)/)
    t.clock.advance(3_600_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
  })

  test('a lead without email ends dead without a call to HubSpot', async () => {
    await hubspotRoutedTo()
    await sendLead('INS', { FirstName: 'No', LastName: 'Mail', Phone: '+1 555 0100', Company: 'Contoso' })
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0].lastError).toMatch(/no email address/)
    expect(fake.requests).toHaveLength(0)
  })

  test('429 TEN_SECONDLY_ROLLING with Retry-After waits exactly that long, without using an attempt', async () => {
    await hubspotRoutedTo()
    fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING', retryAfter: '3' })
    const receipt = (await sendLead('INS')).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    t.clock.advance(2_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.upserts()).toHaveLength(2)
    const [delivery] = (await api('GET', `/v1/leads/${receipt.leadId}`)).json.deliveries
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1 })
    expect(delivery.attemptLog.map((a: { outcome: string; vendorCode: string }) => [a.outcome, a.vendorCode])).toEqual([
      ['rate_limited', 'TEN_SECONDLY_ROLLING'],
      ['delivered', null],
    ])
  })

  test('429 DAILY waits until midnight in the account time zone', async () => {
    // The test clock is 12:00 UTC: 21:00 in Tokyo, three hours before its midnight.
    await hubspotRoutedTo({ ...settings(), accountTimeZone: 'Asia/Tokyo' })
    fake.fail({ kind: 'rateLimit', policy: 'DAILY' })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const [queued] = (await api('GET', '/v1/deliveries?state=queued')).json.items
    expect(queued).toMatchObject({ attempts: 0, lastErrorKind: 'rate_limited' })
    expect(Date.parse(queued.nextAttemptAt) - t.clock.now()).toBe(3 * 3_600_000)
    t.clock.advance(3 * 3_600_000)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.contacts.size).toBe(1)
  })

  test('5xx answers are retried on schedule: after 5 s, then after 5 min', async () => {
    await hubspotRoutedTo()
    fake.fail({ kind: 'serverError', status: 502 })
    fake.fail({ kind: 'serverError', status: 504 })
    await sendLead('INS')
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    t.clock.advance(4_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    t.clock.advance(299_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.upserts()).toHaveLength(3)
    const [delivered] = (await api('GET', '/v1/deliveries?state=delivered')).json.items
    expect(delivered).toMatchObject({ attempts: 3 })
    expect(fake.contacts.size).toBe(1)
  })

  test('a refused token pauses the destination; leads wait unspent; a new token resumes delivery', async () => {
    // Private app tokens have no refresh flow: a 401 cannot be fixed by Leadrelay, only by a new token.
    const destination = await hubspotRoutedTo(settings(), otherToken)
    await sendLead('INS')
    await sendLead('INS', { ...johnSmith, Email: 'other@example.com' })
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toMatch(/HTTP 401.*create a new token in the private app/)
    const calls = fake.requests.length
    t.clock.advance(86_400_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    const queued = (await api('GET', '/v1/deliveries?state=queued')).json.items
    expect(queued).toHaveLength(2)
    expect(queued.every((d: { attempts: number }) => d.attempts === 0)).toBe(true)
    // Both leads went in one call, refused once; nothing more was sent while paused.
    expect(calls).toBe(1)
    expect(fake.requests).toHaveLength(calls)

    const fixed = await api('PATCH', `/v1/destinations/${destination.id}`, { secrets: { accessToken: fakeToken } })
    expect(fixed.json.state).toBe('active')
    await t.server.worker.runUntilIdle()
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    expect(fake.contacts.size).toBe(2)
  })

  test('a missing property pauses the destination with the property named', async () => {
    const destination = await hubspotRoutedTo({ ...settings(), historyProperty: 'leadrelay_history' })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toMatch(/no contact property "leadrelay_history".*Create property/)
    expect((await api('GET', '/v1/deliveries?state=queued')).json.items[0].attempts).toBe(0)
  })

  test('verify passes against HubSpot and sends a flagged test lead; bad credentials fail with the reason', async () => {
    const good = await hubspotRoutedTo()
    const checked = await api('POST', `/v1/destinations/${good.id}/verify`)
    expect(checked.json).toMatchObject({ ok: true, kind: 'hubspot' })
    const reads = fake.requests.filter((request) => request.method === 'GET').map((request) => request.path)
    expect(reads).toContain('/crm/v3/objects/contacts')
    expect(reads).toContain('/crm/v3/properties/contacts/leadrelay_do_not_contact')
    const testContact = [...fake.contacts.values()][0]!
    expect(testContact.properties).toMatchObject({
      leadrelay_test: 'true',
      firstname: expect.stringMatching(/^LEADRELAY_TEST_/),
    })

    const bad = await hubspotRoutedTo(settings(), otherToken, 'contoso.other')
    const refused = (await api('POST', `/v1/destinations/${bad.id}/verify`)).json
    expect(refused).toMatchObject({ ok: false, step: 'verify', failureKind: 'auth', status: 401 })
    expect(refused.reason).toMatch(/private app access token.*accessToken secret/)

    fake.tokens.set(otherToken, new Set(['crm.objects.contacts.write']))
    const scoped = (await api('POST', `/v1/destinations/${bad.id}/verify`)).json
    expect(scoped).toMatchObject({ ok: false, step: 'verify', failureKind: 'misconfigured', status: 403 })
    expect(scoped.reason).toMatch(/crm\.objects\.contacts\.read/)
  })

  test('settings and secrets are validated when the destination is created', async () => {
    const noToken = await api('POST', '/v1/destinations', { kind: 'hubspot', name: 'x', config: settings() })
    expect(noToken.status).toBe(400)
    expect(noToken.json.detail).toMatch(/accessToken.*private app/)
    const badProperty = await api('POST', '/v1/destinations', {
      kind: 'hubspot',
      name: 'x',
      config: { doNotContactProperty: 'Do Not Contact' },
      secrets: { accessToken: fakeToken },
    })
    expect(badProperty.status).toBe(400)
    expect(badProperty.json.detail).toMatch(/config\.doNotContactProperty/)
  })

  test('a timeout after HubSpot committed the upsert does not duplicate the contact on retry', async () => {
    // The batch upsert keyed by email is idempotent: the retry updates the contact the lost call created.
    const proxy = await startCommitThenDropProxy(fake.url)
    try {
      await hubspotRoutedTo({ ...settings(), baseUrl: proxy.url })
      proxy.dropNext(1, (method, path) => method === 'POST' && path.startsWith('/crm/v3/objects/contacts/batch/upsert'))
      const receipt = (await sendLead('INS')).json
      expect(await t.server.worker.runUntilIdle()).toBe(1)
      expect(proxy.dropped).toHaveLength(1)
      expect(proxy.dropped[0]).toMatchObject({ method: 'POST', status: 200 })
      expect(fake.contactByEmail('jsmith@microsoft.com')).toMatchObject({ writes: 1 })
      expect((await api('GET', `/v1/leads/${receipt.leadId}`)).json.deliveries[0].state).toBe('queued')

      t.clock.advance(5_000)
      expect(await t.server.worker.runUntilIdle()).toBe(1)
      expect(fake.upserts()).toHaveLength(2)
      expect(fake.contacts.size).toBe(1)
      expect(fake.contactByEmail('jsmith@microsoft.com')).toMatchObject({ writes: 2 })
      const [delivery] = (await api('GET', `/v1/leads/${receipt.leadId}`)).json.deliveries
      expect(delivery).toMatchObject({ state: 'delivered', attempts: 2 })
      // The first attempt failed as a network error (it never saw HubSpot's 200); the retry delivered.
      expect(delivery.attemptLog.map((a: { outcome: string; status: number | null }) => [a.outcome, a.status])).toEqual(
        [
          ['retryable', null],
          ['delivered', 200],
        ],
      )
    } finally {
      await proxy.close()
    }
  })
})
