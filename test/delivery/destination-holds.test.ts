/**
 * Delivery semantics across leads: a vendor's rate limit holds the whole destination, a 503 with Retry-After is a
 * failure that counts (and is shown and told), attempts are numbered once per delivery with their kind, and an
 * access token outlives the health changes of its destination.
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { concurrencyLimitWaitMs, dailyLimitWaitMs } from '../../src/destinations/salesforce/errors.ts'
import { rateLimited, startDataverseFake } from '../fakes/dynamics365-fake.ts'
import { fakeToken, startHubSpotFake } from '../fakes/hubspot-fake.ts'
import { startMarketoFake } from '../fakes/marketo-fake.ts'
import { type FakeFailure, startSalesforceFake } from '../fakes/salesforce-fake.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

let t: TestServer
let sink: WebhookSink

beforeEach(async () => {
  t = await startTestServer()
  sink = await startWebhookSink()
})
afterEach(async () => {
  await t.close()
  await sink.close()
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

async function routeTo(destination: Record<string, unknown>, offer = 'contoso.crm-suite'): Promise<{ id: string }> {
  const created = await api('POST', '/v1/destinations', destination)
  expect(created.status).toBe(201)
  expect(
    (await api('PUT', `/v1/offers/${offer}`, { title: 'Contoso CRM', destinations: [created.json.id] })).status,
  ).toBe(200)
  return created.json
}

function customer(n: number): Record<string, string> {
  return { ...johnSmith, FirstName: `Lead${n}`, Email: `lead${n}@example.com` }
}

function sendLead(n: number, action = 'INS') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|contoso.crm-suite`, customer(n)))
}

describe('a rate limit holds the whole destination', () => {
  test('webhook: after a 429 with Retry-After: 3, no request for any lead until 3 s have passed, on any worker', async () => {
    // One at a time, so each request starts after the previous answer: the hold, not timing, decides.
    const destination = await routeTo({
      kind: 'webhook',
      name: 'CRM hook',
      config: { url: sink.url },
      limits: { maxConcurrency: 1 },
    })
    sink.respondWith([{ status: 200 }, { status: 429, headers: { 'retry-after': '3' } }, { status: 200 }])
    await sendLead(0)
    await t.server.worker.runUntilIdle()
    expect(sink.received).toHaveLength(1)
    for (let n = 1; n <= 5; n++) await sendLead(n)

    await t.server.worker.runUntilIdle()
    expect(sink.received).toHaveLength(2)
    const held = await t.store.getDestinationById(destination.id)
    expect(held?.heldUntil).toBe(t.clock.now() + 3000)
    // Another worker (another node) claims nothing of it either.
    const elsewhere = await t.store.claimDeliveries({
      workerId: 'another-node',
      now: t.clock.now() + 2999,
      leaseMs: 60_000,
      limit: 10,
      slotsFor: () => 10,
    })
    expect(elsewhere).toEqual([])

    t.clock.advance(2999)
    await t.server.worker.runUntilIdle()
    expect(sink.received).toHaveLength(2)
    t.clock.advance(1)
    await t.server.worker.runUntilIdle()
    expect(sink.received).toHaveLength(7)
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(6)
    // The leads that waited behind the hold made no attempt of their own.
    const attempts = (await api('GET', '/v1/deliveries?state=delivered')).json.items.map(
      (delivery: { attempts: number }) => delivery.attempts,
    )
    expect(attempts.sort()).toEqual([1, 1, 1, 1, 1, 1])
  })

  test('Marketo: after a 606 nothing reaches Marketo for the documented 20 s, whichever lead it is', async () => {
    const fake = await startMarketoFake({ clientId: 'id', clientSecret: 'secret-0123456789', now: () => t.clock.now() })
    try {
      await routeTo({
        kind: 'marketo',
        name: 'Marketo',
        config: { restUrl: fake.url },
        secrets: { clientId: 'id', clientSecret: 'secret-0123456789' },
        limits: { maxConcurrency: 1 },
      })
      fake.failNext({ errors: [{ code: '606', message: "Max rate limit '100' exceeded with in '20' secs" }] })
      await sendLead(1)
      await t.server.worker.runUntilIdle()
      expect(fake.syncCalls()).toHaveLength(1)
      for (let n = 2; n <= 4; n++) await sendLead(n)
      await t.server.worker.runUntilIdle()
      t.clock.advance(19_999)
      await t.server.worker.runUntilIdle()
      expect(fake.syncCalls()).toHaveLength(1)
      t.clock.advance(1)
      await t.server.worker.runUntilIdle()
      expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(4)
    } finally {
      await fake.close()
    }
  })
})

/** Deliveries in `state`, as the API lists them. */
async function countDeliveries(state: string): Promise<number> {
  return (await api('GET', `/v1/deliveries?state=${state}&limit=100`)).json.items.length
}

