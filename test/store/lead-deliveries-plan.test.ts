/**
 * A lead's deliveries (its page in the portal and the API) as SQLite plans them: through the index on
 * (tenant_id, lead_id, id) (migration 0015), never by walking every delivery of the tenant in id order, which took
 * 0.9 s at 1,000,000 events before the index. SQLite's `EXPLAIN QUERY PLAN` on a store with rows in it and no
 * statistics, as a fresh installation has.
 */

import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { listDeliveriesQuery } from '../../src/store/queue/read-deliveries.ts'
import type { Database } from '../../src/store/schema.ts'
import { compileOnly } from '../helpers/compile-only-databases.ts'
import { openMigratedSqlite, sqlitePlanOf } from '../helpers/query-plans.ts'
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
    db = await openMigratedSqlite(`${dir.path}/plan.db`)
  })
  afterAll(async () => {
    await db?.destroy()
    dir.remove()
  })

  for (const [name, builder] of Object.entries(statements)) {
    test(`${name} read deliveries_tenant_lead, in order, without sorting`, async () => {
      const plan = await sqlitePlanOf(db, builder.compile())
      expect(plan).toContain('USING INDEX deliveries_tenant_lead (tenant_id=? AND lead_id=?')
      expect(plan).not.toContain('USE TEMP B-TREE FOR ORDER BY')
    })
  }
})
