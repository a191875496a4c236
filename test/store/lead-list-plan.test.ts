/**
 * The leads list's statements as the databases plan them: each filter, sort, search, cursor and count is read through
 * an index, never by walking the table (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN` with sequential scans
 * priced out, so the plan shows whether an index can serve at all on an empty table).
 */

import type { CompiledQuery, Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createLeadListQueries, encodeLeadCursor } from '../../src/store/lead-list-queries.ts'
import { postgresCapabilities } from '../../src/store/postgres/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { sqliteCapabilities } from '../../src/store/sqlite/index.ts'
import type { LeadFilter, LeadSort, StoreCapabilities } from '../../src/store/types.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { openMigratedPostgres, openMigratedSqlite, postgresPlanOf, sqlitePlanOf } from '../helpers/query-plans.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const tenant = 'tnt_plan'
const someLead = 'lead_01M89SAZ3WY3SYM90XMK99YMS0'

interface Case {
  readonly name: string
  readonly filter: LeadFilter
  readonly sort?: LeadSort
  readonly cursor?: boolean
  /** The index SQLite must read (the one made for this filter or order). */
  readonly sqliteIndex: string
  /** Also in order: no sorting step after reading. */
  readonly inOrder?: boolean
  /** The index PostgreSQL must read, where one is made for exactly this filter. */
  readonly postgresIndex?: string
}

const cases: readonly Case[] = [
  { name: 'no filter, most recent activity first', filter: {}, sqliteIndex: 'leads_tenant_activity', inOrder: true },
  {
    name: 'next page',
    filter: {},
    cursor: true,
    sqliteIndex: 'leads_tenant_activity',
    inOrder: true,
  },
  { name: 'offer', filter: { offerId: 'contoso.crm' }, sqliteIndex: 'leads_tenant_offer', inOrder: true },
  { name: 'stage', filter: { stage: 'trial' }, sqliteIndex: 'leads_tenant_stage', inOrder: true },
  { name: 'source', filter: { source: 'AppSource' }, sqliteIndex: 'leads_tenant_source', inOrder: true },
  { name: 'do not contact', filter: { doNotContact: true }, sqliteIndex: 'leads_tenant_dnc', inOrder: true },
  {
    name: 'offer and stage',
    filter: { offerId: 'contoso.crm', stage: 'active' },
    sqliteIndex: 'leads_tenant_offer_stage',
    inOrder: true,
    postgresIndex: 'leads_tenant_offer_stage',
  },
  {
    name: 'source, do not contact',
    filter: { source: 'AppSource', doNotContact: true },
    sqliteIndex: 'leads_tenant_source_dnc',
    inOrder: true,
    postgresIndex: 'leads_tenant_source_dnc',
  },
  { name: 'test leads', filter: { isTest: true }, sqliteIndex: 'leads_tenant_test', inOrder: true },
  { name: 'not routed', filter: { routed: false }, sqliteIndex: 'leads_tenant_unrouted', inOrder: true },
  { name: 'email', filter: { email: 'Someone@Contoso.com' }, sqliteIndex: 'leads_tenant_email' },
  { name: 'email domain', filter: { emailDomain: 'contoso.com' }, sqliteIndex: 'leads_tenant_domain', inOrder: true },
  { name: 'period', filter: { since: 1, until: 2 }, sqliteIndex: 'leads_tenant_activity', inOrder: true },
  { name: 'search', filter: { search: 'Jo' }, sqliteIndex: 'leads_tenant_name' },
  { name: 'search, real leads only', filter: { search: 'Jo', isTest: false }, sqliteIndex: 'leads_tenant_name' },
  {
    name: 'by name',
    filter: {},
    sort: { by: 'name', direction: 'asc' },
    sqliteIndex: 'leads_tenant_name',
    inOrder: true,
  },
  {
    name: 'by company, next page',
    filter: {},
    sort: { by: 'company', direction: 'desc' },
    cursor: true,
    sqliteIndex: 'leads_tenant_company',
    inOrder: true,
  },
  {
    name: 'by creation',
    filter: {},
    sort: { by: 'createdAt', direction: 'asc' },
    sqliteIndex: 'leads_tenant_created',
    inOrder: true,
  },
]

function cursorFor(sort: LeadSort): string {
  return encodeLeadCursor(sort, sort.by === 'name' || sort.by === 'company' ? 'm' : 1_700_000_000_000, someLead)
}

async function statements(db: Kysely<Database>, capabilities: StoreCapabilities, plan: Case) {
  const queries = createLeadListQueries({ db, capabilities })
  const sort = plan.sort ?? { by: 'lastActivity', direction: 'desc' }
  const list = await queries.listQuery(tenant, plan.filter, {
    limit: 25,
    sort,
    ...(plan.cursor && { cursor: cursorFor(sort) }),
  })
  const count = await queries.countQuery(tenant, plan.filter, 10_000)
  return { list: list.compile(), count: count.compile() }
}

describe('SQLite', () => {
  const dir = createTempDir()
  let db: Kysely<Database>

  beforeAll(async () => {
    db = await openMigratedSqlite(`${dir.path}/plan.db`)
  })
  afterAll(async () => {
    await db?.destroy()
    dir.remove()
  })

  const planOf = (query: CompiledQuery) => sqlitePlanOf(db, query)

  for (const plan of cases) {
    test(`${plan.name}: the page reads ${plan.sqliteIndex}${plan.inOrder ? ' in order' : ''}; so does the count`, async () => {
      const { list, count } = await statements(db, sqliteCapabilities, plan)
      const listPlan = await planOf(list)
      expect(listPlan).not.toMatch(/SCAN leads\b/)
      expect(listPlan).toContain(`INDEX ${plan.sqliteIndex} (`)
      if (plan.inOrder) expect(listPlan).not.toContain('TEMP B-TREE')
      const countPlan = await planOf(count)
      expect(countPlan).not.toMatch(/SCAN leads\b/)
      expect(countPlan).toMatch(/SEARCH leads USING (COVERING )?INDEX/)
      if (plan.filter.search !== undefined) expect(countPlan).toContain('MULTI-INDEX OR')
    })
  }
})

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL', () => {
  const schema = newSchemaName()
  let db: Kysely<Database>

  beforeAll(async () => {
    db = await openMigratedPostgres(postgresUrl, schema)
  })
  afterAll(async () => {
    await db?.destroy()
    await dropSchema(schema)
  })

  const planOf = (query: CompiledQuery) => postgresPlanOf(db, query)

  for (const plan of cases) {
    test(`${plan.name}: page and count read an index of leads`, async () => {
      const { list, count } = await statements(db, postgresCapabilities, plan)
      for (const query of [list, count]) {
        const text = await planOf(query)
        expect(text).not.toContain('Seq Scan on leads')
        expect(text).toMatch(/Index (Only )?Scan (Backward )?using leads_|Bitmap Index Scan on leads_/)
        if (plan.postgresIndex !== undefined) expect(text).toMatch(new RegExp(`(using|on) ${plan.postgresIndex} `))
      }
    })
  }
})
