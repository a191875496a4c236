/** A destination's delivery log: its attempts newest first, paged, each with its lead, and its success rate. */

import { afterEach, beforeEach, expect, test } from 'vitest'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

let t: TestServer
let sink: WebhookSink
let other: WebhookSink

beforeEach(async () => {
  t = await startTestServer()
  sink = await startWebhookSink()
  other = await startWebhookSink()
})
afterEach(async () => {
  await t.close()
  await sink.close()
  await other.close()
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

interface LoggedAttempt {
  id: string
  number: number
  outcome: string
  status: number | null
  leadId: string
  deliveryId: string
  customer: Record<string, string>
  startedAt: string
}

async function logOf(destinationId: string, limit: number): Promise<{ items: LoggedAttempt[]; rate: unknown }> {
  const items: LoggedAttempt[] = []
  let cursor: string | undefined
  let rate: unknown
  do {
    const page = await api(
      'GET',
      `/v1/destinations/${destinationId}/attempts?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    expect(page.status).toBe(200)
    items.push(...page.json.items)
    rate ??= page.json.successRate
    cursor = page.json.nextCursor
  } while (cursor)
  return { items, rate }
}

test('attempts newest first across pages, with their leads; only this destination; success over 24 h and 7 days', async () => {
  const hook = await api('POST', '/v1/destinations', { kind: 'webhook', name: 'Hook', config: { url: sink.url } })
  const elsewhere = await api('POST', '/v1/destinations', {
    kind: 'webhook',
    name: 'Other',
    config: { url: other.url },
  })
  await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: [hook.json.id, elsewhere.json.id] })

  // Eight days ago: one lead delivered. Now: one failure (500), then after the retry both leads delivered.
  sink.respondWith({ status: 200 })
  const old = await api('POST', '/v1/leads', seedLead('AzureMarketplace-INS|contoso.crm-suite', johnSmith))
  await t.server.worker.runUntilIdle()
  t.clock.advance(8 * 86_400_000)
  sink.respondWith([{ status: 500, body: 'down' }, { status: 200 }])
  const fresh = await api(
    'POST',
    '/v1/leads',
    seedLead('AzureMarketplace-INS|contoso.crm-suite', { ...johnSmith, FirstName: 'Ana', Email: 'ana@example.com' }),
  )
  await t.server.worker.runUntilIdle()
  t.clock.advance(3_600_000)
  await t.server.worker.runUntilIdle()

  const { items, rate } = await logOf(hook.json.id, 1)
  expect(items.map((attempt) => [attempt.leadId, attempt.outcome, attempt.status])).toEqual([
    [fresh.json.leadId, 'delivered', 200],
    [fresh.json.leadId, expect.not.stringMatching(/^delivered$/), 500],
    [old.json.leadId, 'delivered', 200],
  ])
  expect(new Set(items.map((attempt) => attempt.id)).size).toBe(3)
  // Each names its customer, so the log needs no call per lead.
  expect(items[0]?.customer).toEqual({
    firstName: 'Ana',
    lastName: johnSmith.LastName,
    email: 'ana@example.com',
    company: johnSmith.Company,
  })
  // The other destination's attempts are in its own log only.
  const otherLog = await logOf(elsewhere.json.id, 50)
  expect(otherLog.items).toHaveLength(2)
  expect(otherLog.items.every((attempt) => attempt.outcome === 'delivered')).toBe(true)
  expect(rate).toEqual({
    last24h: { attempts: 2, delivered: 1, rate: 0.5 },
    last7d: { attempts: 2, delivered: 1, rate: 0.5 },
  })
  // Eight days back is outside both windows; just over a week later nothing is left in either.
  t.clock.advance(7 * 86_400_000 + 1)
  const later = await api('GET', `/v1/destinations/${hook.json.id}/attempts`)
  expect(later.json.successRate).toEqual({
    last24h: { attempts: 0, delivered: 0, rate: null },
    last7d: { attempts: 0, delivered: 0, rate: null },
  })
  expect(later.json.items).toHaveLength(3)
})

test('an unknown destination, or a bad page size, is refused like elsewhere', async () => {
  const missing = await api('GET', '/v1/destinations/dst_nothing/attempts')
  expect(missing.status).toBe(404)
  const bad = await api('GET', '/v1/destinations/dst_nothing/attempts?limit=0')
  expect(bad.status).toBe(400)
})
