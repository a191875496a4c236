/**
 * Each attempt keeps the request it sent and the response it got, as the API shows them: the payload exactly as the
 * receiver got it, secrets (signature, custom auth headers, secret query values) never stored, bodies capped at
 * 8 KiB; the destination's delivery log reads them too.
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { exchangeBodyLimitBytes } from '../../src/core/attempt-exchange.ts'
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
  // One test closes the sink early, to leave an attempt without an answer.
  await sink.close().catch(() => {})
})

async function api(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, body: response.body, json: response.body ? response.json() : undefined }
}

const apiKey = 'sk-live-exchange-api-key-0123456789'

interface ApiAttempt {
  number: number
  outcome: string
  request: { method: string; url: string; headers: Record<string, string>; body: string | null; bodyTruncated: boolean }
  response: { status: number; headers: Record<string, string>; body: string | null; bodyTruncated: boolean } | null
}

async function setUp() {
  const created = await api('POST', '/v1/destinations', {
    kind: 'webhook',
    name: 'CRM hook',
    config: { url: `${sink.url}?tenant=contoso&token=url-secret-42` },
    secrets: { headers: { 'X-Api-Key': apiKey } },
  })
  expect(created.status, created.body).toBe(201)
  expect((await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: [created.json.id] })).status).toBe(200)
  const lead = await api('POST', '/v1/leads', {
    LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
    CustomerInfo: { FirstName: 'Ada', LastName: 'Exchange', Email: 'ada@exchange.example' },
  })
  expect(lead.status, lead.body).toBe(202)
  return {
    destinationId: created.json.id as string,
    signingSecret: created.json.signingSecret as string,
    leadId: lead.json.leadId as string,
  }
}

async function attemptsOf(leadId: string): Promise<ApiAttempt[]> {
  const detail = await api('GET', `/v1/leads/${leadId}`)
  return detail.json.deliveries.flatMap((delivery: { attemptLog: ApiAttempt[] }) => delivery.attemptLog)
}

describe('attempt exchanges', () => {
  test('keep the payload sent and the answer received, without the signature, auth headers or URL secrets', async () => {
    const { leadId, destinationId } = await setUp()
    sink.respondWith({
      status: 201,
      headers: { 'x-request-id': 'req-7', 'set-cookie': 'session=abc' },
      body: '{"id":"crm-9"}',
    })
    await t.server.worker.runUntilIdle()

    const [received] = sink.received
    const [attempt] = await attemptsOf(leadId)
    expect(attempt?.request.method).toBe('POST')
    // The stored body is the very payload the receiver got and verified.
    expect(attempt?.request.body).toBe(received?.body)
    expect(attempt?.request.body).toContain('ada@exchange.example')
    expect(attempt?.request.headers['webhook-id']).toBe(received?.headers['webhook-id'])
    expect(attempt?.request.headers['content-type']).toBe('application/json')
    expect(attempt?.request.headers['webhook-signature']).toBe('[redacted]')
    expect(attempt?.request.headers['x-api-key']).toBe('[redacted]')
    expect(attempt?.request.url).toContain('tenant=contoso')
    expect(attempt?.request.url).not.toContain('url-secret-42')
    expect(attempt?.response).toMatchObject({ status: 201, body: '{"id":"crm-9"}', bodyTruncated: false })
    expect(attempt?.response?.headers['x-request-id']).toBe('req-7')
    expect(attempt?.response?.headers['set-cookie']).toBe('[redacted]')

    // The destination's settings hold the URL as configured; the secrets sealed, and the attempt log holds neither.
    const stored = (await t.rawContents()).toString('latin1')
    expect(stored).not.toContain(apiKey)
    expect(stored).not.toContain(received!.headers['webhook-signature']!)

    // The destination's delivery log shows the same exchange.
    const log = await api('GET', `/v1/destinations/${destinationId}/attempts`)
    expect(log.json.items[0]).toMatchObject({ request: { body: received?.body }, response: { status: 201 } })
  })

  test('cap a long answer at 8 KiB and keep the failed attempt and the retry apart', async () => {
    const { leadId } = await setUp()
    const long = `${'é'.repeat(6000)}`
    sink.respondWith([{ status: 503, headers: { 'retry-after': '1' }, body: long }, { status: 200 }])
    await t.server.worker.runUntilIdle()
    t.clock.advance(10_000)
    await t.server.worker.runUntilIdle()

    const attempts = await attemptsOf(leadId)
    expect(attempts.map((attempt) => [attempt.number, attempt.outcome, attempt.response?.status])).toEqual([
      [1, 'retryable', 503],
      [2, 'delivered', 200],
    ])
    const failed = attempts[0]!.response!
    expect(failed.bodyTruncated).toBe(true)
    expect(Buffer.byteLength(failed.body!, 'utf8')).toBeLessThanOrEqual(exchangeBodyLimitBytes)
    expect(Buffer.byteLength(failed.body!, 'utf8')).toBeGreaterThan(exchangeBodyLimitBytes - 2)
    expect(failed.body).toMatch(/^é+$/)
    expect(failed.headers['retry-after']).toBe('1')
    expect(attempts[1]!.response).toMatchObject({ status: 200, body: null, bodyTruncated: false })
  })

  test('keep what was tried when no answer came', async () => {
    const { leadId } = await setUp()
    await sink.close()
    await t.server.worker.runUntilIdle()

    const [attempt] = await attemptsOf(leadId)
    expect(attempt?.outcome).toBe('retryable')
    expect(attempt?.request.body).toContain('ada@exchange.example')
    expect(attempt?.response).toBeNull()
  })
})
