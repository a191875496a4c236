/**
 * SQLite write transactions take the write lock when they begin. A transaction begun deferred reads under a
 * snapshot first; once another connection (the ingest thread, the HTTP thread) commits, its first write cannot
 * upgrade that stale snapshot and fails with SQLITE_BUSY at once, whatever the busy timeout.
 */

import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { type Migration, runMigrations } from '../../src/store/migrations.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const clock = createManualClock(Date.UTC(2026, 10, 25))
const ids = createIdGenerator(clock)

let dir: ReturnType<typeof createTempDir>
let filename: string
/** Another connection to the same file, as the ingest thread holds one; it never waits for a lock. */
let other: SQLite.Database

beforeEach(() => {
  dir = createTempDir()
  filename = `${dir.path}/leadrelay.db`
})
afterEach(() => {
  other?.close()
  dir.remove()
})

function openOther(): SQLite.Database {
  other = new SQLite(filename, { timeout: 0 })
  other.exec('create table if not exists elsewhere (n integer)')
  return other
}

/** Commits a row from the other connection; answers whether it could (it cannot while a writer holds the lock). */
function commitElsewhere(): boolean {
  try {
    other.prepare('insert into elsewhere (n) values (1)').run()
    return true
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false
    throw error
  }
}

describe('SQLite write transactions and other connections', () => {
  let store: Store

  afterEach(async () => {
    await store?.close()
  })

  test('a claim that has read its candidates still commits when another connection wants to write meanwhile', async () => {
    store = createSqliteStore({ filename })
    await store.migrate()
    const tenantId = await createTestTenant(store, { ids, clock })
    const destinationId = ids.next('dst')
    await store.createDestination(
      { id: destinationId, tenantId, kind: 'webhook', name: 'hook', config: { url: 'http://x' }, maxConcurrency: 4 },
      clock.now(),
    )
    await store.setRoutes(tenantId, 'default', [destinationId])
    await store.recordLeadEvents(
      [
        ingestItemOf(
          tenantId,
          { LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'a@example.com' } },
          { ids, clock },
        ),
      ],
      clock.now(),
    )
    openOther()
    let committedDuringClaim: boolean | undefined
    const claimed = await store.claimDeliveries({
      workerId: 'w1',
      now: clock.now(),
      leaseMs: 60_000,
      limit: 10,
      // Asked after the candidates were read, inside the claim's transaction: the other connection tries to commit.
      slotsFor: () => {
        committedDuringClaim ??= commitElsewhere()
        return 10
      },
    })
    expect(claimed.map((delivery) => delivery.state)).toEqual(['in_flight'])
    // The claim held the write lock from its start, so the other writer had to wait for it, and then gets through.
    expect(committedDuringClaim).toBe(false)
    expect(commitElsewhere()).toBe(true)
    const [stored] = (await store.listDeliveries(tenantId, { state: 'in_flight' }, { limit: 10 })).items
    expect(stored?.id).toBe(claimed[0]?.id)
  })

  test('a migration that reads before it writes is not failed by a commit of another connection', async () => {
    const database = openSqliteDatabase(filename)
    const db = createSqliteKysely(database)
    try {
      openOther()
      let committedDuringMigration: boolean | undefined
      const migration: Migration = {
        version: 1,
        name: 'reads-then-writes',
        async up(trx) {
          await sql`select count(*) from elsewhere`.execute(trx)
          committedDuringMigration = commitElsewhere()
          await sql`create table migrated (id integer primary key)`.execute(trx)
        },
      }
      const report = await runMigrations(db, [migration], clock.now)
      expect(report.applied).toEqual(['0001-reads-then-writes'])
      expect(committedDuringMigration).toBe(false)
      expect(commitElsewhere()).toBe(true)
    } finally {
      await db.destroy()
    }
  })
})

test('a migration another process applied while this one was starting is not applied again', async () => {
  const database = openSqliteDatabase(filename)
  const applyElsewhere = () => {
    const elsewhere = new SQLite(filename)
    elsewhere.exec(`begin immediate;
      create table migrated (id integer primary key);
      insert into schema_migrations (version, name, applied_at) values (1, 'creates-a-table', 0);
      commit`)
    elsewhere.close()
  }
  let appliedElsewhere = false
  let firstSelect: unknown
  // Right after this process read which migrations were applied (its first select), another one applies the first.
  const db = createSqliteKysely(database).withPlugin({
    transformQuery(args) {
      if (args.node.kind === 'SelectQueryNode') firstSelect ??= args.queryId
      return args.node
    },
    async transformResult(args) {
      if (!appliedElsewhere && args.queryId === firstSelect) {
        expect(args.result.rows).toEqual([])
        appliedElsewhere = true
        applyElsewhere()
      }
      return args.result
    },
  })
  try {
    const migrations: Migration[] = [
      {
        version: 1,
        name: 'creates-a-table',
        up: (trx) => sql`create table migrated (id integer primary key)`.execute(trx).then(() => undefined),
      },
      {
        version: 2,
        name: 'adds-a-column',
        up: (trx) => sql`alter table migrated add column name text`.execute(trx).then(() => undefined),
      },
    ]
    const report = await runMigrations(db, migrations, clock.now)
    expect(appliedElsewhere).toBe(true)
    expect(report.applied).toEqual(['0002-adds-a-column'])
    expect(database.prepare('select version from schema_migrations order by version').all()).toEqual([
      { version: 1 },
      { version: 2 },
    ])
  } finally {
    await db.destroy()
  }
})
