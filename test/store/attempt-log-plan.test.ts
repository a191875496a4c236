/**
 * A destination's delivery log and its success rate as the databases plan them: both read the attempts through the
 * index on (destination_id, started_at) (migrations 0011/0012), never by walking every attempt of the tenant.
 * SQLite's `EXPLAIN QUERY PLAN`; PostgreSQL's `EXPLAIN` with sequential scans priced out, so the plan shows whether
 * the index can serve at all on an empty table.
 */

import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPostgresStore } from '../../src/store/postgres/index.ts'
import { destinationAttemptStatsQuery, destinationAttemptsQuery } from '../../src/store/queue/read-attempts.ts'
import type { Database } from '../../src/store/schema.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import { compileOnly } from '../helpers/compile-only-databases.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const statements = (db: Kysely<Database>) => ({
  'first page of the log': destinationAttemptsQuery(db, 'tnt_plan', 'dst_plan', { limit: 25 }).compile(),
  'a later page': destinationAttemptsQuery(db, 'tnt_plan', 'dst_plan', {
    limit: 25,
    cursor: '1764000000000_att_01M89SAZ3WY3SYM90XMK99YMS0',
  }).compile(),
  'success rate': destinationAttemptStatsQuery(db, 'tnt_plan', 'dst_plan', 1_764_000_000_000).compile(),
})

describe('the delivery log on SQLite', () => {
  const dir = createTempDir()
  let db: Kysely<Database>
  beforeAll(async () => {
    const store = createSqliteStore({ filename: `${dir.path}/plan.db` })
    await store.migrate()
    await store.close()
    db = createSqliteKysely(openSqliteDatabase(`${dir.path}/plan.db`))
  })
  afterAll(async () => {
    await db?.destroy()
    dir.remove()
  })

  for (const [name, query] of Object.entries(statements(compileOnly.sqlite))) {
    test(`${name} reads delivery_attempts_destination`, async () => {
      const rows = await db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
      )
      const plan = rows.rows.map((row) => row.detail).join('\n')
      expect(plan).toMatch(
        /SEARCH a USING INDEX delivery_attempts_destination|SEARCH delivery_attempts USING INDEX delivery_attempts_destination/,
      )
      expect(plan).not.toContain('USE TEMP B-TREE FOR ORDER BY')
    })
  }
})

describe.skipIf(postgresSkipReason !== undefined)('the delivery log on PostgreSQL', () => {
  const schema = newSchemaName()
  let db: Kysely<Database>
  beforeAll(async () => {
    const store = createPostgresStore({ connectionString: postgresUrl, schema, poolSize: 4 })
    await store.migrate()
    await store.close()
    const pool = new pg.Pool({
      connectionString: postgresUrl,
      max: 1,
      options: `-c search_path=${schema} -c enable_seqscan=off`,
    })
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  })
  afterAll(async () => {
    await db?.destroy()
    await dropSchema(schema)
  })

  test('every statement reads delivery_attempts_destination', async () => {
    for (const query of Object.values(statements(db))) {
      const rows = await db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
      )
      const plan = rows.rows.map((row) => row['QUERY PLAN']).join('\n')
      expect(plan).toMatch(/using delivery_attempts_destination|on delivery_attempts_destination/)
      expect(plan).not.toContain('Seq Scan on delivery_attempts')
    }
  })
})