/** What another node (another worker on the same store) would claim at `now`. */
function claimedElsewhere(now: number) {
  return t.store.claimDeliveries({ workerId: 'another-node', now, leaseMs: 60_000, limit: 10, slotsFor: () => 10 })
}

/**
 * The vendor's rate-limit answer, then more leads while it holds: the fake sees no request at all (a lead's, a
 * token's, a lookup's) until the wait is over, and nothing is claimed elsewhere; then every lead goes through.
 * `requestCount` counts every request the fake received; `arm` makes its next API call answer the rate limit.
 */
async function expectHeldForWholeWait(vendor: {
  readonly waitMs: number
  readonly requestCount: () => number
  readonly arm: () => void
}): Promise<void> {
  // A first lead delivered: the worker knows the destination, its limits and its token before the limit comes.
  await sendLead(0)
  await t.server.worker.runUntilIdle()
  expect(await countDeliveries('delivered')).toBe(1)
  // Leads queued before the answer, one at a time through maxConcurrency 1: the first call gets the rate limit.
  vendor.arm()
  for (let n = 1; n <= 3; n++) await sendLead(n)
  const beforeLimit = vendor.requestCount()
  await t.server.worker.runUntilIdle()
  const atLimit = vendor.requestCount()
  expect(atLimit).toBe(beforeLimit + 1)
  const limitedAt = t.clock.now()
  // More leads while the destination is held: none of them is sent either.
  for (let n = 4; n <= 5; n++) await sendLead(n)
  for (const step of [1, vendor.waitMs / 2, vendor.waitMs - 1]) {
    t.clock.set(limitedAt + step)
    await t.server.worker.runUntilIdle()
    expect(vendor.requestCount()).toBe(atLimit)
    expect(await claimedElsewhere(t.clock.now())).toEqual([])
  }
  expect(await countDeliveries('in_flight')).toBe(0)
  expect(await countDeliveries('delivered')).toBe(1)

  t.clock.set(limitedAt + vendor.waitMs)
  await t.server.worker.runUntilIdle()
  expect(vendor.requestCount()).toBeGreaterThan(atLimit)
  expect(await countDeliveries('delivered')).toBe(6)
  expect(await countDeliveries('queued')).toBe(0)
  // The held leads made no attempt of their own; the one that got the answer made it without using one up.
  const delivered = (await api('GET', '/v1/deliveries?state=delivered&limit=100')).json.items as {
    attempts: number
  }[]
  expect(delivered.map((delivery) => delivery.attempts)).toEqual([1, 1, 1, 1, 1, 1])
}

