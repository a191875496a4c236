/**
 * Kysely's SQLite driver calls `prepare()` for every query it runs, and preparing costs several times running a
 * small query. This gives the driver a database whose `prepare()` hands back the statement it prepared last time
 * for the same SQL text, so every Kysely query on SQLite runs on a cached statement.
 */

import type { Database as SqliteDatabase, Statement } from 'better-sqlite3'
import type { SqliteDatabase as KyselySqliteDatabase } from 'kysely'

/**
 * Reusing a statement is safe because better-sqlite3 runs each one to completion synchronously; the one exception,
 * `iterate()` (Kysely's `stream()`), is not used by the store. Queries with `in (…)` lists of varying length have
 * many SQL texts, so the cache is bounded and drops the least recently used statement.
 */
export function withStatementCache(database: SqliteDatabase, capacity = 500): KyselySqliteDatabase {
  const statements = new Map<string, Statement>()
  return {
    close() {
      statements.clear()
      database.close()
    },
    prepare(sql: string) {
      let statement = statements.get(sql)
      if (statement) {
        // Map keeps insertion order: re-inserting marks the statement as the most recently used.
        statements.delete(sql)
      } else {
        statement = database.prepare(sql)
        if (statements.size >= capacity) statements.delete(statements.keys().next().value as string)
      }
      statements.set(sql, statement)
      return statement
    },
  }
}
