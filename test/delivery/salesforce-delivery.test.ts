import { generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { dailyLimitWaitMs } from '../../src/destinations/salesforce/errors.ts'
import { type SalesforceFake, startSalesforceFake } from '../fakes/salesforce-fake.ts'
import { startCommitThenDropProxy } from '../helpers/commit-then-drop-proxy.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

const integrationUser = 'leadrelay@contoso.example'
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

let t: TestServer
let fake: SalesforceFake

beforeEach(async () => {
  t = await startTestServer()
  fake = await startSalesforceFake({ now: () => t.clock.now(), jwt: { publicKey, username: integrationUser } })
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

const apiSettings = (extra: Record<string, unknown> = {}) => ({ loginUrl: fake.url, timeoutMs: 5000, ...extra })
const clientCredentials = () => ({ clientId: fake.clientId, clientSecret: fake.clientSecret })

async function salesforceRoutedTo(
  config: Record<string, unknown> = apiSettings(),
  secrets: Record<string, string> = clientCredentials(),
  offer = 'contoso.crm-suite',
) {
  const created = await api('POST', '/v1/destinations', { kind: 'salesforce', name: 'Salesforce', config, secrets })
  expect(created.status).toBe(201)
  // Secrets go in and never come out.
  for (const secret of Object.values(secrets)) expect(JSON.stringify(created.json)).not.toContain(secret)
  expect(
    (await api('PUT', `/v1/offers/${offer}`, { title: 'Contoso CRM', destinations: [created.json.id] })).status,
  ).toBe(200)
  return created.json as { id: string }
}

function sendLead(action: string, customer: Record<string, string> = johnSmith, offer = 'contoso.crm-suite') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|${offer}`, customer))
}

async function deliveryOf(leadId: string) {
  const lead = (await api('GET', `/v1/leads/${leadId}`)).json
  const [delivery] = lead.deliveries as { id: string; state: string; attempts: number }[]
  return (await api('GET', `/v1/deliveries/${delivery!.id}`)).json as {
    state: string
    attempts: number
    lastError: string | null
    lastErrorKind: string | null
    attemptLog: { outcome: string; status: number | null; vendorCode: string | null }[]
  }
}

function attemptsOf(log: { outcome: string; status: number | null }[]) {
  return log.map((attempt) => [attempt.outcome, attempt.status])
}

describe('delivering to Salesforce through the worker', () => {
  test('creates the Lead; the next event for the customer updates the same Lead', async () => {
    await salesforceRoutedTo()
    const first = (await sendLead('INS')).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads.size).toBe(1)
    const lead = fake.leadByExternalId(first.leadId)!
    expect(lead).toMatchObject({
      FirstName: 'John',
      LastName: 'Smith',
      Email: 'jsmith@microsoft.com',
      Company: 'Microsoft',
      Title: 'CTO',
      Country: 'US',
      LeadSource: 'Azure Marketplace',
      Description: 'Marketplace lead source: AzureMarketplace-INS|contoso.crm-suite',
    })

    t.clock.advance(60_000)
    const second = (await sendLead('PLT', { ...johnSmith, Title: 'CEO' })).json
    expect(second.leadId).toBe(first.leadId)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads.size).toBe(1)
    expect(fake.leads.get(lead.Id)).toMatchObject({
      Title: 'CEO',
      Description: 'Marketplace lead source: AzureMarketplace-PLT|contoso.crm-suite',
    })
    expect(fake.tokenRequests()).toHaveLength(1)
    const delivered = (await api('GET', '/v1/deliveries?state=delivered')).json.items
    expect(delivered.map((d: { lastStatus: number }) => d.lastStatus).sort()).toEqual([200, 201])
  })

  test('a do-not-contact event sets HasOptedOutOfEmail and DoNotCall', async () => {
    await salesforceRoutedTo()
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    expect(fake.leadByExternalId(receipt.leadId)).toMatchObject({ HasOptedOutOfEmail: false, DoNotCall: false })
    t.clock.advance(60_000)
    await sendLead('DNC')
    await t.server.worker.runUntilIdle()
    expect(fake.leads.size).toBe(1)
    expect(fake.leadByExternalId(receipt.leadId)).toMatchObject({ HasOptedOutOfEmail: true, DoNotCall: true })
  })

  test('an expired session is renewed once and the lead delivered in the same attempt', async () => {
    await salesforceRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    fake.expireTokens()
    const receipt = (await sendLead('INS', { ...johnSmith, Email: 'other@contoso.com' })).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads.size).toBe(2)
    expect(fake.tokenRequests()).toHaveLength(2)
    const delivery = await deliveryOf(receipt.leadId)
    expect(delivery.state).toBe('delivered')
    expect(attemptsOf(delivery.attemptLog)).toEqual([['delivered', 201]])
  })

  test('429 with Retry-After: waits exactly that long, then delivers', async () => {
    await salesforceRoutedTo()
    fake.failNext({ status: 429, headers: { 'retry-after': '7' } })
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    expect(fake.leads.size).toBe(0)
    t.clock.advance(6_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads.size).toBe(1)
    const delivery = await deliveryOf(receipt.leadId)
    // A rate limit does not use up an attempt.
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1 })
    expect(attemptsOf(delivery.attemptLog)).toEqual([
      ['rate_limited', 429],
      ['delivered', 201],
    ])
  })

  test('REQUEST_LIMIT_EXCEEDED with the daily quota used up waits an hour', async () => {
    await salesforceRoutedTo()
    fake.failNext('rate-limit')
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    t.clock.advance(dailyLimitWaitMs - 1)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    const delivery = await deliveryOf(receipt.leadId)
    expect(delivery.attemptLog.map((attempt) => [attempt.outcome, attempt.vendorCode])).toEqual([
      ['rate_limited', 'REQUEST_LIMIT_EXCEEDED'],
      ['delivered', null],
    ])
  })

  test('a 5xx is retried on the schedule (5 s), then delivered', async () => {
    await salesforceRoutedTo()
    fake.failNext('server-error')
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    t.clock.advance(4_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    const delivery = await deliveryOf(receipt.leadId)
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 2 })
    expect(attemptsOf(delivery.attemptLog)).toEqual([
      ['retryable', 500],
      ['delivered', 201],
    ])
    expect(fake.leads.size).toBe(1)
  })

  test('a validation rule ends the delivery dead with a readable reason', async () => {
    await salesforceRoutedTo()
    fake.addValidationRule((lead) =>
      String(lead.Phone ?? '').startsWith('+') ? undefined : 'Phone must be in international format (+…)',
    )
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0].lastErrorKind).toBe('rejected')
    expect(dead[0].lastError).toContain('FIELD_CUSTOM_VALIDATION_EXCEPTION')
    expect(dead[0].lastError).toContain('Phone must be in international format')
    expect(dead[0].lastError).toContain('validation rule')
    expect(dead[0].lastError).not.toContain('jsmith@microsoft.com')
    t.clock.advance(3_600_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    expect(fake.leads.size).toBe(0)
  })

  test('bad credentials pause the destination; leads wait without using attempts; fixing the secret resumes', async () => {
    const destination = await salesforceRoutedTo(apiSettings(), { clientId: fake.clientId, clientSecret: 'WRONG' })
    await sendLead('INS')
    await sendLead('INS', { ...johnSmith, Email: 'other@contoso.com' })
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toContain('invalid_client')
    expect(paused.stateReason).toContain('Manage Consumer Details')
    const tokenRequestsWhilePaused = fake.tokenRequests().length
    t.clock.advance(86_400_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    expect(fake.tokenRequests()).toHaveLength(tokenRequestsWhilePaused)
    expect(fake.apiRequests()).toHaveLength(0)
    const queued = (await api('GET', '/v1/deliveries?state=queued')).json.items
    expect(queued).toHaveLength(2)
    expect(queued.every((d: { attempts: number }) => d.attempts === 0)).toBe(true)

    const fixed = await api('PATCH', `/v1/destinations/${destination.id}`, { secrets: clientCredentials() })
    expect(fixed.json.state).toBe('active')
    await t.server.worker.runUntilIdle()
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    expect(fake.leads.size).toBe(2)
  })

  test('several due leads go in one sObject Collections call; a partial failure gives per-lead outcomes', async () => {
    await salesforceRoutedTo()
    fake.addValidationRule((lead) => (lead.Company === 'Refused Inc' ? 'Company is on the block list' : undefined))
    const a = (await sendLead('INS', { ...johnSmith, Email: 'a@contoso.com' })).json
    const b = (await sendLead('INS', { ...johnSmith, Email: 'b@contoso.com', Company: 'Refused Inc' })).json
    const c = (await sendLead('INS', { ...johnSmith, Email: 'c@contoso.com' })).json
    expect(await t.server.worker.runUntilIdle()).toBe(3)

    const calls = fake.apiRequests()
    expect(calls).toHaveLength(1)
    expect(`${calls[0]!.method} ${calls[0]!.path}`).toBe(
      'PATCH /services/data/v60.0/composite/sobjects/Lead/Leadrelay_Id__c',
    )
    const records = (calls[0]!.json as { records: { Leadrelay_Id__c: string }[] }).records
    expect(records.map((record) => record.Leadrelay_Id__c).sort()).toEqual([a.leadId, b.leadId, c.leadId].sort())

    expect((await deliveryOf(a.leadId)).state).toBe('delivered')
    expect((await deliveryOf(c.leadId)).state).toBe('delivered')
    const refused = await deliveryOf(b.leadId)
    expect(refused).toMatchObject({ state: 'dead', lastErrorKind: 'rejected' })
    expect(refused.lastError).toContain('Company is on the block list')
    expect(fake.leads.size).toBe(2)
    expect(fake.leadByExternalId(b.leadId)).toBeUndefined()
  })

  test('matching by email: a second event for the customer updates the Lead the org already had', async () => {
    fake.removeField('Leadrelay_Id__c')
    const existing = fake.seedLead({ LastName: 'Smith', Company: 'Microsoft', Email: 'JSmith@Microsoft.com' })
    await salesforceRoutedTo(apiSettings({ matchBy: 'email' }))
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    t.clock.advance(60_000)
    await sendLead('PLT', { ...johnSmith, Title: 'CEO' })
    await t.server.worker.runUntilIdle()
    expect(fake.leads.size).toBe(1)
    expect(fake.leads.get(existing.Id)).toMatchObject({ FirstName: 'John', Title: 'CEO' })
  })

  test('Web-to-Lead: the form reaches the servlet and the org creates the Lead', async () => {
    const destination = await salesforceRoutedTo(
      { mode: 'web-to-lead', oid: fake.orgId.slice(0, 15), servletUrl: fake.webToLeadUrl },
      {},
    )
    await sendLead('INS')
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect([...fake.leads.values()]).toMatchObject([
      { LastName: 'Smith', Company: 'Microsoft', LeadSource: 'AzureMarketplace-INS|contoso.crm-suite' },
    ])
    const verified = (await api('POST', `/v1/destinations/${destination.id}/verify`)).json
    expect(verified).toMatchObject({ ok: true })
  })
})

describe('a timeout after Salesforce committed', () => {
  /**
   * Salesforce names the API host in the token answer (`instance_url`), and the fake names itself, so a proxy on
   * loginUrl alone would never see the writes. Answer the connector's token requests with a real session of the fake
   * whose instance_url is the proxy.
   */
  async function apiHostBehind(proxyUrl: string) {
    const response = await fetch(`${fake.url}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
      }),
    })
    expect(response.status).toBe(200)
    const session = (await response.json()) as Record<string, unknown>
    fake.failNext({ status: 200, body: { ...session, instance_url: proxyUrl } }, { area: 'token', times: 10 })
  }

  test('does not duplicate the Lead on retry (external-id upsert, the default)', async () => {
    const proxy = await startCommitThenDropProxy(fake.url)
    try {
      await apiHostBehind(proxy.url)
      await salesforceRoutedTo(apiSettings({ loginUrl: proxy.url }))
      proxy.dropNext(
        1,
        (method, path) => method === 'PATCH' && /\/services\/data\/v[\d.]+\/(composite\/)?sobjects\/Lead\//.test(path),
      )
      const receipt = (await sendLead('INS')).json
      await t.server.worker.runUntilIdle()

      // Salesforce upserted the Lead, but the connector never heard back.
      expect(proxy.dropped).toHaveLength(1)
      expect(proxy.dropped[0]).toMatchObject({ method: 'PATCH' })
      expect(fake.leadByExternalId(receipt.leadId)).toBeDefined()
      expect((await deliveryOf(receipt.leadId)).state).not.toBe('delivered')

      t.clock.advance(5_000)
      expect(await t.server.worker.runUntilIdle()).toBe(1)

      // The retry upserts on the same external id: the Lead is updated, not created again.
      expect(fake.leads.size).toBe(1)
      expect(fake.leadsWhere((lead) => lead.Email === johnSmith.Email)).toHaveLength(1)
      const delivery = await deliveryOf(receipt.leadId)
      expect(delivery).toMatchObject({ state: 'delivered', attempts: 2 })
      expect(delivery.attemptLog.map((attempt) => attempt.outcome)).toEqual(['retryable', 'delivered'])
      expect(delivery.attemptLog[0]!.status).toBeNull()
      expect(delivery.attemptLog[1]!.status).toBe(200)
    } finally {
      await proxy.close()
    }
  })
})

