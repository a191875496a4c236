import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { systemClock } from '../../src/core/ports.ts'
import { createNodeHttpClient } from '../../src/destinations/http-client-node.ts'
import { createSubscriptionService, type SubscriptionService } from '../../src/services/subscriptions.ts'
import { createFulfillmentClient } from '../../src/subscriptions/fulfillment-client.ts'
import { type SaasFulfillmentFake, startSaasFulfillmentFake } from '../fakes/saas-fulfillment-fake.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

const app = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1f8e4e-5c1a-4b7e-9d0e-2f6d3f1a9c11',
  clientSecret: 'entra-secret-value-1',
}

let t: TestServer
let fake: SaasFulfillmentFake
let service: SubscriptionService
let waits: number[]

beforeEach(async () => {
  fake = await startSaasFulfillmentFake({ app, pageSize: 2 })
  t = await startTestServer({ LEADRELAY_ENTRA_LOGIN_URL: fake.url, LEADRELAY_MARKETPLACE_API_URL: fake.url })
  waits = []
  const client = createFulfillmentClient({
    http: createNodeHttpClient({ allowPrivateNetworks: true }),
    clock: systemClock,
    loginUrl: fake.url,
    apiUrl: fake.url,
    sleep: async (ms) => {
      waits.push(ms)
    },
  })
  service = createSubscriptionService({
    store: t.store,
    ingest: t.server.ingest,
    sealer: t.server.sealer,
    clock: t.clock,
    client,
  })
  await service.putSource(t.tenant.tenant.id, {
    entraTenantId: app.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
  })
})

afterEach(async () => {
  await fake.close()
  await t.close()
})

async function lead(leadSource: string, email: string): Promise<string> {
  const { receipt } = await t.server.ingest.ingest({
    tenantId: t.tenant.tenant.id,
    format: 'api',
    body: { leadSource, customer: { email, firstName: 'Pat' } },
  })
  return receipt.leadId
}

async function leadOf(id: string) {
  const response = await t.server.app.inject({ method: 'GET', url: `/v1/leads/${id}`, headers: bearer(t.tenant) })
  expect(response.statusCode).toBe(200)
  return response.json()
}

async function eventCount(): Promise<number> {
  return t.store.countLeadEvents(t.tenant.tenant.id)
}

