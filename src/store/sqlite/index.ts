/** The embedded store: one SQLite file in WAL mode, fsynced on every commit; write transactions begin immediate. */

import { createKyselyStore } from '../kysely-store.ts'
import type { Store, StoreCapabilities } from '../types.ts'
import { sqliteBookkeepingTransaction } from './bookkeeping-transaction.ts'
import { createSqliteIndexDeferral } from './deferred-indexes.ts'
import { createSqliteIngest } from './ingest-statements.ts'
import { createIngestThread } from './ingest-thread.ts'
import { sqliteMigrations } from './migrations/index.ts'
import { openSqliteDatabase } from './open-database.ts'
import { createSqliteKysely } from './sqlite-kysely.ts'
import { writeTurnBuffer, writeTurnOf } from './write-turn.ts'

export interface SqliteStoreOptions {
  /** Path of the database file, or `:memory:`. Its folder is created if missing. */
  readonly filename: string
  /**
   * Commit lead events on a thread of their own with its own connection (ingest-thread.ts), so that the main event
   * loop never waits for their statements and fsync. Stores opened from the config (every command) do; a file
   * database only.
   */
  readonly ingestThread?: boolean
  /** Each connection's page cache bound in MiB (open-database.ts; LEADRELAY_SQLITE_CACHE_MB). */
  readonly pageCacheMiB?: number | undefined
}

/** How SQLite differs (types.ts `StoreCapabilities`); two ingest batches in flight with the ingest thread. */
export const sqliteCapabilities: StoreCapabilities = {
  rowLocks: false,
  plannerStatistics: false,
  secureDelete: true,
  ingestBatchesInFlight: 1,
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const database = openSqliteDatabase(options.filename, { pageCacheMiB: options.pageCacheMiB })
  const db = createSqliteKysely(database)
  const onFile = options.filename !== ':memory:'
  // Bookkeeping and the ingest thread's commits take turns at the write lock (write-turn.ts).
  const turn = onFile ? writeTurnOf(options.filename) : undefined
  const ingestThread =
    options.ingestThread && onFile
      ? createIngestThread({
          filename: options.filename,
          writeTurn: writeTurnBuffer(options.filename),
          pageCacheMiB: options.pageCacheMiB,
        })
      : undefined
  const bookkeepingTransaction = sqliteBookkeepingTransaction(db, turn)
  return createKyselyStore({
    db,
    recordBatch: ingestThread
      ? (items, now) => ingestThread.record(items, now)
      : createSqliteIngest(database, (work) => db.connection().execute(work)),
    bookkeepingTransaction,
    indexDeferral: createSqliteIndexDeferral(db, bookkeepingTransaction),
    capabilities: { ...sqliteCapabilities, ingestBatchesInFlight: ingestThread ? 2 : 1 },
    migrations: sqliteMigrations,
    ...(ingestThread && { onClose: () => ingestThread.close() }),
  })
}
