/**
 * Leads that arrive before the publisher configures Leadrelay: Microsoft sends them as soon as an offer is live,
 * naming it by its id or by its display name. Configuring the offer (or a route) later must still deliver them, once
 * each, merged per customer; adding a destination later delivers the earlier leads there too, unless told not to.
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

let t: TestServer
const sinks: WebhookSink[] = []

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
  await Promise.all(sinks.splice(0).map((sink) => sink.close()))
})

async function api(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, json: response.body ? response.json() : undefined }
}

/** A webhook destination with a sink of its own. */
async function webhook(name: string): Promise<{ id: string; sink: WebhookSink }> {
  const sink = await startWebhookSink()
  sinks.push(sink)
  const created = await api('POST', '/v1/destinations', { kind: 'webhook', name, config: { url: sink.url } })
  expect(created.status).toBe(201)
  return { id: created.json.id, sink }
}

function customer(email: string, firstName: string) {
  return {
    FirstName: firstName,
    LastName: 'Doe',
    Email: email,
    Phone: '',
    Country: 'US',
    Company: 'Fabrikam',
    Title: '',
  }
}

/** What Microsoft POSTs to a publisher's HTTPS endpoint, naming the offer by its id in LeadSource. */
function microsoftById(offerId: string, action: string, email: string, firstName = 'Ann') {
  return {
    UserDetails: customer(email, firstName),
    LeadSource: `AzureMarketplace-${action}|${offerId}`,
    ActionCode: action,
  }
}

/** … or by its display name, as the HTTPS endpoint's OfferTitle. */
function microsoftByName(title: string, action: string, email: string, firstName = 'Ann') {
  return {
    UserDetails: customer(email, firstName),
    LeadSource: 'AzureMarketplace',
    ActionCode: action,
    OfferTitle: title,
  }
}

async function sendMicrosoft(body: unknown) {
  const response = await t.server.app.inject({
    method: 'POST',
    url: ingestPath(t.tenant),
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  })
  expect(response.statusCode).toBeLessThan(300)
  t.clock.advance(60_000)
  return response.json() as { leadId: string; deliveries: number; routed: boolean }
}

type Delivered = { data: { id: string; customer: { email: string; firstName: string }; eventCount: number } }

function deliveredTo(sink: WebhookSink): Delivered['data'][] {
  return sink.received.map((request) => (request.json as Delivered).data)
}

async function deliverEverything() {
  await t.server.worker.runUntilIdle()
  // Nothing comes due later: every delivery succeeded at the first attempt.
  t.clock.advance(3_600_000)
  expect(await t.server.worker.runUntilIdle()).toBe(0)
}

describe('leads that arrived before their offer was configured', () => {
  test('named by id and by display name, they join the offer when it is created with a route, and each is delivered once', async () => {
    const offerId = 'fabrikam.widget-saas'
    const title = 'Fabrikam Widget'
    const early = [
      await sendMicrosoft(microsoftById(offerId, 'INS', 'a@fabrikam.com', 'Ada')),
      await sendMicrosoft(microsoftById(offerId, 'StartTestDrive', 'b@fabrikam.com', 'Bo')),
      await sendMicrosoft(microsoftByName(title, 'PLT', 'b@fabrikam.com', 'Bob')),
      await sendMicrosoft(microsoftByName(title, 'INS', 'c@fabrikam.com', 'Cy')),
      await sendMicrosoft(microsoftByName('fabrikam   WIDGET', 'PLT', 'c@fabrikam.com', 'Cyd')),
      await sendMicrosoft(microsoftByName(title, 'INS', 'MSFT_TEST_636573304831318844@example.com', 'MSFT_TEST_1')),
    ]
    expect(early.every((receipt) => !receipt.routed && receipt.deliveries === 0)).toBe(true)
    const hook = await webhook('CRM hook')

    const saved = await api('PUT', `/v1/offers/${offerId}`, { title, destinations: [hook.id] })
    expect(saved.status).toBe(200)
    expect(saved.json.backfill).toEqual({
      earlierLeads: 'deliver',
      dryRun: false,
      destinations: [{ id: hook.id, leads: 4 }],
      leads: 4,
      deliveries: 4,
      queued: 4,
      joinedLeads: 4,
      mergedLeads: 1,
    })
    await deliverEverything()

    const received = deliveredTo(hook.sink)
    expect(received.map((lead) => lead.customer.email).sort()).toEqual([
      'a@fabrikam.com',
      'b@fabrikam.com',
      'c@fabrikam.com',
      'msft_test_636573304831318844@example.com',
    ])
    expect(new Set(received.map((lead) => lead.id)).size).toBe(4)
    const bob = received.find((lead) => lead.customer.email === 'b@fabrikam.com')
    // The lead that named the offer by id and the one that named it by title are one customer: one lead, both events.
    expect(bob).toMatchObject({ id: early[1]!.leadId, eventCount: 2, customer: { firstName: 'Bob' } })
    const lead = (await api('GET', `/v1/leads/${bob!.id}`)).json
    expect(lead).toMatchObject({ offerId, routed: true, stage: 'active', eventCount: 2 })
    expect(lead.events.map((event: { action: string }) => event.action)).toEqual(['StartTestDrive', 'PLT'])
    expect(lead.deliveries).toHaveLength(1)
    expect((await api('GET', `/v1/leads/${early[2]!.leadId}`)).status).toBe(404)

    const leads = (await api('GET', '/v1/leads?limit=50')).json.items
    expect(leads).toHaveLength(4)
    expect(leads.every((one: { offerId: string }) => one.offerId === offerId)).toBe(true)

    // Later leads, by either name, reach the same leads and are delivered as usual.
    const later = await sendMicrosoft(microsoftByName(title, 'INS', 'a@fabrikam.com', 'Ada'))
    expect(later).toMatchObject({ leadId: early[0]!.leadId, routed: true, deliveries: 1 })
    await deliverEverything()
    expect(hook.sink.received).toHaveLength(5)

    const audit = (await api('GET', '/v1/audit')).json.items
    expect(audit.find((entry: { action: string }) => entry.action === 'earlier_leads.queued')).toMatchObject({
      target: offerId,
      detail: { queued: 4, joinedLeads: 4, mergedLeads: 1 },
    })
  })
})

