/**
 * `leads import --indexes after` on SQLite, as an operator runs it: progress for the indexes built at the end, and a
 * `kill -9` in the middle that loses nothing the import had committed and leaves no index missing once the store is
 * opened again; importing the file again then gives exactly what one clean import gives.
 */

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { afterAll, expect, test } from 'vitest'
import { scaleEventRows } from '../../scripts/bench/scale-events.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { csvText } from '../../src/services/lead-files/csv-dialect.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { binPath, runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir('leadrelay-import-indexes-')
afterAll(() => dir.remove())

async function freshStore(name: string): Promise<string> {
  const data = `${dir.path}/${name}`
  const store = createSqliteStore({ filename: `${data}/leadrelay.db` })
  await store.migrate()
  const { tenant } = await createTenant(
    { store, clock: systemClock, ids: createIdGenerator(systemClock), publicUrl: 'http://localhost' },
    'contoso',
  )
  // Every event queues a delivery, which nothing sends here.
  await store.createDestination(
    {
      id: 'dst_hook',
      tenantId: tenant.id,
      kind: 'webhook',
      name: 'hook',
      config: { url: 'http://x' },
      maxConcurrency: 4,
    },
    systemClock.now(),
  )
  await store.setRoutes(tenant.id, 'default', ['dst_hook'])
  await store.close()
  return data
}

/** Every index of the store with its statement, the indexes still recorded as set aside, and what was imported. */
function contentsOf(data: string) {
  const database = openSqliteDatabase(`${data}/leadrelay.db`)
  try {
    const all = <T>(query: string) => database.prepare(query).all() as T[]
    return {
      indexes: all<{ name: string; sql: string }>(
        "select name, sql from sqlite_master where type = 'index' and sql is not null order by name",
      ),
      setAside: all<{ name: string }>('select name from deferred_indexes'),
      leads: all<Record<string, unknown>>(
        `select offer_key, merge_key, stage, do_not_contact, is_test, email, phone, event_count, first_event_at,
           last_event_at, version from leads order by offer_key, merge_key, first_event_at`,
      ),
      events: all<{ key: string }>('select idempotency_key as key from lead_events order by 1').map((row) => row.key),
      deliveries: all<{ count: number }>('select count(*) as count from deliveries')[0]?.count,
    }
  } finally {
    database.close()
  }
}

test('leads import --indexes after: progress, and a kill -9 mid-import that loses nothing and leaves no index missing', async () => {
  const file = `${dir.path}/events.csv`
  writeFileSync(file, csvText([...scaleEventRows({ events: 12_000, leads: 4_800, offers: 5 })]))

  const clean = await freshStore('clean')
  const whole = await runCli(['leads', 'import', file, '--data', clean, '--indexes', 'after', '--json'])
  expect(whole.code).toBe(0)
  expect(whole.stderr).toMatch(/Building indexes: 19\/19\nIndexes built in \d+\.\d s\.\nRead 12000 rows/)
  const expected = contentsOf(clean)
  expect(expected.setAside).toEqual([])
  expect(expected.events).toHaveLength(12_000)
  expect(expected.deliveries).toBe(12_000)

  const killed = await freshStore('killed')
  const child = spawn(process.execPath, [binPath, 'leads', 'import', file, '--data', killed, '--indexes', 'after'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  // Killed once a batch is committed, well before the end.
  const watcher = openSqliteDatabase(`${killed}/leadrelay.db`)
  const committed = () =>
    (watcher.prepare('select count(*) as count from lead_events').get() as { count: number }).count
  while (committed() === 0 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10))
  watcher.close()
  child.kill('SIGKILL')
  await once(child, 'exit')
  expect(stderr).not.toContain('Indexes built')
  const interrupted = contentsOf(killed)
  expect(interrupted.setAside.length).toBe(19)
  expect(interrupted.events.length).toBeGreaterThan(0)
  expect(interrupted.events.length).toBeLessThan(12_000)

  // Any command opens (and migrates) the store: the indexes are built before it goes on.
  const listed = await runCli(['leads', 'list', '--data', killed, '--limit', '1'])
  expect(listed.code).toBe(0)
  const reopened = contentsOf(killed)
  expect(reopened.indexes).toEqual(expected.indexes)
  expect(reopened.setAside).toEqual([])
  expect(reopened.events).toEqual(interrupted.events)

  const rest = await runCli(['leads', 'import', file, '--data', killed, '--indexes', 'after', '--json'])
  expect(rest.code).toBe(0)
  expect(JSON.parse(rest.stdout).skipped).toBe(interrupted.events.length)
  const { leads, events, deliveries, indexes, setAside } = contentsOf(killed)
  expect({ leads, events, deliveries, indexes, setAside }).toEqual({
    leads: expected.leads,
    events: expected.events,
    deliveries: expected.deliveries,
    indexes: expected.indexes,
    setAside: [],
  })
}, 180_000)

test('leads import --indexes names its modes', async () => {
  const data = await freshStore('modes')
  const file = `${dir.path}/one.csv`
  writeFileSync(file, 'eventId,leadSource,email\ne1,AzureMarketplace-INS|contoso.offer-01,ann@example.com\n')
  const refused = await runCli(['leads', 'import', file, '--data', data, '--indexes', 'later'])
  expect(refused.code).not.toBe(0)
  expect(refused.stderr).toContain('--indexes is one of auto, during, after')
  const help = await runCli(['leads', 'import', '--help'])
  expect(help.stdout + help.stderr).toContain('--indexes <mode>')
}, 60_000)
