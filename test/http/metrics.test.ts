import { readFileSync } from 'node:fs'
import { afterEach, expect, test } from 'vitest'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const servers: TestServer[] = []
const sinks: WebhookSink[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
  for (const sink of sinks.splice(0)) await sink.close()
})

const metricsToken = 'metrics-token-0123456789abcdef'

/** The value of one sample of the exposition, e.g. `leadrelay_deliveries_total{destination_kind="webhook",…}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const match = line.match(/^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/)
    if (!match || match[1] !== name) continue
    const present = match[2] ? match[2].split(',') : []
    if (wanted.length === present.length && wanted.every((label) => present.includes(label))) return Number(match[3])
  }
  return undefined
}

const microsoftLead = (email: string) => ({
  UserDetails: { FirstName: 'Some', LastName: 'One', Email: email, Company: 'Contoso' },
  LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
  ActionCode: 'INS',
})

test('GET /metrics is off unless enabled', async () => {
  const t = await startTestServer()
  servers.push(t)
  const response = await t.server.app.inject({ method: 'GET', url: '/metrics' })
  // The portal answers unknown page paths; no metric is exposed.
  expect(response.headers['content-type']).not.toMatch(/^text\/plain/)
  expect(response.body).not.toContain('leadrelay_')
})

test('GET /metrics counts what happened: leads by outcome, attempts by outcome, the queue and destinations', async () => {
  const t = await startTestServer({ LEADRELAY_METRICS_TOKEN: metricsToken })
  servers.push(t)
  const good = await startWebhookSink({ reply: { status: 200 } })
  const failing = await startWebhookSink({ reply: { status: 500 } })
  sinks.push(good, failing)
  const api = async (method: 'POST' | 'PUT', url: string, payload: unknown) =>
    t.server.app.inject({ method, url, payload: payload as object, headers: bearer(t.tenant) })
  const ids: string[] = []
  for (const [name, sink] of [
    ['good', good],
    ['failing', failing],
  ] as const) {
    const created = await api('POST', '/v1/destinations', { kind: 'webhook', name, config: { url: sink.url } })
    expect(created.statusCode).toBe(201)
    ids.push(created.json().id)
  }
  await api('PUT', '/v1/routes/default', { destinations: ids })

  const ingestPath = new URL(t.tenant.ingestUrl).pathname
  const post = (payload: unknown) =>
    t.server.app.inject({ method: 'POST', url: ingestPath, payload: payload as object })
  for (const email of ['a@contoso.com', 'b@contoso.com', 'c@contoso.com']) {
    expect((await post(microsoftLead(email))).statusCode).toBe(202)
  }
  // Microsoft sends again what it is not sure arrived: the same body is a duplicate.
  expect((await post(microsoftLead('a@contoso.com'))).statusCode).toBe(202)
  expect((await post({ Nothing: 'useful' })).statusCode).toBe(400)
  await t.server.worker.runUntilIdle()

  expect((await t.server.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401)
  expect(
    (await t.server.app.inject({ method: 'GET', url: '/metrics', headers: bearer(t.tenant) })).statusCode,
    'an API key does not open metrics',
  ).toBe(401)
  const scrape = async () => {
    const response = await t.server.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${metricsToken}` },
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    return response.body
  }
  const text = await scrape()
  const leads = (outcome: string, source = 'AzureMarketplace', action = 'INS') =>
    sample(text, 'leadrelay_leads_received_total', { source, action, outcome })
  expect(leads('accepted')).toBe(3)
  expect(leads('duplicate')).toBe(1)
  expect(leads('rejected', 'unknown', 'unknown')).toBe(1)
  expect(sample(text, 'leadrelay_ingest_duration_seconds_count')).toBe(4)
  expect(sample(text, 'leadrelay_store_commit_duration_seconds_count')).toBe(4)

  const deliveries = (outcome: string) =>
    sample(text, 'leadrelay_deliveries_total', { destination_kind: 'webhook', outcome })
  expect(deliveries('delivered')).toBe(good.received.length)
  expect(deliveries('delivered')).toBe(3)
  expect(deliveries('retryable')).toBe(failing.received.length)
  expect(deliveries('retryable')).toBe(3)
  expect(sample(text, 'leadrelay_delivery_attempt_duration_seconds_count', { destination_kind: 'webhook' })).toBe(6)

  // The failed three wait for their retry; none is due yet on the test's clock.
  expect(sample(text, 'leadrelay_delivery_queue_depth', { state: 'queued' })).toBe(3)
  expect(sample(text, 'leadrelay_delivery_queue_depth', { state: 'in_flight' })).toBe(0)
  expect(sample(text, 'leadrelay_delivery_oldest_due_seconds')).toBe(0)
  expect(sample(text, 'leadrelay_destinations', { destination_kind: 'webhook', state: 'active' })).toBe(2)
  expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)

  // Every series the Grafana dashboard queries is one this scrape exposes.
  const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')
  const queried = new Set(dashboard.match(/\b(leadrelay|nodejs|process)_[a-z0-9_]+/g))
  expect(queried.size).toBeGreaterThan(8)
  for (const name of queried) expect(text, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'))

  // An hour on, the retries are due and have waited.
  t.clock.advance(3_600_000)
  const later = await scrape()
  expect(sample(later, 'leadrelay_delivery_oldest_due_seconds')).toBeGreaterThan(3000)
})