describe("every CRM's documented rate limit holds the whole destination", () => {
  // 403 REQUEST_LIMIT_EXCEEDED carries no Retry-After: Leadrelay waits 1 h when Sforce-Limit-Info shows the org's
  // rolling 24 h allocation used up, else 1 min (the concurrent long-request cap clears in seconds); see
  // src/destinations/salesforce/README.md.
  test.each<[string, FakeFailure, number]>([
    ['TotalRequests (daily allocation used up) holds every lead for 1 h', 'rate-limit', dailyLimitWaitMs],
    ['ConcurrentPerOrgLongTxn holds every lead for 1 min', 'concurrent-limit', concurrencyLimitWaitMs],
  ])('Salesforce: 403 REQUEST_LIMIT_EXCEEDED %s', async (_what, failure, waitMs) => {
    const fake = await startSalesforceFake({ now: () => t.clock.now() })
    try {
      await routeTo({
        kind: 'salesforce',
        name: 'Salesforce',
        config: { loginUrl: fake.url, timeoutMs: 5000 },
        secrets: { clientId: fake.clientId, clientSecret: fake.clientSecret },
        limits: { maxConcurrency: 1 },
      })
      await expectHeldForWholeWait({
        waitMs,
        requestCount: () => fake.requests.length,
        arm: () => fake.failNext(failure),
      })
      expect(fake.leads.size).toBe(6)
    } finally {
      await fake.close()
    }
  })

  test.each(['0x80072322', '0x80072321', '0x80072326'])(
    'Dynamics 365: 429 %s with Retry-After: 3 holds every lead for 3 s',
    async (code) => {
      const fake = await startDataverseFake()
      try {
        await routeTo({
          kind: 'dynamics365',
          name: 'Dynamics 365 Sales',
          config: {
            environmentUrl: fake.url,
            authorityHost: fake.authorityHost,
            tenantId: fake.tenantId,
            clientId: fake.clientId,
          },
          secrets: { clientSecret: fake.clientSecret },
          limits: { maxConcurrency: 1 },
        })
        await expectHeldForWholeWait({
          waitMs: 3000,
          requestCount: () => fake.requests.length,
          arm: () => fake.when('api', rateLimited(3, code), 1),
        })
        expect(fake.leads).toHaveLength(6)
      } finally {
        await fake.close()
      }
    },
  )

  test('HubSpot: 429 TEN_SECONDLY_ROLLING without Retry-After holds every lead for the 10 s window', async () => {
    const fake = await startHubSpotFake()
    try {
      await routeTo({
        kind: 'hubspot',
        name: 'HubSpot',
        config: { baseUrl: fake.url, timeoutMs: 5000 },
        secrets: { accessToken: fakeToken },
        limits: { maxConcurrency: 1 },
      })
      await expectHeldForWholeWait({
        waitMs: 10_000,
        requestCount: () => fake.requests.length,
        arm: () => fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING' }),
      })
      expect(fake.contacts.size).toBe(6)
    } finally {
      await fake.close()
    }
  })
})

describe('a 503 with Retry-After is a failure', () => {
  test('for an hour: counted, shown failing, contacts told once; a test connection says what happened', async () => {
    const alerts = await startWebhookSink()
    try {
      const destination = await routeTo({ kind: 'webhook', name: 'CRM hook', config: { url: sink.url } })
      expect((await api('PUT', '/v1/tenant/notifications', { emails: [], webhookUrl: alerts.url })).status).toBe(200)
      sink.respondWith({ status: 503, headers: { 'retry-after': '3600' } })
      const receipt = (await sendLead(1)).json

      await t.server.worker.runUntilIdle()
      let shown = (await api('GET', `/v1/destinations/${destination.id}`)).json
      expect(shown).toMatchObject({ state: 'active', health: 'failing' })
      expect(shown.failingSince).not.toBeNull()
      // Not before the hour it asked for, though the schedule alone would retry after 5 s.
      for (let minute = 10; minute < 60; minute += 10) {
        t.clock.advance(10 * 60_000)
        await t.server.worker.runUntilIdle()
      }
      expect(sink.received).toHaveLength(1)
      t.clock.advance(10 * 60_000)
      await t.server.worker.runUntilIdle()
      expect(sink.received).toHaveLength(2)

      const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
      // Each 503 used up an attempt, like any failure: the schedule goes on toward the delivery's end.
      expect(lead.deliveries[0]).toMatchObject({ state: 'queued', attempts: 2, lastErrorKind: 'retryable' })
      await alerts.waitForRequests(1)
      shown = (await api('GET', `/v1/destinations/${destination.id}`)).json
      expect(shown).toMatchObject({ state: 'active', health: 'failing' })
      expect(shown.stateReason).toMatch(/Failing for 1 h/)

      // Told once per run of failures, however long it goes on.
      for (let step = 0; step < 6; step++) {
        t.clock.advance(2 * 3_600_000)
        await t.server.worker.runUntilIdle()
      }
      expect(sink.received.length).toBeGreaterThan(2)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(alerts.received.map((request) => (request.json as { type: string }).type)).toEqual(['destination.failing'])

      const check = (await api('POST', `/v1/destinations/${destination.id}/verify`)).json
      expect(check.ok).toBe(false)
      expect(check.reason).toMatch(/503/)
      expect(check.reason).not.toMatch(/will retry|retry in/i)
      expect(check.reason).toMatch(/not retried/)

      sink.respondWith({ status: 200 })
      t.clock.advance(24 * 3_600_000)
      await t.server.worker.runUntilIdle()
      await alerts.waitForRequests(2)
      expect(alerts.received.map((request) => (request.json as { type: string }).type)).toEqual([
        'destination.failing',
        'destination.recovered',
      ])
      expect((await api('GET', `/v1/destinations/${destination.id}`)).json).toMatchObject({
        health: 'healthy',
        failingSince: null,
      })
    } finally {
      await alerts.close()
    }
  })
})

