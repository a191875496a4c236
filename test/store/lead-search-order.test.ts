/**
 * A search that matches many leads reads the tenant's leads in the page's order and keeps the matching ones (SQLite,
 * which keeps no statistics; lead-list-queries.ts): the pages are exactly those of reading the matches through the
 * search's indexes and sorting them, in every sort, forwards through every cursor, and the statement walks the sort's
 * index without sorting.
 */

import type { CompiledQuery, Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { searchColumnsOf } from '../../src/core/lead-search.ts'
import { createLeadListQueries } from '../../src/store/lead-list-queries.ts'
import type { Database } from '../../src/store/schema.ts'
import { sqliteCapabilities } from '../../src/store/sqlite/index.ts'
import type { LeadFilter, LeadSort } from '../../src/store/types.ts'
import { openMigratedSqlite, sqlitePlanOf } from '../helpers/query-plans.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const tenant = 'tnt_search'
const firstNames = ['Jörg', 'John', 'Johanna', 'Anna', 'Mia', undefined]
const lastNames = ['Müller', 'Mueller', 'Smith', 'Jansen', undefined]
const companies = ['Müller GmbH', 'Contoso', 'Johnson Ltd', undefined]
const domains = ['contoso.com', 'mueller.example', 'johnson.example']

const searches = ['jo', 'müller', 'mu', 'contoso', 'johnson.ex', 'j', 'zz']
const sorts: readonly LeadSort[] = [
  { by: 'lastActivity', direction: 'desc' },
  { by: 'createdAt', direction: 'asc' },
  { by: 'name', direction: 'asc' },
  { by: 'company', direction: 'desc' },
]

describe('a search matching many leads on SQLite', () => {
  const dir = createTempDir()
  let db: Kysely<Database>

  beforeAll(async () => {
    db = await openMigratedSqlite(`${dir.path}/search.db`)
    await db
      .insertInto('tenants')
      .values({ id: tenant, name: 'search', ingest_token_hash: 'h', created_at: 1 })
      .execute()
    for (let n = 0; n < 90; n++) {
      const customer = {
        firstName: firstNames[n % firstNames.length],
        lastName: lastNames[(n * 7) % lastNames.length],
        company: companies[(n * 3) % companies.length],
        email: n % 11 === 0 ? undefined : `person${n}@${domains[n % domains.length]}`,
      }
      const defined = Object.fromEntries(Object.entries(customer).filter(([, value]) => value !== undefined))
      // Activity times repeat (ties go by id) and do not follow creation order.
      const activity = 1_000 + ((n * 37) % 23)
      await db
        .insertInto('leads')
        .values({
          id: `lead_01M89SAZ3WY3SYM90XMK99Y${String(n).padStart(3, '0')}`,
          tenant_id: tenant,
          offer_key: 'contoso.crm',
          offer_id: null,
          merge_key: `m${n}`,
          stage: 'active',
          do_not_contact: 0,
          is_test: 0,
          first_name: customer.firstName ?? null,
          last_name: customer.lastName ?? null,
          company: customer.company ?? null,
          email: customer.email ?? null,
          ...searchColumnsOf(defined),
          event_count: 1,
          first_event_at: activity,
          last_event_at: activity,
          created_at: n,
          updated_at: n,
          version: 1,
        })
        .execute()
    }
  })
  afterAll(async () => {
    await db?.destroy()
    dir.remove()
  })

  /** Every page of `filter` in `sort`, following the cursors, as lead ids. */
  async function pages(orderedAbove: number, filter: LeadFilter, sort: LeadSort): Promise<string[][]> {
    const queries = createLeadListQueries({ db, capabilities: sqliteCapabilities, orderedSearchAbove: orderedAbove })
    const seen: string[][] = []
    let cursor: string | undefined
    do {
      const page = await queries.listLeads(tenant, filter, { limit: 7, sort, ...(cursor !== undefined && { cursor }) })
      seen.push(page.rows.map((row) => row.id))
      cursor = page.nextCursor
    } while (cursor !== undefined && seen.length < 100)
    return seen
  }

  for (const search of searches) {
    for (const sort of sorts) {
      test(`"${search}" by ${sort.by} ${sort.direction}: read in order, the pages are those of the search's indexes`, async () => {
        const byIndex = await pages(Number.MAX_SAFE_INTEGER, { search }, sort)
        const inOrder = await pages(2, { search }, sort)
        expect(inOrder).toEqual(byIndex)
        const withStage = { search, stage: 'active' } as const
        expect(await pages(2, withStage, sort)).toEqual(await pages(Number.MAX_SAFE_INTEGER, withStage, sort))
      })
    }
  }

  test('the data has searches on either side of the threshold', async () => {
    const queries = createLeadListQueries({ db, capabilities: sqliteCapabilities })
    const count = async (search: string) => (await queries.countLeads(tenant, { search }, 1000)).count
    expect(await count('j')).toBeGreaterThan(20)
    expect(await count('johnson.ex')).toBeGreaterThan(2)
    expect(await count('zz')).toBe(0)
  })

  test('read in order, the statement walks the sort index without sorting; by index, it reads the search indexes', async () => {
    const queries = createLeadListQueries({ db, capabilities: sqliteCapabilities })
    const planOf = (query: CompiledQuery) => sqlitePlanOf(db, query)
    const inOrder = await planOf((await queries.listQuery(tenant, { search: 'mü' }, { limit: 50 }, 'order')).compile())
    expect(inOrder).toContain('INDEX leads_tenant_activity (tenant_id=?)')
    expect(inOrder).not.toContain('TEMP B-TREE')
    expect(inOrder).not.toContain('MULTI-INDEX OR')
    const byIndex = await planOf((await queries.listQuery(tenant, { search: 'mü' }, { limit: 50 }, 'index')).compile())
    expect(byIndex).toContain('MULTI-INDEX OR')
  })
})