describe('polling the SaaS Fulfillment API', () => {
  test('subscriptions in every status join the right leads; repeated polls record nothing new', async () => {
    const byPurchaser = await lead('AzureMarketplace-INS|contoso.crm', 'Ann@Example.com')
    const byBeneficiary = await lead('AppSource-PLT|contoso.crm', 'ben@example.com')
    const otherOffer = await lead('AzureMarketplace-INS|contoso.other', 'cat@example.com')
    const pendingLead = await lead('AzureMarketplace-INS|contoso.crm', 'dan@example.com')

    const ann = fake.add({ emailId: 'ANN@example.com', saasSubscriptionStatus: 'Subscribed', planId: 'gold' })
    const ben = fake.add({ emailId: 'buyer@fabrikam.com', beneficiaryEmail: 'Ben@Example.com' })
    const cat = fake.add({ emailId: 'cat@example.com', saasSubscriptionStatus: 'Suspended' })
    const dan = fake.add({ emailId: 'dan@example.com', saasSubscriptionStatus: 'PendingFulfillmentStart' })
    const eve = fake.add({ emailId: 'eve@example.com', saasSubscriptionStatus: 'Unsubscribed' })
    const test = fake.add({ emailId: 'qa@example.com', isTest: true })

    const before = await eventCount()
    const first = await service.poll(t.tenant.tenant.id)
    expect(first).toEqual({ read: 6, recorded: 6, duplicates: 0, unchanged: 0, skipped: 0 })
    expect(await eventCount()).toBe(before + 6)
    expect(fake.apiRequests.filter((request) => request.status === 200)).toHaveLength(3)

    const linked = async (id: string) =>
      (await t.store.getSubscriptions(t.tenant.tenant.id, [id])).get(id)?.leadId as string
    // The purchaser's email, in another case; the beneficiary's when the purchaser has no lead.
    expect(await linked(ann.id)).toBe(byPurchaser)
    expect(await linked(ben.id)).toBe(byBeneficiary)
    expect(await linked(dan.id)).toBe(pendingLead)
    // Same email, other offer: a lead of its own.
    expect(await linked(cat.id)).not.toBe(otherOffer)
    expect((await leadOf(byPurchaser)).stage).toBe('customer')
    expect((await leadOf(byBeneficiary)).stage).toBe('customer')
    expect((await leadOf(pendingLead)).stage).toBe('active')
    const catLead = await leadOf(await linked(cat.id))
    expect(catLead).toMatchObject({ stage: 'suspended', source: 'AzurePortal', action: 'Suspended', isTest: false })
    expect(catLead.customer.email).toBe('cat@example.com')
    expect((await leadOf(otherOffer)).stage).toBe('initial_interest')
    expect((await leadOf(await linked(eve.id))).stage).toBe('churned')
    expect((await leadOf(await linked(test.id))).isTest).toBe(true)

    const second = await service.poll(t.tenant.tenant.id)
    expect(second).toMatchObject({ read: 6, recorded: 0, unchanged: 6 })
    expect(await eventCount()).toBe(before + 6)

    // A plan change and a cancellation: one event each, on the same leads.
    fake.update(ann.id, { planId: 'platinum', quantity: 5 })
    fake.update(ben.id, { saasSubscriptionStatus: 'Unsubscribed' })
    const third = await service.poll(t.tenant.tenant.id)
    expect(third).toMatchObject({ recorded: 2, unchanged: 4 })
    expect(await eventCount()).toBe(before + 8)
    expect((await leadOf(byBeneficiary)).stage).toBe('churned')
    const annEvents = await t.store.listLeadEvents(t.tenant.tenant.id, byPurchaser)
    const planChange = annEvents.filter((event) => event.description?.includes('planId gold → platinum'))
    expect(planChange).toHaveLength(1)
    expect(planChange[0]).toMatchObject({ source: 'AzurePortal', action: 'Subscribed', stage: 'customer' })
    expect(planChange[0]?.description).toContain('quantity 1 → 5')
    expect(planChange[0]?.extra).toMatchObject({ subscription: { id: ann.id, planId: 'platinum', quantity: 5 } })
    // And back: a churned customer who subscribes again is a customer again.
    fake.update(ben.id, { saasSubscriptionStatus: 'Subscribed' })
    await service.poll(t.tenant.tenant.id)
    expect((await leadOf(byBeneficiary)).stage).toBe('customer')
    expect(fake.writes).toEqual([])
  })

  test('the funnel counts customers and churned customers as the fake has them', async () => {
    await lead('AzureMarketplace-INS|contoso.crm', 'a@example.com')
    fake.add({ emailId: 'a@example.com', saasSubscriptionStatus: 'Subscribed' })
    fake.add({ emailId: 'b@example.com', saasSubscriptionStatus: 'Subscribed' })
    fake.add({ emailId: 'c@example.com', saasSubscriptionStatus: 'Suspended' })
    fake.add({ emailId: 'd@example.com', saasSubscriptionStatus: 'Unsubscribed' })
    fake.add({ emailId: 'e@example.com', saasSubscriptionStatus: 'Unsubscribed' })
    fake.add({ emailId: 'f@example.com', saasSubscriptionStatus: 'Subscribed', isTest: true })
    await service.poll(t.tenant.tenant.id)
    const response = await t.server.app.inject({
      method: 'GET',
      url: '/v1/funnel?offer=contoso.crm&since=2026-01-01T00:00:00Z',
      headers: bearer(t.tenant),
    })
    const report = response.json()
    const live = fake.subscriptions.filter((subscription) => !subscription.isTest)
    expect(report.reached.customer).toBe(live.length)
    expect(report.reached.churned).toBe(
      live.filter((subscription) => subscription.saasSubscriptionStatus === 'Unsubscribed').length,
    )
    expect(report.stages).toMatchObject({ customer: 2, suspended: 1, churned: 2 })
  })

  test('throttling waits for Retry-After; an expired token is replaced once', async () => {
    fake.add({ emailId: 'a@example.com' })
    fake.add({ emailId: 'b@example.com' })
    fake.add({ emailId: 'c@example.com' })
    fake.throttleNext(2, 7)
    const first = await service.poll(t.tenant.tenant.id)
    expect(first.error).toBeUndefined()
    expect(first.recorded).toBe(3)
    expect(waits).toEqual([7000, 7000])
    expect(fake.tokensIssued()).toBe(1)

    fake.expireTokens()
    fake.add({ emailId: 'd@example.com' })
    const second = await service.poll(t.tenant.tenant.id)
    expect(second).toMatchObject({ read: 4, recorded: 1, unchanged: 3 })
    expect(fake.tokensIssued()).toBe(2)
    expect(fake.apiRequests.filter((request) => request.status === 401)).toHaveLength(1)
  })

  test('a refused secret is reported on the source, and nothing is recorded', async () => {
    await service.putSource(t.tenant.tenant.id, {
      entraTenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: 'wrong',
    })
    fake.add({ emailId: 'a@example.com' })
    const before = await eventCount()
    const summary = await service.poll(t.tenant.tenant.id)
    expect(summary.error).toMatch(/401.*invalid_client/)
    expect(await eventCount()).toBe(before)
    expect((await service.getSource(t.tenant.tenant.id))?.lastPollError).toMatch(/invalid_client/)
  })

  test('a crash after the commit and before the subscription was remembered: the same keys, no second event', async () => {
    fake.add({ emailId: 'a@example.com', saasSubscriptionStatus: 'Subscribed' })
    fake.add({ emailId: 'b@example.com', saasSubscriptionStatus: 'Unsubscribed' })
    fake.add({ emailId: 'c@example.com', saasSubscriptionStatus: 'Suspended' })
    await service.poll(t.tenant.tenant.id)
    const before = await eventCount()
    // The crash is staged by editing the SQLite file directly; the PostgreSQL run has none.
    if (!existsSync(`${t.dataDir}/leadrelay.db`)) return
    // What a crash between the event's commit and `putSubscription` leaves: events without remembered subscriptions.
    const db = new Database(`${t.dataDir}/leadrelay.db`)
    db.prepare('delete from subscriptions').run()
    db.close()
    const again = await service.poll(t.tenant.tenant.id)
    expect(again).toMatchObject({ read: 3, recorded: 0, duplicates: 3 })
    expect(await eventCount()).toBe(before)
  })
})

