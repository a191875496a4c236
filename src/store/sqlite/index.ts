/** The embedded store: one SQLite file in WAL mode, fsynced on every commit. */

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { createKyselyStore } from '../kysely-store.ts'
import type { Database } from '../schema.ts'
import type { Store } from '../types.ts'
import { sqliteBookkeepingTransaction } from './bookkeeping-transaction.ts'
import { createSqliteIngest } from './ingest-statements.ts'
import { sqliteMigrations } from './migrations/index.ts'
import { withStatementCache } from './statement-cache.ts'

export interface SqliteStoreOptions {
  /** Path of the database file, or `:memory:`. Its folder is created if missing. */
  readonly filename: string
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true })
  const database = new SQLite(options.filename)
  database.pragma('journal_mode = WAL')
  // FULL fsyncs the WAL on every commit: an acknowledged lead survives power loss, not only a process crash.
  database.pragma('synchronous = FULL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) })
  return createKyselyStore({
    db,
    recordBatch: createSqliteIngest(database, db),
    bookkeepingTransaction: sqliteBookkeepingTransaction(db),
    capabilities: { dialect: 'sqlite', concurrentWorkers: false, listenNotify: false },
    migrations: sqliteMigrations,
  })
}
