/**
 * The adaptive window through the whole worker: a webhook destination that answers 429 with Retry-After whenever
 * more than a given number of requests are in flight. The window grows from 4 until it is throttled, then settles
 * under that level; every lead is delivered once. The clock is manual: the Retry-After holds pass when the test says.
 */

import { afterEach, beforeEach, expect, test } from 'vitest'
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

async function api(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, json: response.body ? response.json() : undefined }
}

test('a destination throttling above 8 requests in flight: the window grows past 4, then settles at 8 or under', async () => {
  const limit = 8
  let active = 0
  /** Requests in flight at the destination when each one arrived, in arrival order, and whether it was throttled. */
  const arrivals: { inFlight: number; throttled: boolean }[] = []
  sink.respondWith(async () => {
    active++
    const throttled = active > limit
    arrivals.push({ inFlight: active, throttled })
    // Long enough for the requests the worker has in flight to overlap at the destination, even on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 60))
    active--
    return throttled ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }
  })
  const created = await api('POST', '/v1/destinations', { kind: 'webhook', name: 'hook', config: { url: sink.url } })
  expect(created.status).toBe(201)
  expect(created.json.limits.maxConcurrency).toBe(64)
  await api('PUT', '/v1/routes/default', { destinations: [created.json.id] })
  const leads = 400
  for (let n = 0; n < leads; n++) {
    const sent = await api(
      'POST',
      '/v1/leads',
      seedLead('AzureMarketplace-INS|contoso.crm-suite', { ...johnSmith, Email: `lead${n}@example.com` }),
    )
    expect(sent.status).toBe(202)
  }

  /** The window after each round that followed the first 429. */
  const windows: number[] = []
  for (let round = 0; round < 200; round++) {
    const throttledBefore = arrivals.some((arrival) => arrival.throttled)
    await t.server.worker.runUntilIdle()
    if (throttledBefore) windows.push(t.server.worker.windows().get(created.json.id)!.window)
    const delivered = (await api('GET', '/v1/deliveries?state=delivered&limit=500')).json.items.length
    if (delivered === leads) break
    // Past the Retry-After hold.
    t.clock.advance(1000)
  }

  expect((await api('GET', '/v1/deliveries?state=delivered&limit=500')).json.items).toHaveLength(leads)
  const firstThrottle = arrivals.findIndex((arrival) => arrival.throttled)
  // It grew beyond the 4 it started with until the destination said no...
  expect(firstThrottle).toBeGreaterThan(0)
  expect(Math.max(...arrivals.slice(0, firstThrottle).map((arrival) => arrival.inFlight))).toBe(limit)
  // ...then settled: after each 429 the window halves and grows back a step per round trip, so it stays under the
  // limit and only the odd probe above it is throttled.
  // On a loaded machine calls the window allows at once do not always overlap at the destination, so the window can
  // take one step more before a 429 tells it; it never runs away.
  const sorted = [...windows].sort((a, b) => a - b)
  expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(limit)
  expect(sorted[Math.floor(sorted.length * 0.9)]).toBeLessThanOrEqual(limit + 1)
  expect(sorted.at(-1)).toBeLessThanOrEqual(limit + 2)
  const afterwards = arrivals.slice(firstThrottle + 1)
  expect(afterwards.filter((arrival) => arrival.throttled).length).toBeLessThan(afterwards.length / 5)
  expect(afterwards.filter((arrival) => arrival.inFlight <= limit).length).toBeGreaterThan(leads / 2)
  // The destination's page shows the window the worker holds.
  expect((await api('GET', `/v1/destinations/${created.json.id}`)).json.concurrency).toEqual({
    window: windows.at(-1),
    ceiling: 64,
    inFlight: 0,
  })
})
