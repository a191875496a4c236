import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { afterAll, expect, test } from 'vitest'
import { loadConfig } from '../../config.ts'
import { createSqliteStore } from './index.ts'
import { createIngestThread, spawnIngestThread } from './ingest-thread.ts'
import { defaultPageCacheMiB, openSqliteDatabase } from './open-database.ts'

const directory = mkdtempSync(join(os.tmpdir(), 'leadrelay-open-database-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

test("every connection to the store keeps up to 256 MiB of pages in its cache, not SQLite's default 2 MiB", () => {
  const filename = join(directory, 'store.db')
  const first = openSqliteDatabase(filename)
  const second = openSqliteDatabase(filename)
  try {
    expect(defaultPageCacheMiB).toBe(256)
    // A negative cache_size is a bound in KiB rather than a number of pages.
    for (const database of [first, second]) {
      expect(database.pragma('cache_size', { simple: true })).toBe(-256 * 1024)
      expect(database.pragma('journal_mode', { simple: true })).toBe('wal')
    }
  } finally {
    first.close()
    second.close()
  }
})

test('LEADRELAY_SQLITE_CACHE_MB bounds each connection, the ingest thread included; a bad value names the setting', async () => {
  expect(loadConfig({}, {}).sqlitePageCacheMiB).toBeUndefined()
  const { sqlitePageCacheMiB } = loadConfig({}, { LEADRELAY_SQLITE_CACHE_MB: '16' })
  expect(sqlitePageCacheMiB).toBe(16)
  for (const bad of ['0', '1.5', 'lots', '100000']) {
    expect(() => loadConfig({}, { LEADRELAY_SQLITE_CACHE_MB: bad })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'LEADRELAY_SQLITE_CACHE_MB' }),
    )
  }

  const filename = join(directory, 'small-cache.db')
  const database = openSqliteDatabase(filename, { pageCacheMiB: sqlitePageCacheMiB })
  try {
    expect(database.pragma('cache_size', { simple: true })).toBe(-16 * 1024)
  } finally {
    database.close()
  }

  const store = createSqliteStore({ filename })
  await store.migrate()
  await store.close()
  const spawnedWith: (number | undefined)[] = []
  const thread = createIngestThread({
    filename,
    pageCacheMiB: sqlitePageCacheMiB,
    spawn: (file, writeTurn, pageCacheMiB): Worker => {
      spawnedWith.push(pageCacheMiB)
      return spawnIngestThread(file, writeTurn, pageCacheMiB)
    },
  })
  try {
    await thread.record([], Date.now())
    expect(spawnedWith).toEqual([16])
  } finally {
    await thread.close()
  }
})
