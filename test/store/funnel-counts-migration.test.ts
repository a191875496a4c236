/**
 * Migration 0012 (SQLite) / 0013 (PostgreSQL) on a store that already holds leads: what it fills in from the stored
 * events (each lead's first time and source per stage, and the counters) equals what ingest keeps when the same
 * events are recorded with the migrations in place. Its triggers are dropped again by 0016 / 0017, which then keep the
 * counters as the code left them.
 */

import Database from 'better-sqlite3'
import pg from 'pg'
import { afterEach, describe, expect, test } from 'vitest'
import { stages } from '../../src/core/funnel.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createPostgresStore } from '../../src/store/postgres/index.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const hour = 3_600_000
const day = 24 * hour
const start = Date.UTC(2026, 4, 4)

type Run = (statement: string) => Promise<Record<string, unknown>[]>

const reachedColumns = stages.flatMap((stage) => [`reached_${stage}_at`, `reached_${stage}_source`])

/** Leads of two offers and a test lead; events out of order, and two first events of a stage at the same time. */
async function recordHistory(store: Store): Promise<string> {
  const clock = createManualClock(start + 10 * day)
  const ids = createIdGenerator(clock)
  const tenantId = await createTestTenant(store, { ids, clock })
  const events: [string, string, number][] = [
    ['AzureMarketplace-INS|contoso.alpha', 'ana@contoso.example', 3 * day],
    ['TestDrive-StartTestDrive|contoso.alpha', 'ana@contoso.example', day + 5 * hour],
    ['SPZA-INS|contoso.alpha', 'ana@contoso.example', day],
    ['AzurePortal-Create|contoso.alpha', 'ben@contoso.example', 2 * day],
    ['SPZA-PLT|contoso.alpha', 'ben@contoso.example', 2 * day],
    ['AzureMarketplace-DNC|Beta Suite', 'cy@fabrikam.example', 4 * day],
    ['AzureMarketplace-INS|Beta Suite', 'cy@fabrikam.example', 6 * day],
    ['AzureMarketplace-INS|contoso.alpha', 'MSFT_TEST_636573304831318844@test.com', day],
  ]
  for (const [leadSource, email, at] of events) {
    clock.advance(60_000)
    const body = {
      LeadSource: leadSource,
      CustomerInfo: { Email: email },
      OccurredAt: new Date(start + at).toISOString(),
    }
    const [outcome] = await store.recordLeadEvents([ingestItemOf(tenantId, body, { ids, clock })], clock.now())
    expect(outcome?.status).toBe('recorded')
  }
  return tenantId
}

async function snapshot(run: Run) {
  return {
    leads: await run(`select id, ${reachedColumns.join(', ')} from leads order by id`),
    counters: await run(
      'select tenant_id, measure, offer_key, day, stage, source, leads from funnel_counts where leads <> 0 order by 1, 2, 3, 4, 5, 6',
    ),
  }
}

/**
 * Takes the migration back out with the one that drops its triggers (`triggersDropped`): counters and columns gone,
 * and neither recorded as applied any more.
 */
async function unapply(run: Run, version: number, triggersDropped: number) {
  await run('drop table funnel_counts')
  for (const column of reachedColumns) await run(`alter table leads drop column ${column}`)
  await run(`delete from schema_migrations where version in (${version}, ${triggersDropped})`)
}

/** The triggers on `leads`, by name. */
const triggersOnLeads = {
  sqlite: "select name from sqlite_master where type = 'trigger' and tbl_name = 'leads'",
  postgres: "select tgname as name from pg_trigger where tgrelid = 'leads'::regclass and not tgisinternal",
}

function expectFilledAsRecorded(before: Awaited<ReturnType<typeof snapshot>>, after: typeof before) {
  // The history has something of each measure, a tie and an out-of-order first event, so equality says something.
  expect(before.counters.map((row) => row.measure)).toEqual(expect.arrayContaining(['new', 'trialed', 'reached']))
  expect(before.leads.length).toBe(4)
  expect(after).toEqual(before)
}

describe('SQLite migrations 0012 and 0016', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
  })

  test('fills first times and counters from the stored events as ingest keeps them', async () => {
    const dir = createTempDir()
    const filename = `${dir.path}/leadrelay.db`
    const store = createSqliteStore({ filename })
    const database = new Database(filename)
    close = async () => {
      database.close()
      await store.close()
      dir.remove()
    }
    await store.migrate()
    await recordHistory(store)
    const run: Run = async (statement) => {
      const prepared = database.prepare(statement)
      if (prepared.reader) return prepared.all() as Record<string, unknown>[]
      prepared.run()
      return []
    }
    expect(await run(triggersOnLeads.sqlite)).toEqual([])
    const before = await snapshot(run)
    await unapply(run, 12, 16)
    expect((await store.migrate()).applied).toEqual(['0012-funnel-counts', '0016-funnel-counters-in-code'])
    expect(await run(triggersOnLeads.sqlite)).toEqual([])
    expectFilledAsRecorded(before, await snapshot(run))
  })
})

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL migrations 0013 and 0017', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
  })

  test('fills first times and counters from the stored events as ingest keeps them', async () => {
    const schema = newSchemaName()
    const store = createPostgresStore({ connectionString: postgresUrl, schema, poolSize: 2 })
    await store.migrate()
    const client = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${schema}` })
    await client.connect()
    close = async () => {
      await client.end()
      await store.close()
      await dropSchema(schema)
    }
    await recordHistory(store)
    const run: Run = async (statement) => (await client.query(statement)).rows
    expect(await run(triggersOnLeads.postgres)).toEqual([])
    const before = await snapshot(run)
    await unapply(run, 13, 17)
    expect((await store.migrate()).applied).toEqual(['0013-funnel-counts', '0017-funnel-counters-in-code'])
    expect(await run(triggersOnLeads.postgres)).toEqual([])
    expectFilledAsRecorded(before, await snapshot(run))
  })
})
