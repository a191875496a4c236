import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type DataverseFake, rateLimited, serverError, startDataverseFake } from '../fakes/dynamics365-fake.ts'
import { startCommitThenDropProxy } from '../helpers/commit-then-drop-proxy.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer
let fake: DataverseFake

beforeEach(async () => {
  t = await startTestServer()
  fake = await startDataverseFake()
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

const settings = (overrides: Record<string, unknown> = {}) => ({
  environmentUrl: fake.url,
  authorityHost: fake.authorityHost,
  tenantId: fake.tenantId,
  clientId: fake.clientId,
  ...overrides,
})

async function dynamicsRoutedTo(
  config: Record<string, unknown> = settings(),
  clientSecret = fake.clientSecret,
  offer = 'contoso.crm-suite',
) {
  const created = await api('POST', '/v1/destinations', {
    kind: 'dynamics365',
    name: 'Dynamics 365 Sales',
    config,
    secrets: { clientSecret },
  })
  expect(created.status).toBe(201)
  // The secret went in; it never comes out.
  expect(JSON.stringify(created.json)).not.toContain(clientSecret)
  expect(JSON.stringify((await api('GET', `/v1/destinations/${created.json.id}`)).json)).not.toContain(clientSecret)
  expect(
    (await api('PUT', `/v1/offers/${offer}`, { title: 'Contoso CRM', destinations: [created.json.id] })).status,
  ).toBe(200)
  return created.json as { id: string }
}

function sendLead(action: string, customer: Record<string, string> = johnSmith, offer = 'contoso.crm-suite') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|${offer}`, customer))
}

async function deliveriesOf(leadId: string) {
  return (await api('GET', `/v1/leads/${leadId}`)).json.deliveries as {
    state: string
    leadVersion: number
    attempts: number
    attemptLog: { outcome: string; status: number | null; vendorCode: string | null; error: string | null }[]
  }[]
}

const outcomes = (log: { outcome: string; status: number | null }[]) => log.map((a) => [a.outcome, a.status])

describe('delivering to Dynamics 365 through the worker', () => {
  test('creates the lead; the next event for the customer updates the same lead (match by email)', async () => {
    await dynamicsRoutedTo()
    const receipt = (await sendLead('INS')).json
    expect(receipt.deliveries).toBe(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)

    expect(fake.leads).toHaveLength(1)
    const record = fake.leads[0]!
    expect(record.values).toMatchObject({
      firstname: 'John',
      lastname: 'Smith',
      emailaddress1: 'jsmith@microsoft.com',
      telephone1: '1234567890',
      address1_country: 'US',
      companyname: 'Microsoft',
      jobtitle: 'CTO',
      subject: 'Contoso CRM: initial_interest',
      leadsourcecode: 8,
    })
    expect(String(record.values.description)).toContain(
      'Marketplace lead source: AzureMarketplace-INS|contoso.crm-suite',
    )
    expect(record.values.donotemail).toBeUndefined()

    t.clock.advance(60_000)
    await sendLead('PLT', { ...johnSmith, Title: 'CEO' })
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads).toHaveLength(1)
    expect(fake.leads[0]!.values).toMatchObject({ subject: 'Contoso CRM: active', jobtitle: 'CEO' })
    expect(fake.leads[0]!.versionnumber).toBe(2)
    expect(String(fake.leads[0]!.values.description)).toMatch(/INS \(initial_interest\)\n.*PLT \(active\)/)

    const [delivery] = (await api('GET', `/v1/deliveries?lead=${receipt.leadId}&state=delivered`)).json.items
    expect(delivery).toBeDefined()
    // Both deliveries together used one access token.
    expect(fake.tokenRequests).toHaveLength(1)
  })

  test('match by alternate key: the Leadrelay lead id keys the record; repeats update it', async () => {
    await dynamicsRoutedTo(settings({ matchBy: 'alternateKey' }))
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    t.clock.advance(60_000)
    await sendLead('PLT')
    await t.server.worker.runUntilIdle()
    expect(fake.leads).toHaveLength(1)
    expect(fake.leads[0]!.values).toMatchObject({ leadrelay_leadid: receipt.leadId, subject: 'Contoso CRM: active' })
    const writes = fake.apiRequests.map((request) => [
      request.method,
      request.headers['if-none-match'] ?? null,
      request.headers['if-match'] ?? null,
    ])
    expect(writes).toEqual([
      ['PATCH', '*', null],
      ['PATCH', '*', null],
      ['PATCH', null, '*'],
    ])
  })

  test('a DNC event sets donotemail and donotphone on the same lead', async () => {
    await dynamicsRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    t.clock.advance(60_000)
    await sendLead('DNC')
    await t.server.worker.runUntilIdle()
    expect(fake.leads).toHaveLength(1)
    expect(fake.leads[0]!.values).toMatchObject({ donotemail: true, donotphone: true })
  })

  test('an expired token is refreshed once and the lead delivered in the same attempt', async () => {
    await dynamicsRoutedTo()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    fake.expireTokens()
    t.clock.advance(60_000)
    const receipt = (await sendLead('PLT')).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.tokenRequests).toHaveLength(2)
    const newest = (await deliveriesOf(receipt.leadId)).sort((a, b) => b.leadVersion - a.leadVersion)[0]
    expect(newest).toMatchObject({ state: 'delivered', leadVersion: 2, attempts: 1 })
    // One attempt: the 401 and the refresh happened inside it.
    expect(outcomes(newest!.attemptLog)).toEqual([['delivered', 200]])
    expect(fake.leads[0]!.values.subject).toBe('Contoso CRM: active')
  })

  test('429 with Retry-After: waits exactly that long, then delivers', async () => {
    await dynamicsRoutedTo()
    fake.when('api', rateLimited(7))
    const receipt = (await sendLead('INS')).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads).toHaveLength(0)
    t.clock.advance(6_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads).toHaveLength(1)
    const [delivery] = await deliveriesOf(receipt.leadId)
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1 })
    expect(outcomes(delivery!.attemptLog)).toEqual([
      ['rate_limited', 429],
      ['delivered', 204],
    ])
    expect(delivery!.attemptLog[0]!.vendorCode).toBe('0x80072322')
  })

  test('5xx is retried on schedule: 5 s, then 5 min', async () => {
    await dynamicsRoutedTo()
    fake.when('api', serverError(500), 2)
    const receipt = (await sendLead('INS')).json
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    t.clock.advance(4_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    t.clock.advance(299_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    const [delivery] = await deliveriesOf(receipt.leadId)
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 3 })
    expect(outcomes(delivery!.attemptLog)).toEqual([
      ['retryable', 500],
      ['retryable', 500],
      ['delivered', 204],
    ])
    expect(fake.leads).toHaveLength(1)
  })

  test('a validation error ends dead with a readable reason and no customer data', async () => {
    await dynamicsRoutedTo(
      settings({ fieldMap: { fields: { jobtitle: { template: `{{customer.title}} ${'x'.repeat(120)}` } } } }),
    )
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json.items
    expect(dead).toHaveLength(1)
    expect(dead[0].lastErrorKind).toBe('rejected')
    expect(dead[0].lastError).toContain("longer than its column's maximum length")
    expect(dead[0].lastError).toContain("'jobtitle'")
    expect(dead[0].lastError).not.toContain('jsmith@microsoft.com')
    expect(dead[0].lastError).not.toContain('1234567890')
    expect(fake.leads).toHaveLength(0)
  })

  test('bad credentials pause the destination; leads wait without burning attempts; the fix resumes them', async () => {
    const destination = await dynamicsRoutedTo(settings(), 'an~outdated~secret')
    await sendLead('INS')
    await sendLead('INS', { ...johnSmith, Email: 'other@example.com' })
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toContain('AADSTS7000215')
    expect(paused.stateReason).toContain('clientSecret')
    const tokenCalls = fake.tokenRequests.length
    t.clock.advance(86_400_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    expect(fake.tokenRequests).toHaveLength(tokenCalls)
    const queued = (await api('GET', '/v1/deliveries?state=queued')).json.items
    expect(queued).toHaveLength(2)
    expect(queued.every((d: { attempts: number }) => d.attempts === 0)).toBe(true)

    const fixed = await api('PATCH', `/v1/destinations/${destination.id}`, {
      secrets: { clientSecret: fake.clientSecret },
    })
    expect(fixed.json.state).toBe('active')
    await t.server.worker.runUntilIdle()
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    expect(fake.leads).toHaveLength(2)
  })

  test('a missing application user pauses the destination with the fix', async () => {
    const destination = await dynamicsRoutedTo()
    fake.applicationUser = 'missing'
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toContain('New app user')
  })

  test('several due leads go one request each: Dynamics has no batch call here', async () => {
    await dynamicsRoutedTo()
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      await sendLead('INS', { ...johnSmith, Email: email })
    }
    expect(await t.server.worker.runUntilIdle()).toBe(3)
    expect(fake.leads.map((lead) => lead.values.emailaddress1).sort()).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ])
    expect(fake.apiRequests.filter((request) => request.method === 'POST')).toHaveLength(3)
  })

  test('verify passes against the fake and leaves a recognisable test lead', async () => {
    const destination = await dynamicsRoutedTo(settings({ matchBy: 'alternateKey' }))
    const result = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(result.status).toBe(200)
    expect(result.json).toMatchObject({ ok: true, testLeadId: expect.stringMatching(/^lead_test_/) })
    expect(fake.leads).toHaveLength(1)
    expect(fake.leads[0]!.values.subject).toMatch(/^\[TEST\] /)
    expect(fake.leads[0]!.values.leadrelay_leadid).toBe(result.json.testLeadId)
  })

  test('verify fails for bad credentials with the reason and the fix', async () => {
    const destination = await dynamicsRoutedTo(settings(), 'an~outdated~secret')
    const result = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(result.json).toMatchObject({ ok: false, step: 'verify', failureKind: 'auth', status: 401 })
    expect(result.json.reason).toContain('AADSTS7000215')
    expect(result.json.reason).toContain('Certificates & secrets')
    expect(result.json.reason).not.toContain('an~outdated~secret')
    expect(fake.apiRequests).toHaveLength(0)
  })

  test('a config that does not validate is refused when the destination is created', async () => {
    const created = await api('POST', '/v1/destinations', {
      kind: 'dynamics365',
      name: 'bad',
      config: settings({ environmentUrl: 'https://contoso.crm4.dynamics.com/main.aspx' }),
      secrets: { clientSecret: 'x~y' },
    })
    expect(created.status).toBe(400)
    expect(JSON.stringify(created.json)).toContain('config.environmentUrl')
    const noSecret = await api('POST', '/v1/destinations', { kind: 'dynamics365', name: 'bad', config: settings() })
    expect(noSecret.status).toBe(400)
    expect(JSON.stringify(noSecret.json)).toContain('secrets.clientSecret')
  })

  /**
   * Entra ID in front of the fake for a destination whose environmentUrl is a proxy: the connector asks for a token
   * scoped to the proxy's URL, which the fake accepts only for its own URL, so the scope is rewritten on the way.
   */
  async function startAuthorityFor(environmentUrl: string) {
    const server = createServer((incoming, response) => {
      const chunks: Buffer[] = []
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
      incoming.on('end', async () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
        if (form.get('scope') === `${environmentUrl}/.default`) form.set('scope', `${fake.url}/.default`)
        const answer = await fetch(`${fake.authorityHost}${incoming.url ?? '/'}`, {
          method: incoming.method ?? 'POST',
          headers: { 'content-type': incoming.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
          body: form.toString(),
        })
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        response.end(await answer.text())
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  }

  test.each([
    // Default mode: the retry finds the committed lead by email and updates it instead of creating a second one.
    {
      matchBy: 'email',
      write: (method: string, path: string) => method === 'POST' && /\/leads$/.test(path),
    },
    // Alternate key: the retry's create-only PATCH gets 412, and the update-only PATCH lands on the same record.
    {
      matchBy: 'alternateKey',
      write: (method: string, path: string) => method === 'PATCH' && path.includes('leads(leadrelay_leadid='),
    },
  ])(
    'a timeout after Dataverse committed does not duplicate on retry (matchBy $matchBy)',
    async ({ matchBy, write }) => {
      const proxy = await startCommitThenDropProxy(fake.url)
      const authority = await startAuthorityFor(proxy.url)
      try {
        await dynamicsRoutedTo(settings({ environmentUrl: proxy.url, authorityHost: authority.url, matchBy }))
        proxy.dropNext(1, write)
        const receipt = (await sendLead('INS')).json
        expect(await t.server.worker.runUntilIdle()).toBe(1)
        // Dataverse created the lead, but the connector never saw the answer.
        expect(proxy.dropped).toHaveLength(1)
        expect(proxy.dropped[0]!.status).toBeLessThan(300)
        expect(fake.leadsWhere('emailaddress1', 'jsmith@microsoft.com')).toHaveLength(1)
        expect((await deliveriesOf(receipt.leadId))[0]).toMatchObject({ state: 'queued', attempts: 1 })

        t.clock.advance(5_000)
        expect(await t.server.worker.runUntilIdle()).toBe(1)
        expect(fake.leads).toHaveLength(1)
        expect(fake.leadsWhere('emailaddress1', 'jsmith@microsoft.com')).toHaveLength(1)
        if (matchBy === 'alternateKey') expect(fake.leads[0]!.values.leadrelay_leadid).toBe(receipt.leadId)
        const [delivery] = await deliveriesOf(receipt.leadId)
        expect(delivery).toMatchObject({ state: 'delivered', attempts: 2 })
        expect(outcomes(delivery!.attemptLog)).toEqual([
          ['retryable', null],
          ['delivered', 200],
        ])
        expect(delivery!.attemptLog[0]!.error).toContain('Dataverse')
      } finally {
        await proxy.close()
        await authority.close()
      }
    },
  )
})

describe('marketplace subscription stages', () => {
  test('a customer is Qualified / Qualified, a churned customer Disqualified / No Longer Interested; earlier stages leave both alone', async () => {
    await dynamicsRoutedTo()
    await sendLead('INS')
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    const [lead] = fake.leads
    expect(lead?.values.statecode).toBeUndefined()
    expect(lead?.values.statuscode).toBeUndefined()

    t.clock.advance(60_000)
    await sendLead('Subscribed')
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads).toHaveLength(1)
    // The lead table reference: statecode 1 Qualified, statuscode 3 Qualified (a Status Reason of that Status).
    expect(fake.leads[0]?.values).toMatchObject({ statecode: 1, statuscode: 3 })

    t.clock.advance(60_000)
    await sendLead('Unsubscribed')
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(fake.leads[0]?.values).toMatchObject({ statecode: 2, statuscode: 6 })
  })

  test('the mapping is the destination’s to change; a Status Reason of another Status is refused by Dataverse', async () => {
    await dynamicsRoutedTo(
      settings({
        fieldMap: { fields: { statuscode: { from: 'stage', values: { customer: 4, churned: 7 } } }, omit: [] },
      }),
    )
    const lead = (await sendLead('Subscribed')).json
    await t.server.worker.runUntilIdle()
    const [delivery] = await deliveriesOf(lead.leadId)
    expect(delivery?.state).toBe('dead')
    expect(delivery?.attemptLog[0]?.error).toContain('is not a valid status code for state code LeadState.Qualified')
  })
})
