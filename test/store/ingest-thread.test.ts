import { Worker } from 'node:worker_threads'
import SQLite from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { createIngestThread, spawnIngestThread } from '../../src/store/sqlite/ingest-thread.ts'
import type { IngestItem } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const clock = createManualClock(Date.UTC(2026, 10, 26))
const ids = createIdGenerator(clock)
let dir: ReturnType<typeof createTempDir>
let file: string
let tenantId: string

beforeEach(async () => {
  dir = createTempDir()
  file = `${dir.path}/leadrelay.db`
  const store = createSqliteStore({ filename: file })
  await store.migrate()
  tenantId = await createTestTenant(store, { ids, clock })
  await store.close()
})
afterEach(() => dir.remove())

function item(email: string, action = 'INS'): IngestItem {
  const body = { LeadSource: `AzureMarketplace-${action}|contoso.crm-suite`, CustomerInfo: { Email: email } }
  return ingestItemOf(tenantId, body, { ids, clock })
}

function storedEventIds(): string[] {
  const database = new SQLite(file, { readonly: true })
  try {
    return database.prepare('select id from lead_events order by seq').pluck().all() as string[]
  } finally {
    database.close()
  }
}

describe('SQLite ingest thread', () => {
  test('answers each batch once it is committed; every batch sent before close is answered', async () => {
    const thread = createIngestThread({ filename: file })
    const batches = [
      [item('a@example.com'), item('b@example.com')],
      [item('a@example.com', 'PLT')],
      [item('c@example.com')],
    ]
    const answers = batches.map((batch) => thread.record(batch, clock.now()))
    await thread.close()
    const outcomes = await Promise.all(answers)
    expect(outcomes.map((batch) => batch.map((outcome) => outcome.status))).toEqual([
      ['recorded', 'recorded'],
      ['recorded'],
      ['recorded'],
    ])
    // The second batch merged into the lead the first one created.
    const leadIds = outcomes.flat().map((outcome) => (outcome.status === 'recorded' ? outcome.receipt.leadId : ''))
    expect(leadIds[2]).toBe(leadIds[0])
    expect(new Set(leadIds).size).toBe(3)
    expect(storedEventIds()).toEqual(batches.flat().map((sent) => sent.eventId))
    await expect(thread.record([item('d@example.com')], clock.now())).rejects.toThrow(/closed/)
  })

  test('a thread that dies fails the batches it had not answered, and the next batch starts a new one', async () => {
    let spawned = 0
    const thread = createIngestThread({
      filename: file,
      spawn: (filename) => {
        spawned++
        return spawned === 1
          ? new Worker('setTimeout(() => process.exit(3), 50)', { eval: true })
          : spawnIngestThread(filename)
      },
    })
    const lost = item('lost@example.com')
    await expect(thread.record([lost], clock.now())).rejects.toThrow(
      /ingest thread ended before it answered \(exit code 3\)/,
    )
    const kept = item('kept@example.com')
    const [outcome] = await thread.record([kept], clock.now())
    expect(outcome?.status).toBe('recorded')
    expect(spawned).toBe(2)
    await thread.close()
    expect(storedEventIds()).toEqual([kept.eventId])
  })

  test('delivery ids are made on the thread, one per routed destination', async () => {
    const database = new SQLite(file)
    database
      .prepare(
        `insert into destinations (id, tenant_id, kind, name, config, state, state_changed_at, max_concurrency,
           created_at, updated_at) values ('dst_1', ?, 'webhook', 'hook', '{}', 'active', 0, 4, 0, 0)`,
      )
      .run(tenantId)
    database
      .prepare(`insert into routes (tenant_id, scope, destination_id) values (?, 'default', 'dst_1')`)
      .run(tenantId)
    database.close()
    const thread = createIngestThread({ filename: file })
    const [outcome] = await thread.record([item('routed@example.com')], clock.now())
    await thread.close()
    expect(outcome?.status === 'recorded' && outcome.receipt.deliveries).toBe(1)
    const reader = new SQLite(file, { readonly: true })
    const deliveries = reader.prepare('select id from deliveries').pluck().all() as string[]
    reader.close()
    expect(deliveries).toHaveLength(1)
    expect(deliveries[0]).toMatch(/^dlv_[0-9A-Z]{26}$/)
  })
})
