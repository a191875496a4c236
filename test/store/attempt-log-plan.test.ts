/**
 * A destination's delivery log and its success rate as the databases plan them: both read the attempts through the
 * index on (destination_id, started_at) (migrations 0011/0012), never by walking every attempt of the tenant.
 * SQLite's `EXPLAIN QUERY PLAN`; PostgreSQL's `EXPLAIN` with sequential scans priced out, so the plan shows whether
 * the index can serve at all on an empty table.
 */

import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { destinationAttemptStatsQuery, destinationAttemptsQuery } from '../../src/store/queue/read-attempts.ts'
import type { Database } from '../../src/store/schema.ts'
import { compileOnly } from '../helpers/compile-only-databases.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { openMigratedPostgres, openMigratedSqlite, postgresPlanOf, sqlitePlanOf } from '../helpers/query-plans.ts'
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
    db = await openMigratedSqlite(`${dir.path}/plan.db`)
  })
  afterAll(async () => {
    await db?.destroy()
    dir.remove()
  })

  for (const [name, query] of Object.entries(statements(compileOnly.sqlite))) {
    test(`${name} reads delivery_attempts_destination`, async () => {
      const plan = await sqlitePlanOf(db, query)
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
    db = await openMigratedPostgres(postgresUrl, schema)
  })
  afterAll(async () => {
    await db?.destroy()
    await dropSchema(schema)
  })

  test('every statement reads delivery_attempts_destination', async () => {
    for (const query of Object.values(statements(db))) {
      const plan = await postgresPlanOf(db, query)
      expect(plan).toMatch(/using delivery_attempts_destination|on delivery_attempts_destination/)
      expect(plan).not.toContain('Seq Scan on delivery_attempts')
    }
  })
})
