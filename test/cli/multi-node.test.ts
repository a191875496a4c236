import { type ChildProcess, spawn } from 'node:child_process'
import pg from 'pg'
import { afterEach, describe, expect, test } from 'vitest'
import { verifyWebhook } from '../../src/destinations/webhook/signing.ts'
import { binPath, printedApiKey, type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl, urlWithSchema } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const children: ChildProcess[] = []
let sink: WebhookSink | undefined
let schema: string | undefined
afterEach(async () => {
  for (const child of children.splice(0)) await stopProcess(child, 'SIGKILL')
  await sink?.close()
  if (schema) await dropSchema(schema)
})

describe.skipIf(postgresSkipReason !== undefined)('several nodes on one PostgreSQL database', () => {
  test('two serve nodes and a worker: kill -9 of one node mid-delivery loses nothing, delivers each state once', async () => {
    schema = newSchemaName()
    const admin = new pg.Client({ connectionString: postgresUrl })
    await admin.connect()
    await admin.query(`create schema "${schema}"`)
    await admin.end()
    sink = await startWebhookSink({ reply: { status: 200, delayMs: 20 } })
    const env = {
      DATABASE_URL: urlWithSchema(schema),
      LEADRELAY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
      LEADRELAY_ATTEMPT_TIMEOUT: '2s',
      LEADRELAY_LEASE: '3s',
    }
    const dataA = createTempDir()
    const dataB = createTempDir()
    const a: RunningServe = await startServe(['--data', dataA.path, '--print-credentials'], env)
    children.push(a.child)
    const apiKey = printedApiKey(a)
    expect(apiKey).toBeDefined()
    const b: RunningServe = await startServe(['--data', dataB.path, '--print-credentials'], env)
    children.push(b.child)
    expect(b.errorOutput()).not.toContain('API key')
    const worker = spawn(process.execPath, [binPath, 'worker', '--data', dataA.path], {
      env: { ...process.env, LEADRELAY_LOG_LEVEL: 'warn', ...env },
      stdio: 'ignore',
    })
    children.push(worker)

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
    const secret = `whsec_${Buffer.from('multi-node-signing-secret-0123456789abcdef').toString('base64')}`
    const created = await fetch(`${a.url}/v1/destinations`, {
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
    const { id } = (await created.json()) as { id: string }
    await fetch(`${b.url}/v1/routes/default`, { method: 'PUT', headers, body: JSON.stringify({ destinations: [id] }) })

    const acknowledged = new Set<string>()
    let bKilled = false
    let stop = false
    const send = async (base: string, n: number) => {
      try {
        const response = await fetch(`${base}/v1/leads`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            LeadSource: `AzureMarketplace-${['StartTestDrive', 'INS', 'Create'][n % 3]}|contoso.crm-suite`,
            CustomerInfo: { Email: `customer${Math.floor(n / 3)}@example.com` },
          }),
        })
        if (response.status === 202) acknowledged.add(((await response.json()) as { leadId: string }).leadId)
      } catch {
        // The node died: not acknowledged.
      }
    }
    const lanes = Array.from({ length: 8 }, async (_, lane) => {
      for (let i = 0; !stop; i++) {
        const viaB = (lane + i) % 2 === 1 && !bKilled
        await send(viaB ? b.url : a.url, lane * 100_000 + i)
      }
    })
    while (sink.received.length < 60) await new Promise((resolve) => setTimeout(resolve, 10))
    b.child.kill('SIGKILL')
    bKilled = true
    await new Promise((resolve) => setTimeout(resolve, 500))
    stop = true
    await Promise.all(lanes)

    const open = async () => {
      let count = 0
      for (const state of ['queued', 'in_flight']) {
        const page = await fetch(`${a.url}/v1/deliveries?state=${state}&limit=500`, { headers })
        count += ((await page.json()) as { items: unknown[] }).items.length
      }
      return count
    }
    const deadline = Date.now() + 40_000
    while ((await open()) > 0) {
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }

    const idsByState = new Map<string, Set<string>>()
    const statesById = new Map<string, Set<string>>()
    const versionsInOrder = new Map<string, number[]>()
    const seenIds = new Set<string>()
    for (const request of sink.received) {
      expect(
        verifyWebhook({ secret, body: request.body, headers: request.headers, now: Date.now(), toleranceSeconds: 600 })
          .ok,
      ).toBe(true)
      const { data } = request.json as { data: { id: string; version: number } }
      const state = `${data.id}@${data.version}`
      const webhookId = request.headers['webhook-id']!
      idsByState.set(state, (idsByState.get(state) ?? new Set()).add(webhookId))
      statesById.set(webhookId, (statesById.get(webhookId) ?? new Set()).add(state))
      if (!seenIds.has(webhookId)) {
        seenIds.add(webhookId)
        versionsInOrder.set(data.id, [...(versionsInOrder.get(data.id) ?? []), data.version])
      }
    }
    for (const ids of idsByState.values()) expect(ids.size).toBe(1)
    for (const states of statesById.values()) expect(states.size).toBe(1)
    // Per (destination, lead) in order, across nodes: a lead's states arrive oldest to newest.
    for (const versions of versionsInOrder.values()) expect([...versions].sort((x, y) => x - y)).toEqual(versions)
    expect(acknowledged.size).toBeGreaterThan(10)
    for (const leadId of acknowledged) {
      const lead = (await (await fetch(`${a.url}/v1/leads/${leadId}`, { headers })).json()) as { version: number }
      expect(versionsInOrder.get(leadId)?.at(-1)).toBe(lead.version)
    }
    dataA.remove()
    dataB.remove()
  }, 120_000)
})