describe('the longest offer texts a lead can name', () => {
  test('an offer id of 256 characters and a longer id-shaped name can both be configured, and their leads are delivered', async () => {
    const longestId = `fabrikam.${'w'.repeat(247)}`
    const tooLongForAnId = `fabrikam.${'x'.repeat(400)}`
    expect(longestId).toHaveLength(256)
    await sendMicrosoft(microsoftById(longestId, 'INS', 'long-id@fabrikam.com'))
    await sendMicrosoft(microsoftById(tooLongForAnId, 'INS', 'long-name@fabrikam.com'))
    const hook = await webhook('CRM hook')

    const byId = await api('PUT', `/v1/offers/${longestId}`, { destinations: [hook.id] })
    expect(byId.status).toBe(200)
    expect(byId.json.backfill).toMatchObject({ joinedLeads: 1, queued: 1 })
    // Not an id (over 256 characters): configured as a display name, an alias of an offer with a short id.
    const byName = await api('PUT', '/v1/offers/fabrikam.long-name', {
      aliases: [tooLongForAnId],
      destinations: [hook.id],
    })
    expect(byName.status).toBe(200)
    expect(byName.json.backfill).toMatchObject({ joinedLeads: 1, queued: 1 })
    await deliverEverything()

    expect(
      deliveredTo(hook.sink)
        .map((lead) => lead.customer.email)
        .sort(),
    ).toEqual(['long-id@fabrikam.com', 'long-name@fabrikam.com'])
  })
})

