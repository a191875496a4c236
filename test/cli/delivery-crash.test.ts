import { afterEach, expect, test } from 'vitest'
import { verifyWebhook } from '../../src/destinations/webhook/signing.ts'
import { printedApiKey, type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const running: RunningServe[] = []
let sink: WebhookSink | undefined
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child, 'SIGKILL')
  await sink?.close()
})

const env = {
  LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
  // Short leases so the deliveries the killed process held come back within the test.
  LEADRELAY_ATTEMPT_TIMEOUT: '2s',
  LEADRELAY_LEASE: '3s',
}

test('kill -9 mid-delivery loses nothing: every acknowledged lead state reaches the sink under one webhook-id', async () => {
  const dir = createTempDir()
  sink = await startWebhookSink({ reply: { status: 200, delayMs: 15 } })
  const first = await startServe(['--data', dir.path, '--print-credentials'], env)
  running.push(first)
  const apiKey = printedApiKey(first)
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
  const secret = `whsec_${Buffer.from('crash-test-signing-secret-0123456789abcdef').toString('base64')}`
  const created = await fetch(`${first.url}/v1/destinations`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      kind: 'webhook',
      name: 'sink',
      config: { url: sink.url },
      secrets: { signingSecret: secret },
    }),
  })
  expect(created.status).toBe(201)
  const destination = (await created.json()) as { id: string }
  await fetch(`${first.url}/v1/routes/default`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ destinations: [destination.id] }),
  })

  const acknowledgedLeads = new Set<string>()
  let killed = false
  const send = async (base: string, n: number) => {
    try {
      const response = await fetch(`${base}/v1/leads`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          LeadSource: `AzureMarketplace-${['StartTestDrive', 'INS', 'Create'][n % 3]}|contoso.crm-suite`,
          // Three events per customer, so some leads change while their earlier state is being delivered.
          CustomerInfo: { Email: `customer${Math.floor(n / 3)}@example.com` },
        }),
      })
      if (response.status === 202) acknowledgedLeads.add(((await response.json()) as { leadId: string }).leadId)
    } catch {
      // Died with the server: never acknowledged.
    }
  }
  const lanes = Array.from({ length: 10 }, async (_, lane) => {
    for (let i = 0; !killed; i++) await send(first.url, lane * 100_000 + i)
  })
  while (sink.received.length < 50) await new Promise((resolve) => setTimeout(resolve, 10))
  first.child.kill('SIGKILL')
  killed = true
  await Promise.all(lanes)

  const second = await startServe(['--data', dir.path, '--print-credentials'], env)
  running.push(second)
  const pending = async () => {
    let open = 0
    for (const state of ['queued', 'in_flight']) {
      const page = await fetch(`${second.url}/v1/deliveries?state=${state}&limit=500`, { headers })
      open += ((await page.json()) as { items: unknown[] }).items.length
    }
    return open
  }
  const deadline = Date.now() + 30_000
  while ((await pending()) > 0) {
    expect(Date.now()).toBeLessThan(deadline)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }

  const webhookIdsByState = new Map<string, Set<string>>()
  const statesByWebhookId = new Map<string, Set<string>>()
  const newestVersionSeen = new Map<string, number>()
  for (const request of sink.received) {
    const check = verifyWebhook({
      secret,
      body: request.body,
      headers: request.headers,
      now: Date.now(),
      toleranceSeconds: 600,
    })
    expect(check.ok).toBe(true)
    const { data } = request.json as { data: { id: string; version: number } }
    const state = `${data.id}@${data.version}`
    const id = request.headers['webhook-id']!
    webhookIdsByState.set(state, (webhookIdsByState.get(state) ?? new Set()).add(id))
    statesByWebhookId.set(id, (statesByWebhookId.get(id) ?? new Set()).add(state))
    newestVersionSeen.set(data.id, Math.max(newestVersionSeen.get(data.id) ?? 0, data.version))
  }
  for (const ids of webhookIdsByState.values()) expect(ids.size).toBe(1)
  for (const states of statesByWebhookId.values()) expect(states.size).toBe(1)

  expect(acknowledgedLeads.size).toBeGreaterThan(10)
  for (const leadId of acknowledgedLeads) {
    const lead = (await (await fetch(`${second.url}/v1/leads/${leadId}`, { headers })).json()) as { version: number }
    // The lead's final state, whatever it is after the crash, reached the sink.
    expect(newestVersionSeen.get(leadId)).toBe(lead.version)
  }
  await stopProcess(second.child)
  dir.remove()
}, 90_000)
