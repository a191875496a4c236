/** One connection to the embedded store's file, with the settings every connection to it uses. */

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite, { type Database } from 'better-sqlite3'

export function openSqliteDatabase(filename: string): Database {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
  const database = new SQLite(filename)
  database.pragma('journal_mode = WAL')
  // FULL fsyncs the WAL on every commit: an acknowledged lead survives power loss, not only a process crash.
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  return database
}
