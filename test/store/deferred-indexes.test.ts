/**
 * A large bulk import on SQLite sets aside the indexes only reads use and builds them at its end
 * (src/store/sqlite/deferred-indexes.ts, `Store.runBulkImport`). Every index of the tables an import writes is either
 * kept (ingest or the delivery worker reads it) or set aside, by name; the indexes built again are the ones dropped,
 * statement for statement, whether the import ends, fails, or is killed (then the next `migrate` builds them).
 */

import type { Database as SqliteDatabase } from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createTenant } from '../../src/services/tenants.ts'
import {
  createSqliteIndexDeferral,
  indexesDeferredDuringBulkImport,
  indexesKeptDuringBulkImport,
  minimumRowsToDefer,
} from '../../src/store/sqlite/deferred-indexes.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir()
afterAll(() => dir.remove())
let stores = 0

/** A migrated store on a file of its own, and a second connection to look at its schema. */
async function openStore() {
  const filename = `${dir.path}/store-${++stores}.db`
  const store = createSqliteStore({ filename, ingestThread: true })
  await store.migrate()
  return { filename, store, watcher: openSqliteDatabase(filename) }
}

/** Each index of the tables a bulk import writes, with the statement that made it (automatic ones have none). */
function indexesOf(database: SqliteDatabase): Map<string, string> {
  const rows = database
    .prepare(
      `select name, sql from sqlite_master where type = 'index' and sql is not null
         and tbl_name in ('leads', 'lead_events', 'deliveries')`,
    )
    .all() as { name: string; sql: string }[]
  return new Map(rows.map((row) => [row.name, row.sql]))
}

function pendingOf(database: SqliteDatabase): string[] {
  return (database.prepare('select name from deferred_indexes order by name').all() as { name: string }[]).map(
    (row) => row.name,
  )
}

describe('indexes set aside during a bulk import (SQLite)', () => {
  test('every index of leads, lead events and deliveries is either kept or set aside, by name', async () => {
    const { store, watcher } = await openStore()
    try {
      const names = [...indexesOf(watcher).keys()].sort()
      expect(names).toEqual([...indexesKeptDuringBulkImport, ...indexesDeferredDuringBulkImport].sort())
    } finally {
      watcher.close()
      await store.close()
    }
  })

  test('set aside while the import runs, then built again statement for statement', async () => {
    const { store, watcher } = await openStore()
    try {
      const before = indexesOf(watcher)
      const progress: [number, number][] = []
      const during = await store.runBulkImport(
        { expectedRows: 50_000, onIndexProgress: (built, total) => progress.push([built, total]) },
        async () => ({ indexes: indexesOf(watcher), pending: pendingOf(watcher) }),
      )
      expect([...during.indexes.keys()].sort()).toEqual([...indexesKeptDuringBulkImport].sort())
      expect(during.pending).toEqual([...indexesDeferredDuringBulkImport].sort())
      const total = indexesDeferredDuringBulkImport.length
      expect(progress[0]).toEqual([0, total])
      expect(progress.at(-1)).toEqual([total, total])
      expect(indexesOf(watcher)).toEqual(before)
      expect(pendingOf(watcher)).toEqual([])
    } finally {
      watcher.close()
      await store.close()
    }
  })

  test('an import that fails still builds them, and its error is the one thrown', async () => {
    const { store, watcher } = await openStore()
    try {
      const before = indexesOf(watcher)
      const failure = new Error('the file ended in the middle of a row')
      await expect(
        store.runBulkImport({ expectedRows: 1, indexes: 'after' }, async () => {
          expect(indexesOf(watcher).size).toBe(indexesKeptDuringBulkImport.length)
          throw failure
        }),
      ).rejects.toBe(failure)
      expect(indexesOf(watcher)).toEqual(before)
    } finally {
      watcher.close()
      await store.close()
    }
  })

  test('a killed import leaves them recorded, and the next open of the store builds them', async () => {
    const { filename, store, watcher } = await openStore()
    const before = indexesOf(watcher)
    await store.close()
    // What a killed `leads import` leaves behind: the indexes dropped, their definitions recorded, nothing built.
    const killed = openSqliteDatabase(filename)
    const db = createSqliteKysely(killed)
    await createSqliteIndexDeferral(db, (work) => db.transaction().execute(work)).setAside(Date.now())
    await db.destroy()
    expect(indexesOf(watcher).size).toBe(indexesKeptDuringBulkImport.length)
    expect(pendingOf(watcher)).toHaveLength(indexesDeferredDuringBulkImport.length)

    const reopened = createSqliteStore({ filename, ingestThread: true })
    try {
      await reopened.migrate()
      expect(indexesOf(watcher)).toEqual(before)
      expect(pendingOf(watcher)).toEqual([])
    } finally {
      watcher.close()
      await reopened.close()
    }
  })

  test('by default only an import of many rows beside the leads stored sets them aside', async () => {
    const { store, watcher } = await openStore()
    try {
      const deferred = async (expectedRows: number, indexes?: 'during') => {
        let setAside = false
        await store.runBulkImport(
          {
            expectedRows,
            ...(indexes && { indexes }),
            onIndexProgress: (built) => {
              if (built === 0) setAside = true
            },
          },
          async () => undefined,
        )
        return setAside
      }
      expect(await deferred(minimumRowsToDefer - 1)).toBe(false)
      expect(await deferred(minimumRowsToDefer)).toBe(true)
      expect(await deferred(1_000_000, 'during')).toBe(false)

      // A store already holding more leads than the file has rows keeps its indexes up as it goes.
      const clock = createManualClock(Date.UTC(2026, 0, 5, 9))
      const { tenant } = await createTenant(
        { store, clock, ids: createIdGenerator(clock), publicUrl: 'http://localhost' },
        'many',
      )
      watcher.exec(`
        with recursive n(i) as (select 1 union all select i + 1 from n where i < ${minimumRowsToDefer + 1})
        insert into leads (id, tenant_id, offer_key, merge_key, stage, do_not_contact, is_test, event_count,
          first_event_at, last_event_at, created_at, updated_at, version)
        select 'ld_' || i, '${tenant.id}', 'offer', 'customer' || i, 'trial', 0, 0, 1, i, i, i, i, 1 from n`)
      expect(await deferred(minimumRowsToDefer)).toBe(false)
      expect(await deferred(minimumRowsToDefer + 1)).toBe(true)
      expect(indexesOf(watcher).size).toBe(indexesKeptDuringBulkImport.length + indexesDeferredDuringBulkImport.length)
    } finally {
      watcher.close()
      await store.close()
    }
  })
})
