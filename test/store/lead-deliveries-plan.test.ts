/**
 * A lead's deliveries (its page in the portal and the API) as SQLite plans them: through the index on
 * (tenant_id, lead_id, id) (migration 0015), never by walking every delivery of the tenant in id order, which took
 * 0.9 s at 1,000,000 events before the index. SQLite's `EXPLAIN QUERY PLAN` on a store with rows in it and no
 * statistics, as a fresh installation has.
 */

import { CompiledQuery, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { listDeliveriesQuery } from '../../src/store/queue/read-deliveries.ts'
import type { Database } from '../../src/store/schema.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import { compileOnly } from '../helpers/compile-only-databases.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const cursor = Buffer.from('dlv_01M89SAZ3WY3SYM90XMK99YMS0').toString('base64url')

const statements = {
  "a lead's deliveries": listDeliveriesQuery(compileOnly.sqlite, 'tnt_plan', { leadId: 'led_plan' }, { limit: 500 }),
  "a later page of a lead's deliveries": listDeliveriesQuery(
    compileOnly.sqlite,
    'tnt_plan',
    { leadId: 'led_plan' },
    { limit: 500, cursor },
  ),
}

describe("a lead's deliveries on SQLite", () => {
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

  for (const [name, builder] of Object.entries(statements)) {
    test(`${name} read deliveries_tenant_lead, in order, without sorting`, async () => {
      const query = builder.compile()
      const rows = await db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
      )
      const plan = rows.rows.map((row) => row.detail).join('\n')
      expect(plan).toContain('USING INDEX deliveries_tenant_lead (tenant_id=? AND lead_id=?')
      expect(plan).not.toContain('USE TEMP B-TREE FOR ORDER BY')
    })
  }
})
