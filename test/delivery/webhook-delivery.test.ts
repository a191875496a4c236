import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { verifyWebhook } from '../../src/destinations/webhook/signing.ts'
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

async function webhookRoutedTo(url: string, offer = 'contoso.crm-suite') {
  const created = await api('POST', '/v1/destinations', { kind: 'webhook', name: 'CRM hook', config: { url } })
  expect(created.status).toBe(201)
  expect(created.json.signingSecret).toMatch(/^whsec_/)
  expect(
    (await api('PUT', `/v1/offers/${offer}`, { title: 'Contoso CRM', destinations: [created.json.id] })).status,
  ).toBe(200)
  return created.json as { id: string; signingSecret: string }
}

function sendLead(action: string, customer: Record<string, string> = johnSmith, offer = 'contoso.crm-suite') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|${offer}`, customer))
}

describe('delivering to a webhook through the worker', () => {
  test('503, then 429 with Retry-After, then success: delivered once, one webhook-id, valid signatures', async () => {
    const destination = await webhookRoutedTo(sink.url)
    sink.respondWith([{ status: 503 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 200 }])
    const receipt = (await sendLead('INS')).json
    expect(receipt.deliveries).toBe(1)

    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(sink.received).toHaveLength(1)
    // Not due yet: nothing is sent before the 5 s back-off has passed.
    t.clock.advance(4_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(sink.received).toHaveLength(2)
    t.clock.advance(6_999)
    expect(await t.server.worker.runUntilIdle()).toBe(0)
    t.clock.advance(1)
    expect(await t.server.worker.runUntilIdle()).toBe(1)
    expect(sink.received).toHaveLength(3)

    const ids = new Set(sink.received.map((request) => request.headers['webhook-id']))
    expect(ids.size).toBe(1)
    expect(new Set(sink.received.map((request) => request.headers['webhook-timestamp'])).size).toBe(3)
    for (const request of sink.received) {
      const verified = verifyWebhook({
        secret: destination.signingSecret,
        body: request.body,
        headers: request.headers,
        now: t.clock.now(),
      })
      expect(verified.ok).toBe(true)
    }
    const payload = sink.received[2]!.json as { type: string; data: { id: string; customer: { email: string } } }
    expect(payload.data).toMatchObject({ id: receipt.leadId, customer: { email: 'jsmith@microsoft.com' } })

    const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
    expect(lead.deliveries).toHaveLength(1)
    expect(lead.deliveries[0]).toMatchObject({ state: 'delivered', attempts: 2, destinationId: destination.id })
    expect(
      lead.deliveries[0].attemptLog.map((a: { outcome: string; status: number }) => [a.outcome, a.status]),
    ).toEqual([
      ['retryable', 503],
      ['rate_limited', 429],
      ['delivered', 200],
    ])
  })

  test('a 400 ends dead with the reason; replay after the fix delivers it, and is audited', async () => {
    await webhookRoutedTo(sink.url)
    sink.respondWith({ status: 400, body: '{"error":"missing field company"}' })
    const receipt = (await sendLead('INS')).json
    await t.server.worker.runUntilIdle()
    const dead = (await api('GET', '/v1/deliveries?state=dead')).json
    expect(dead.items).toHaveLength(1)
    expect(dead.items[0].lastError).toMatch(/400/)
    expect(dead.items[0].lastErrorKind).toBe('rejected')
    t.clock.advance(3_600_000)
    expect(await t.server.worker.runUntilIdle()).toBe(0)

    sink.respondWith({ status: 200 })
    const replay = await api('POST', '/v1/deliveries/replay', { filter: { state: 'dead' } })
    expect(replay.json).toMatchObject({ replayed: 1, skipped: 0 })
    // Replaying again changes nothing: the delivery is already queued.
    expect((await api('POST', '/v1/deliveries/replay', { ids: [dead.items[0].id] })).json).toMatchObject({
      replayed: 0,
      skipped: 1,
    })
    await t.server.worker.runUntilIdle()
    const lead = (await api('GET', `/v1/leads/${receipt.leadId}`)).json
    expect(lead.deliveries[0].state).toBe('delivered')
    expect(sink.received.at(-1)!.headers['webhook-id']).toBe(sink.received[0]!.headers['webhook-id'])
    const audit = (await api('GET', '/v1/audit')).json
    const entries = audit.items.filter((item: { action: string }) => item.action === 'deliveries.replayed')
    expect(entries.every((entry: { actor: string }) => /^key:key_/.test(entry.actor))).toBe(true)
    expect(entries.map((entry: { detail: { replayed: number } }) => entry.detail.replayed).sort()).toEqual([0, 1])
  })

  test('several changes of one lead still pending are delivered once, as the newest state', async () => {
    await webhookRoutedTo(sink.url)
    const first = (await sendLead('StartTestDrive')).json
    await sendLead('INS')
    await sendLead('Create')
    await t.server.worker.runUntilIdle()
    expect(sink.received).toHaveLength(1)
    const payload = sink.received[0]!.json as { data: { stage: string; version: number; eventCount: number } }
    expect(payload.data).toMatchObject({ stage: 'active', version: 3, eventCount: 3 })
    const deliveries = (await api('GET', `/v1/deliveries?lead=${first.leadId}`)).json.items
    expect(deliveries.map((d: { state: string }) => d.state).sort()).toEqual(['delivered', 'superseded', 'superseded'])
    // A later change is a new state: a new delivery with its own webhook-id.
    await sendLead('PLT')
    await t.server.worker.runUntilIdle()
    expect(sink.received).toHaveLength(2)
    expect(sink.received[1]!.headers['webhook-id']).not.toBe(sink.received[0]!.headers['webhook-id'])
  })

  test('401 pauses the destination: leads wait without burning attempts; fixing it resumes and notifies', async () => {
    const alerts = await startWebhookSink()
    try {
      expect((await api('PUT', '/v1/tenant/notifications', { emails: [], webhookUrl: alerts.url })).status).toBe(200)
      const destination = await webhookRoutedTo(sink.url)
      sink.respondWith({ status: 401 })
      await sendLead('INS')
      await sendLead('INS', { Email: 'other@example.com' })
      await t.server.worker.runUntilIdle()
      const paused = (await api('GET', `/v1/destinations/${destination.id}`)).json
      expect(paused.state).toBe('paused')
      expect(paused.stateReason).toMatch(/401/)
      const requestsWhilePaused = sink.received.length
      t.clock.advance(86_400_000)
      expect(await t.server.worker.runUntilIdle()).toBe(0)
      expect(sink.received).toHaveLength(requestsWhilePaused)
      const queued = (await api('GET', '/v1/deliveries?state=queued')).json.items
      expect(queued).toHaveLength(2)
      expect(queued.every((d: { attempts: number }) => d.attempts === 0)).toBe(true)
      await alerts.waitForRequests(1)
      expect((alerts.received[0]!.json as { type: string }).type).toBe('destination.paused')

      sink.respondWith({ status: 200 })
      const fixed = await api('PATCH', `/v1/destinations/${destination.id}`, {
        config: { url: sink.url, timeoutMs: 5000 },
      })
      expect(fixed.json.state).toBe('active')
      await t.server.worker.runUntilIdle()
      expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    } finally {
      await alerts.close()
    }
  })

  test('410 disables the destination', async () => {
    const destination = await webhookRoutedTo(sink.url)
    sink.respondWith({ status: 410 })
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    expect((await api('GET', `/v1/destinations/${destination.id}`)).json.state).toBe('disabled')
    expect((await api('GET', '/v1/deliveries?state=queued')).json.items).toHaveLength(1)
  })

  test('one hanging destination does not delay another', async () => {
    const slow = await startWebhookSink({ reply: { hang: true } })
    try {
      const hanging = await api('POST', '/v1/destinations', {
        kind: 'webhook',
        name: 'slow',
        config: { url: slow.url, timeoutMs: 30000 },
      })
      const fast = await api('POST', '/v1/destinations', { kind: 'webhook', name: 'fast', config: { url: sink.url } })
      await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: [hanging.json.id, fast.json.id] })
      t.server.worker.start()
      for (let i = 0; i < 10; i++) await sendLead('INS', { Email: `c${i}@example.com` })
      await sink.waitForRequests(10, 10_000)
      expect(sink.received).toHaveLength(10)
      // The slow destination holds at most its concurrency cap of requests open.
      expect(slow.received.length).toBeLessThanOrEqual(4)
    } finally {
      await t.server.worker.stop()
      await slow.close()
    }
  })

  test('a worker renews the lease of an attempt still running, so the sweep does not take it back', async () => {
    const slow = await startWebhookSink({ reply: { hang: true } })
    const renewals: number[] = []
    const extendLeases = t.store.extendLeases.bind(t.store)
    t.store.extendLeases = async (workerId, now, leaseMs) => {
      renewals.push(now)
      return extendLeases(workerId, now, leaseMs)
    }
    try {
      await webhookRoutedTo(slow.url)
      const claimedAt = t.clock.now()
      t.server.worker.start()
      await sendLead('INS')
      await slow.waitForRequests(1, 10_000)
      // A third of the default 60 s lease later, the next round of the worker renews it.
      t.clock.advance(20_001)
      t.server.worker.wake()
      for (let waited = 0; renewals.length === 0 && waited < 5000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(renewals).toEqual([claimedAt + 20_001])
      // Past the original lease: without the renewal the sweep would put the delivery back in the queue.
      t.clock.set(claimedAt + 60_001)
      expect(await t.store.releaseExpiredLeases(t.clock.now())).toBe(0)
      expect((await api('GET', '/v1/deliveries?state=in_flight')).json.items).toHaveLength(1)
    } finally {
      await t.server.worker.stop()
      await slow.close()
    }
  })

  test('rotating the signing secret keeps the old one valid for 24 h', async () => {
    const destination = await webhookRoutedTo(sink.url)
    const rotated = await api('POST', `/v1/destinations/${destination.id}/rotate-secrets`)
    expect(rotated.status).toBe(200)
    expect(rotated.json.signingSecret).toMatch(/^whsec_/)
    expect(rotated.json.signingSecret).not.toBe(destination.signingSecret)
    expect(rotated.json.previousSigningSecret).toBeUndefined()
    await sendLead('INS')
    await t.server.worker.runUntilIdle()
    const [during] = sink.received
    const check = (secret: string, request = during!) =>
      verifyWebhook({ secret, body: request.body, headers: request.headers, now: t.clock.now() }).ok
    expect(check(rotated.json.signingSecret)).toBe(true)
    expect(check(destination.signingSecret)).toBe(true)
    t.clock.advance(24 * 3_600_000 + 1)
    await sendLead('PLT')
    await t.server.worker.runUntilIdle()
    const after = sink.received.at(-1)!
    expect(check(rotated.json.signingSecret, after)).toBe(true)
    expect(check(destination.signingSecret, after)).toBe(false)
    const kinds = (await api('GET', '/v1/destination-kinds')).json.items
    expect(kinds.find((k: { kind: string }) => k.kind === 'webhook')).toMatchObject({ supportsSecretRotation: true })
  })

  test('preview shows the exact payload without sending it', async () => {
    const created = await api('POST', '/v1/destinations', {
      kind: 'webhook',
      name: 'power automate',
      config: { url: sink.url, format: 'microsoft' },
    })
    await api('PUT', '/v1/offers/contoso.crm-suite', { title: 'Contoso CRM', destinations: [created.json.id] })
    const receipt = (await sendLead('PLT')).json
    const preview = await api('GET', `/v1/destinations/${created.json.id}/preview/${receipt.leadId}`)
    expect(preview.status).toBe(200)
    expect(preview.json.payload).toMatchObject({
      UserDetails: { Email: 'jsmith@microsoft.com', Company: 'Microsoft' },
      ActionCode: 'PLT',
    })
    expect(sink.received).toHaveLength(0)
    await t.server.worker.runUntilIdle()
    expect(sink.received[0]!.json).toEqual(preview.json.payload)
    const other = await t.addTenant('other')
    const foreign = await t.server.app.inject({
      method: 'GET',
      url: `/v1/destinations/${created.json.id}/preview/${receipt.leadId}`,
      headers: bearer(other),
    })
    expect(foreign.statusCode).toBe(404)
  })

  test('the database file holds no plaintext secret', async () => {
    const secret = `whsec_${Buffer.from('a-very-recognisable-signing-secret-0123456789').toString('base64')}`
    const created = await api('POST', '/v1/destinations', {
      kind: 'webhook',
      name: 'signed',
      config: { url: sink.url },
      secrets: { signingSecret: secret },
    })
    expect(created.status).toBe(201)
    expect(created.json.signingSecret).toBeUndefined()
    expect(JSON.stringify((await api('GET', `/v1/destinations/${created.json.id}`)).json)).not.toContain('whsec_')
    const bytes = await t.rawContents()
    expect(bytes.length).toBeGreaterThan(0)
    for (const needle of [secret, secret.slice(6), 'a-very-recognisable-signing-secret']) {
      expect(bytes.includes(Buffer.from(needle))).toBe(false)
    }
  })
})
