/**
 * Kysely over one SQLite connection, with every transaction begun `IMMEDIATE`: it takes the write lock when it
 * begins, waiting for it up to the connection's busy timeout.
 *
 * Kysely's own driver begins `DEFERRED`: the transaction reads under a snapshot and asks for the write lock at its
 * first write. When another connection (the ingest thread, the delivery thread, the HTTP thread) committed in between,
 * that snapshot is stale and cannot become a writer: SQLite answers SQLITE_BUSY ("database is locked") at once, and
 * the busy timeout does not apply. Every transaction of the store writes, so every one begins immediate.
 */

import type { Database as SqliteDatabase } from 'better-sqlite3'
import { CompiledQuery, type DatabaseConnection, Kysely, SqliteDialect, SqliteDriver } from 'kysely'
import type { Database } from '../schema.ts'
import { withStatementCache } from './statement-cache.ts'

/** How every write transaction on the embedded store begins (the ingest path prepares the same statement). */
export const beginWriteTransaction = 'begin immediate'

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(beginWriteTransaction))
  }
}

/** The store's Kysely on `database` (opened by openSqliteDatabase): cached statements, transactions that write. */
export function createSqliteKysely(database: SqliteDatabase): Kysely<Database> {
  const config = { database: withStatementCache(database) }
  const dialect = new SqliteDialect(config)
  return new Kysely<Database>({
    dialect: {
      createDriver: () => new ImmediateSqliteDriver(config),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
    },
  })
}