describe('a destination added to a live offer', () => {
  const offerId = 'fabrikam.widget-saas'

  async function liveOfferWithDeliveredLeads() {
    const first = await webhook('first')
    expect((await api('PUT', `/v1/offers/${offerId}`, { title: 'Widget', destinations: [first.id] })).status).toBe(200)
    await sendMicrosoft(microsoftById(offerId, 'INS', 'a@fabrikam.com'))
    await sendMicrosoft(microsoftByName('Widget', 'PLT', 'b@fabrikam.com'))
    await deliverEverything()
    expect(first.sink.received).toHaveLength(2)
    return first
  }

  test('gets the earlier leads by default, after a preview that counts exactly them; the first destination gets nothing again', async () => {
    const first = await liveOfferWithDeliveredLeads()
    const second = await webhook('second')
    const change = { title: 'Widget', destinations: [first.id, second.id] }

    const preview = await api('PUT', `/v1/offers/${offerId}`, { ...change, dryRun: true })
    expect(preview.status).toBe(200)
    expect(preview.json.destinations).toEqual([first.id, second.id].sort())
    expect(preview.json.backfill).toMatchObject({
      dryRun: true,
      destinations: [{ id: second.id, leads: 2 }],
      leads: 2,
      deliveries: 2,
      queued: 0,
    })
    // The preview changed nothing.
    expect((await api('GET', `/v1/offers/${offerId}`)).json.destinations).toEqual([first.id])
    expect(await t.server.worker.runUntilIdle()).toBe(0)

    const saved = await api('PUT', `/v1/offers/${offerId}`, change)
    expect(saved.json.backfill).toMatchObject({ dryRun: false, earlierLeads: 'deliver', leads: 2 })
    expect(saved.json.backfill.queued).toBe(preview.json.backfill.deliveries)
    await deliverEverything()
    expect(
      deliveredTo(second.sink)
        .map((lead) => lead.customer.email)
        .sort(),
    ).toEqual(['a@fabrikam.com', 'b@fabrikam.com'])
    expect(first.sink.received).toHaveLength(2)
  })

  test('with "skip", no earlier lead goes to it; new leads go to every destination', async () => {
    const first = await liveOfferWithDeliveredLeads()
    const second = await webhook('second')
    const saved = await api('PUT', `/v1/offers/${offerId}`, {
      title: 'Widget',
      destinations: [first.id, second.id],
      earlierLeads: 'skip',
    })
    expect(saved.json.backfill).toMatchObject({ earlierLeads: 'skip', leads: 2, queued: 0 })
    await deliverEverything()
    expect(second.sink.received).toHaveLength(0)

    await sendMicrosoft(microsoftByName('Widget', 'INS', 'c@fabrikam.com'))
    await deliverEverything()
    expect(deliveredTo(second.sink).map((lead) => lead.customer.email)).toEqual(['c@fabrikam.com'])
    expect(first.sink.received).toHaveLength(3)
    const audit = (await api('GET', '/v1/audit')).json.items
    expect(audit.find((entry: { action: string }) => entry.action === 'earlier_leads.skipped')).toMatchObject({
      target: offerId,
      detail: { leads: 2, queued: 0 },
    })
    expect(audit.find((entry: { action: string }) => entry.action === 'routes.changed')).toMatchObject({
      target: offerId,
      detail: { scope: `offer:${offerId}`, before: [first.id], after: [first.id, second.id].sort() },
    })
  })
})

describe('the tenant default route gains a destination', () => {
  async function leadsUnderTwoOffers() {
    const own = await webhook('own route')
    // One offer routes on its own; the other, and one not configured yet, fall to the default route.
    await api('PUT', '/v1/offers/fabrikam.routed', { destinations: [own.id] })
    await api('PUT', '/v1/offers/fabrikam.default', { title: 'Default Widget' })
    await sendMicrosoft(microsoftById('fabrikam.routed', 'INS', 'r@fabrikam.com'))
    await sendMicrosoft(microsoftByName('Default Widget', 'INS', 'd@fabrikam.com'))
    await sendMicrosoft(microsoftByName('Not Configured Yet', 'INS', 'w@fabrikam.com'))
    await deliverEverything()
    expect(own.sink.received).toHaveLength(1)
    return own
  }

  test('earlier leads of offers without their own route are delivered to it, after a preview that counts them', async () => {
    const own = await leadsUnderTwoOffers()
    const fallback = await webhook('fallback')
    const preview = await api('PUT', '/v1/routes/default', { destinations: [fallback.id], dryRun: true })
    expect(preview.status).toBe(200)
    expect(preview.json.backfill).toMatchObject({ destinations: [{ id: fallback.id, leads: 2 }], leads: 2, queued: 0 })
    expect((await api('GET', '/v1/routes/default')).json.destinations).toEqual([])

    const saved = await api('PUT', '/v1/routes/default', { destinations: [fallback.id] })
    expect(saved.json).toMatchObject({ destinations: [fallback.id], backfill: { queued: 2 } })
    expect(saved.json.backfill.queued).toBe(preview.json.backfill.deliveries)
    await deliverEverything()
    expect(
      deliveredTo(fallback.sink)
        .map((lead) => lead.customer.email)
        .sort(),
    ).toEqual(['d@fabrikam.com', 'w@fabrikam.com'])
    expect(own.sink.received).toHaveLength(1)

    // Saved again: nothing earlier is sent twice.
    expect((await api('PUT', '/v1/routes/default', { destinations: [fallback.id] })).json.backfill.queued).toBe(0)
    await deliverEverything()
    expect(fallback.sink.received).toHaveLength(2)
  })

  test('with "skip", only new leads reach it', async () => {
    await leadsUnderTwoOffers()
    const fallback = await webhook('fallback')
    const saved = await api('PUT', '/v1/routes/default', { destinations: [fallback.id], earlierLeads: 'skip' })
    expect(saved.json.backfill).toMatchObject({ earlierLeads: 'skip', leads: 2, queued: 0 })
    await deliverEverything()
    expect(fallback.sink.received).toHaveLength(0)
    await sendMicrosoft(microsoftByName('Default Widget', 'INS', 'n@fabrikam.com'))
    await deliverEverything()
    expect(deliveredTo(fallback.sink).map((lead) => lead.customer.email)).toEqual(['n@fabrikam.com'])
  })
})