describe('attempt numbers and kinds', () => {
  test('503, 429, success, then a replay: numbered 1 to 4, the last one a replay', async () => {
    await routeTo({ kind: 'webhook', name: 'CRM hook', config: { url: sink.url } })
    sink.respondWith([{ status: 503 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 200 }])
    const receipt = (await sendLead(1)).json
    await t.server.worker.runUntilIdle()
    t.clock.advance(5_000)
    await t.server.worker.runUntilIdle()
    t.clock.advance(7_000)
    await t.server.worker.runUntilIdle()
    let delivery = (await api('GET', `/v1/leads/${receipt.leadId}`)).json.deliveries[0]
    expect(delivery.state).toBe('delivered')

    expect((await api('POST', '/v1/deliveries/replay', { ids: [delivery.id] })).json).toMatchObject({ replayed: 1 })
    await t.server.worker.runUntilIdle()
    delivery = (await api('GET', `/v1/deliveries/${delivery.id}`)).json
    const log = delivery.attemptLog as { id: string; number: number; kind: string; outcome: string }[]
    expect(log.map((attempt) => [attempt.number, attempt.kind, attempt.outcome])).toEqual([
      [1, 'scheduled', 'retryable'],
      [2, 'scheduled', 'rate_limited'],
      [3, 'scheduled', 'delivered'],
      [4, 'replay', 'delivered'],
    ])
    expect(new Set(log.map((attempt) => attempt.id)).size).toBe(4)
    // The webhook tells the receiver the same numbers.
    expect(
      sink.received.map((request) => request.headers['webhook-attempt'] ?? null).filter(Boolean).length,
    ).toBeLessThanOrEqual(4)
  })
})

describe('access tokens outlive health changes', () => {
  test('Marketo: one token for 30 deliveries, with failures and recoveries in between', async () => {
    const fake = await startMarketoFake({ clientId: 'id', clientSecret: 'secret-0123456789', now: () => t.clock.now() })
    try {
      await routeTo({
        kind: 'marketo',
        name: 'Marketo',
        config: { restUrl: fake.url },
        secrets: { clientId: 'id', clientSecret: 'secret-0123456789' },
      })
      for (let n = 1; n <= 30; n++) {
        // Every third call fails: the destination turns failing and healthy again, again and again.
        if (n % 3 === 0) fake.failNext({ status: 503, body: 'Service Unavailable' })
        await sendLead(n)
        await t.server.worker.runUntilIdle()
        t.clock.advance(6_000)
        await t.server.worker.runUntilIdle()
      }
      expect((await api('GET', '/v1/deliveries?state=delivered&limit=100')).json.items).toHaveLength(30)
      expect(fake.syncCalls().length).toBeGreaterThanOrEqual(40)
      expect(fake.identityCalls()).toHaveLength(1)
    } finally {
      await fake.close()
    }
  })
})
