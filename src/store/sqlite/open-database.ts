/** One connection to the embedded store's file, with the settings every connection to it uses. */

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite, { type Database } from 'better-sqlite3'

/**
 * How long a statement waits for a lock another connection holds before it fails with SQLITE_BUSY. Every write
 * transaction takes the write lock as it begins (sqlite-kysely.ts), so this wait is where writers queue; they hold
 * it for milliseconds (commits are fsynced after the lock is released or skip fsync, docs/decisions/0003 and 0005).
 */
export const busyTimeoutMs = 5000

/**
 * The most memory one connection's page cache may hold unless the configuration says otherwise
 * (LEADRELAY_SQLITE_CACHE_MB; SQLite's own default is 2 MiB). Pages are cached as they are read, so a store smaller
 * than this never fills it; a large one does, and then every connection holds this much.
 */
export const defaultPageCacheMiB = 256

export interface SqliteConnectionOptions {
  /** The most memory the connection's page cache may hold, in MiB (default `defaultPageCacheMiB`). */
  readonly pageCacheMiB?: number | undefined
}

export function openSqliteDatabase(filename: string, options: SqliteConnectionOptions = {}): Database {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
  // The busy timeout comes first: switching to WAL already takes a lock another connection may hold.
  const database = new SQLite(filename, { timeout: busyTimeoutMs })
  database.pragma('journal_mode = WAL')
  // FULL fsyncs the WAL on every commit: an acknowledged lead survives power loss, not only a process crash.
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  // Freed cell space in a page is zeroed (no extra I/O): copies of rows that a page split, an update or a retention
  // delete left behind in free space would otherwise outlive a customer's erasure (docs/privacy.md).
  database.pragma('secure_delete = fast')
  // With 2 MiB, a store of a million events misses the cache on nearly every index page an insert or a lookup
  // touches (the keys are random), and reads each from the file again (docs/import-export.md, "Bulk import").
  // A negative cache_size is a bound in KiB rather than a number of pages.
  database.pragma(`cache_size = -${Math.round((options.pageCacheMiB ?? defaultPageCacheMiB) * 1024)}`)
  return database
}
