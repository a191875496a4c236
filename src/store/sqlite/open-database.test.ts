import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { openSqliteDatabase, pageCacheKiB } from './open-database.ts'

const directory = mkdtempSync(join(os.tmpdir(), 'leadrelay-open-database-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

test("every connection to the store keeps up to 256 MiB of pages in its cache, not SQLite's default 2 MiB", () => {
  const filename = join(directory, 'store.db')
  const first = openSqliteDatabase(filename)
  const second = openSqliteDatabase(filename)
  try {
    expect(pageCacheKiB).toBe(256 * 1024)
    // A negative cache_size is a bound in KiB rather than a number of pages.
    for (const database of [first, second]) {
      expect(database.pragma('cache_size', { simple: true })).toBe(-pageCacheKiB)
      expect(database.pragma('journal_mode', { simple: true })).toBe('wal')
    }
  } finally {
    first.close()
    second.close()
  }
})
