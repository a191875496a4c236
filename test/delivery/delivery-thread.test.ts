/**
 * `serve` runs the delivery worker on a thread of its own with its own store connection: what the HTTP thread stores,
 * the thread delivers; it stops with the server, and a thread that dies is started again.
 */

import { Writable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import { afterEach, expect, test } from 'vitest'
import { type Config, loadConfig } from '../../src/config.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { spawnDeliveryThread, startDeliveryThread } from '../../src/delivery/delivery-thread.ts'
import { createLogger } from '../../src/logger.ts'
import { createServer, type Server, type WorkerPlacement } from '../../src/server.ts'
import { type CreatedTenant, createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface World {
  readonly config: Config
  readonly store: Store
  readonly server: Server
  readonly tenant: CreatedTenant
  readonly sink: WebhookSink
}

/** A server on a SQLite file with a webhook destination on the default route, its worker placed as asked. */
async function world(workerPlacement: WorkerPlacement): Promise<World> {
  const dir = createTempDir()
  cleanups.push(() => dir.remove())
  const sink = await startWebhookSink({ reply: { status: 200 } })
  cleanups.push(() => sink.close())
  const config = loadConfig({ data: dir.path }, { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true' })
  const store = createSqliteStore({ filename: config.sqliteFile })
  await store.migrate()
  cleanups.push(() => store.close())
  const ids = createIdGenerator(systemClock)
  const tenant = await createTenant({ store, clock: systemClock, ids, publicUrl: config.publicUrl }, 'contoso')
  const server = createServer({ config, store, clock: systemClock, ids, workerPlacement })
  cleanups.push(() => server.close())
  const headers = { authorization: `Bearer ${tenant.apiKey}` }
  const created = await server.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers,
    payload: { kind: 'webhook', name: 'sink', config: { url: sink.url } },
  })
  expect(created.statusCode).toBe(201)
  const destinationId = created.json<{ id: string }>().id
  const routed = await server.app.inject({
    method: 'PUT',
    url: '/v1/routes/default',
    headers,
    payload: { destinations: [destinationId] },
  })
  expect(routed.statusCode).toBe(200)
  return { config, store, server, tenant, sink }
}

async function sendLeads({ server, tenant }: World, prefix: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: { authorization: `Bearer ${tenant.apiKey}` },
      payload: {
        LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
        CustomerInfo: { Email: `${prefix}${n}@example.com` },
      },
    })
    expect(response.statusCode).toBe(202)
  }
}

function deliveredEmails(sink: WebhookSink): Set<string> {
  return new Set(
    sink.received.map((request) => (request.json as { data: { customer: { email: string } } }).data.customer.email),
  )
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function queued({ store, tenant }: World): Promise<number> {
  const page = await store.listDeliveries(tenant.tenant.id, { state: 'queued' }, { limit: 100 })
  return page.items.length
}

test('the delivery thread delivers what the HTTP thread stores, and stops with the server', async () => {
  const system = await world('thread')
  await sendLeads(system, 'thread', 25)
  // The in-process worker never started: only the thread can have delivered these.
  await waitFor(() => deliveredEmails(system.sink).size === 25)
  expect(deliveredEmails(system.sink)).toEqual(new Set(Array.from({ length: 25 }, (_, n) => `thread${n}@example.com`)))
  expect(await queued(system)).toBe(0)

  await system.server.close()
  const received = system.sink.received.length
  // After the server (and its thread) stopped, what is stored waits in the queue.
  const ids = createIdGenerator(systemClock)
  const stillOpen = createServer({ ...system, clock: systemClock, ids, workerPlacement: 'none' })
  cleanups.push(() => stillOpen.close())
  await sendLeads({ ...system, server: stillOpen }, 'after', 3)
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(system.sink.received.length).toBe(received)
  expect(await queued(system)).toBe(3)
})

test('a delivery thread that dies is started again and delivers what waited', async () => {
  const system = await world('none')
  await sendLeads(system, 'waiting', 10)
  expect(await queued(system)).toBe(10)

  const lines: string[] = []
  const log = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    }),
  )
  let spawned = 0
  const thread = startDeliveryThread({
    config: system.config,
    log,
    restartDelayMs: 50,
    spawn(config) {
      spawned++
      // The first thread dies at once, as a crash would end it.
      return spawned === 1 ? new Worker('process.exit(3)', { eval: true }) : spawnDeliveryThread(config)
    },
  })
  cleanups.push(() => thread.stop())
  await waitFor(() => deliveredEmails(system.sink).size === 10)
  expect(spawned).toBe(2)
  const ended = lines.map((line) => JSON.parse(line) as { msg: string; code?: number }).find((line) => line.code === 3)
  expect(ended?.msg).toMatch(/delivery thread ended; starting it again/)
  await thread.stop()
  expect(await queued(system)).toBe(0)
})
