/**
 * For plan tests: a freshly migrated store opened as a plain Kysely connection, and the plan each dialect gives a
 * compiled statement there. SQLite runs without planner statistics, as a new installation does; PostgreSQL with
 * sequential scans priced out, so an index is chosen whenever one can answer the statement.
 */

import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { createPostgresStore } from '../../src/store/postgres/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'

export async function openMigratedSqlite(filename: string): Promise<Kysely<Database>> {
  const store = createSqliteStore({ filename })
  await store.migrate()
  await store.close()
  return createSqliteKysely(openSqliteDatabase(filename))
}

/** The store migrated into `schema` (test/helpers/postgres.ts makes and drops it), then one connection to it. */
export async function openMigratedPostgres(connectionString: string, schema: string): Promise<Kysely<Database>> {
  const store = createPostgresStore({ connectionString, schema, poolSize: 2 })
  await store.migrate()
  await store.close()
  const pool = new pg.Pool({ connectionString, max: 1, options: `-c search_path=${schema} -c enable_seqscan=off` })
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}

/** SQLite's `explain query plan`, a line per step. */
export async function sqlitePlanOf(db: Kysely<Database>, query: CompiledQuery): Promise<string> {
  const rows = await db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  )
  return rows.rows.map((row) => row.detail).join('\n')
}

/** PostgreSQL's `explain`, a line per plan line. */
export async function postgresPlanOf(db: Kysely<Database>, query: CompiledQuery): Promise<string> {
  const rows = await db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
  )
  return rows.rows.map((row) => row['QUERY PLAN']).join('\n')
}
