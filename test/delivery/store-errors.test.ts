/**
 * A store call failing after a claim (a lock error, a dropped connection) must not strand the claimed delivery in
 * flight until its lease runs out: the worker tries again until the outcome is recorded, and the delivery is sent once.
 */

import { Writable } from 'node:stream'
import SQLite from 'better-sqlite3'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createDeliveryRuntime } from '../../src/delivery/delivery-runtime.ts'
import { createLogger } from '../../src/logger.ts'
import type { Store } from '../../src/store/types.ts'
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

/** A webhook on the offer, one lead sent to it; answers the lead's id. */
async function leadWaitingForDelivery(): Promise<string> {
  const created = await api('POST', '/v1/destinations', { kind: 'webhook', name: 'hook', config: { url: sink.url } })
  expect(created.status).toBe(201)
  expect((await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: [created.json.id] })).status).toBe(200)
  const receipt = await api('POST', '/v1/leads', seedLead('AzureMarketplace-INS|contoso.crm-suite', johnSmith))
  expect(receipt.status).toBe(202)
  return receipt.json.leadId as string
}

/** A worker over `store`, as `serve` builds it; its log lines are collected. */
function workerOver(store: Store) {
  const lines: { level: number; msg: string }[] = []
  const log = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)))
        done()
      },
    }),
  )
  const config = loadConfig({ data: t.dataDir }, { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true' })
  const runtime = createDeliveryRuntime({ config, store, clock: t.clock, ids: createIdGenerator(t.clock), log })
  return { worker: runtime.worker, lines }
}

type StoreMethod = {
  [K in keyof Store]-?: Store[K] extends (...args: never[]) => Promise<unknown> ? K : never
}[keyof Store]

/** Fails the next `times` calls of `method` with the error SQLite gives when another connection holds the lock. */
function failing(store: Store, method: StoreMethod, times: number): Store {
  let left = times
  const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>
  return {
    ...store,
    [method]: (...args: unknown[]) => {
      if (left-- > 0) return Promise.reject(new SQLite.SqliteError('database is locked', 'SQLITE_BUSY'))
      return original(...args)
    },
  }
}

async function deliveryOf(leadId: string) {
  const lead = (await api('GET', `/v1/leads/${leadId}`)).json
  return lead.deliveries[0] as {
    state: string
    attempts: number
    nextAttemptAt: string | null
    attemptLog: { outcome: string }[]
  }
}

test('an outcome the store could not record at first is recorded when it can: delivered, sent once', async () => {
  const leadId = await leadWaitingForDelivery()
  const { worker, lines } = workerOver(failing(t.store, 'completeAttempts', 3))
  expect(await worker.runUntilIdle()).toBe(1)
  expect(sink.received).toHaveLength(1)
  const delivery = await deliveryOf(leadId)
  expect(delivery.state).toBe('delivered')
  expect(delivery.attemptLog.map((attempt) => attempt.outcome)).toEqual(['delivered'])
  expect((await t.store.listDeliveries(t.tenant.tenant.id, { state: 'in_flight' }, { limit: 10 })).items).toEqual([])
  expect(lines.filter((line) => line.msg === 'recording attempt outcomes failed; trying again')).toHaveLength(3)
  expect(lines.some((line) => line.msg === 'attempt could not be recorded')).toBe(false)
})

test('a read failing right after a claim does not leave the claimed delivery in flight', async () => {
  const leadId = await leadWaitingForDelivery()
  const { worker } = workerOver(failing(t.store, 'loadLeadHistories', 2))
  expect(await worker.runUntilIdle()).toBe(1)
  expect(sink.received).toHaveLength(1)
  expect((await deliveryOf(leadId)).state).toBe('delivered')
})

test('deliveries returned to the queue because of a hold are returned when the store lets them, not left in flight', async () => {
  const leadId = await leadWaitingForDelivery()
  // Another node recorded a rate limit on the destination between this worker's claim and its read of the destination.
  const heldUntil = t.clock.now() + 3000
  const store = failing(t.store, 'releaseDeliveries', 2)
  const { worker, lines } = workerOver({
    ...store,
    getDestinationById: async (id) => {
      const destination = await t.store.getDestinationById(id)
      return destination && { ...destination, heldUntil }
    },
  })
  await worker.runUntilIdle()
  expect(sink.received).toHaveLength(0)
  expect((await t.store.listDeliveries(t.tenant.tenant.id, { state: 'in_flight' }, { limit: 10 })).items).toEqual([])
  expect(await deliveryOf(leadId)).toMatchObject({
    state: 'queued',
    attempts: 0,
    nextAttemptAt: new Date(heldUntil).toISOString(),
  })
  expect(
    lines.filter((line) => line.msg === 'returning held deliveries to the queue failed; trying again'),
  ).toHaveLength(2)
  expect(lines.some((line) => line.msg === 'attempt could not be recorded')).toBe(false)

  t.clock.set(heldUntil)
  expect(await worker.runUntilIdle()).toBe(1)
  expect(sink.received).toHaveLength(1)
  expect((await deliveryOf(leadId)).state).toBe('delivered')
})