describe('Test connection (POST /v1/destinations/:id/verify)', () => {
  test('passes against the org: fresh token, Lead describe, then a test lead upserted', async () => {
    const destination = await salesforceRoutedTo(apiSettings({ authFlow: 'jwt_bearer', username: integrationUser }), {
      clientId: fake.clientId,
      privateKey: privatePem,
    })
    const result = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(result.status).toBe(200)
    expect(result.json).toMatchObject({ ok: true, destinationId: destination.id })
    expect(fake.tokenRequests()[0]?.form?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer')
    expect(
      fake.apiRequests().map((request) => `${request.method} ${request.path.replace(/\/lead_test_\d+$/, '')}`),
    ).toEqual([
      'GET /services/data/v60.0/sobjects/Lead/describe',
      'PATCH /services/data/v60.0/sobjects/Lead/Leadrelay_Id__c',
    ])
    expect(fake.leadByExternalId(result.json.testLeadId)).toMatchObject({
      LastName: expect.stringMatching(/^LEADRELAY_TEST_/),
    })
  })

  test('fails with a clear reason for bad credentials', async () => {
    const destination = await salesforceRoutedTo(apiSettings(), { clientId: fake.clientId, clientSecret: 'WRONG' })
    const result = (await api('POST', `/v1/destinations/${destination.id}/verify`)).json
    expect(result).toMatchObject({ ok: false, step: 'verify', failureKind: 'auth', status: 400 })
    expect(result.reason).toContain('invalid_client')
    expect(result.reason).toContain('clientSecret')
    expect(fake.apiRequests()).toHaveLength(0)
  })

  test('fails with how to fix it when the external id field is missing', async () => {
    fake.removeField('Leadrelay_Id__c')
    const destination = await salesforceRoutedTo()
    const result = (await api('POST', `/v1/destinations/${destination.id}/verify`)).json
    expect(result).toMatchObject({ ok: false, step: 'verify', failureKind: 'misconfigured' })
    expect(result.reason).toContain('create a Text(64) field with API name Leadrelay_Id__c')
  })
})

describe('marketplace subscription stages', () => {
  test('a custom picklist field mapped from the stage: Customer, then Churned; earlier stages leave it alone', async () => {
    fake.setField('Marketplace_Subscription__c', {
      type: 'picklist',
      restrictedPicklist: true,
      picklistValues: ['Customer', 'Suspended', 'Churned'],
    })
    const values = { customer: 'Customer', suspended: 'Suspended', churned: 'Churned' }
    await salesforceRoutedTo(
      apiSettings({ fieldMap: { fields: { Marketplace_Subscription__c: { from: 'stage', values } }, omit: [] } }),
    )
    const first = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    expect(fake.leadByExternalId(first.leadId)?.Marketplace_Subscription__c).toBeUndefined()
    t.clock.advance(60_000)
    await sendLead('Subscribed')
    await t.server.worker.runUntilIdle()
    expect(fake.leadByExternalId(first.leadId)).toMatchObject({ Marketplace_Subscription__c: 'Customer' })
    t.clock.advance(60_000)
    await sendLead('Unsubscribed')
    await t.server.worker.runUntilIdle()
    expect(fake.leadByExternalId(first.leadId)).toMatchObject({ Marketplace_Subscription__c: 'Churned' })
  })

  test('the standard Lead Status only takes the org’s picklist values: a value it lacks is refused, not stored', async () => {
    await salesforceRoutedTo(
      apiSettings({ fieldMap: { fields: { Status: { from: 'stage', values: { customer: 'Customer' } } }, omit: [] } }),
    )
    const lead = (await sendLead('Subscribed')).json
    await t.server.worker.runUntilIdle()
    const delivery = await deliveryOf(lead.leadId)
    expect(delivery.state).toBe('dead')
    expect(delivery.lastError).toContain('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST')
    expect(fake.leads.size).toBe(0)
  })
})