describe('the subscription source API', () => {
  test('the secret is write-only; a poll on demand; a lead shows its subscription', async () => {
    const headers = bearer(t.tenant)
    const source = await t.server.app.inject({ method: 'GET', url: '/v1/subscription-source', headers })
    expect(source.statusCode).toBe(200)
    expect(source.json()).toMatchObject({ entraTenantId: app.tenantId, clientId: app.clientId, hasSecret: true })
    expect(source.body).not.toContain(app.clientSecret)
    expect((await t.rawContents()).includes(app.clientSecret)).toBe(false)
    // An edit without the secret keeps it.
    const edited = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/subscription-source',
      headers,
      payload: { entraTenantId: app.tenantId, clientId: app.clientId },
    })
    expect(edited.statusCode).toBe(200)
    const bad = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/subscription-source',
      headers,
      payload: { entraTenantId: 'contoso', clientId: app.clientId },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.headers['content-type']).toContain('application/problem+json')

    const subscription = fake.add({ emailId: 'ann@example.com', planId: 'gold', quantity: 3 })
    const poll = await t.server.app.inject({ method: 'POST', url: '/v1/subscription-source/poll', headers })
    expect(poll.statusCode).toBe(200)
    expect(poll.json()).toMatchObject({ read: 1, recorded: 1 })
    const leadId = (await t.store.getSubscriptions(t.tenant.tenant.id, [subscription.id])).get(subscription.id)?.leadId
    const listed = await t.server.app.inject({ method: 'GET', url: `/v1/leads/${leadId}/subscriptions`, headers })
    expect(listed.json().items).toEqual([
      expect.objectContaining({
        id: subscription.id,
        status: 'Subscribed',
        planId: 'gold',
        quantity: 3,
        offer: 'contoso.crm',
        termStart: subscription.term.startDate,
        termEnd: subscription.term.endDate,
      }),
    ])
  })
})
