/**
 * The count of a search (lead-list-queries.ts): when one of its keys alone matches more leads than the cap, the count
 * stops there; otherwise it counts the search's matches. Either way it is the exact number up to the cap, and the
 * cap with `capped` beyond it, for every cap, on both stores; and the keys are counted from their own indexes.
 */

import { type CompiledQuery, type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { searchColumnsOf, searchKeyOf } from '../../src/core/lead-search.ts'
import { createLeadListQueries } from '../../src/store/lead-list-queries.ts'
import { postgresCapabilities } from '../../src/store/postgres/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { sqliteCapabilities } from '../../src/store/sqlite/index.ts'
import type { StoreCapabilities } from '../../src/store/types.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { openMigratedPostgres, openMigratedSqlite, postgresPlanOf, sqlitePlanOf } from '../helpers/query-plans.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const tenant = 'tnt_count'
const lastNames = ['Müller', 'Mueller', 'Smith', 'Müllner']
const companies = ['Müller GmbH', 'Contoso', undefined]
const domains = ['contoso.com', 'müller.example', 'mueller.example']

/** Each search's matches spread over several keys, so that no key alone holds them all. */
const searches = ['mü', 'müller', 'mue', 'contoso', 'smith', 'zz']

interface Customer {
  readonly firstName: string
  readonly lastName?: string
  readonly company?: string
  readonly email: string
}

const customers: readonly Customer[] = Array.from({ length: 40 }, (_, n) => ({
  firstName: n % 5 === 0 ? 'Müge' : 'Anna',
  ...(n % 7 !== 0 && { lastName: lastNames[n % lastNames.length] }),
  ...(companies[n % companies.length] !== undefined && { company: companies[n % companies.length] }),
  email: `person${n}@${domains[n % domains.length]}`,
}))

/** The customers a search matches, as docs/leads-list.md defines it. */
function matches(search: string): number {
  const prefix = searchKeyOf(search)
  return customers.filter((customer) => {
    const keys = searchColumnsOf(customer)
    return [keys.name_key, keys.last_name_key, keys.company_key, keys.email_domain, customer.email].some(
      (key) => key?.startsWith(prefix) ?? false,
    )
  }).length
}

async function insertLeads(db: Kysely<Database>) {
  await db.insertInto('tenants').values({ id: tenant, name: 'count', ingest_token_hash: 'h', created_at: 1 }).execute()
  for (const [n, customer] of customers.entries()) {
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
        first_name: customer.firstName,
        last_name: customer.lastName ?? null,
        company: customer.company ?? null,
        email: customer.email,
        ...searchColumnsOf(customer),
        event_count: 1,
        first_event_at: n,
        last_event_at: n,
        created_at: n,
        updated_at: n,
        version: 1,
      })
      .execute()
  }
}

function checks(open: () => { db: Kysely<Database>; capabilities: StoreCapabilities }) {
  test('the data has searches whose matches no key holds alone', () => {
    expect(matches('mü')).toBeGreaterThan(Math.max(matches('müller'), matches('müge')))
    expect(matches('zz')).toBe(0)
  })

  for (const search of searches) {
    test(`"${search}": exact up to every cap, capped beyond`, async () => {
      const { db, capabilities } = open()
      const queries = createLeadListQueries({ db, capabilities })
      const exact = matches(search)
      for (let cap = 0; cap <= exact + 1; cap++) {
        const count = await queries.countLeads(tenant, { search }, cap)
        expect(count, `cap ${cap}`).toEqual(
          exact > cap ? { count: cap, capped: true } : { count: exact, capped: false },
        )
      }
      // With another filter the search's count is the only one.
      expect(await queries.countLeads(tenant, { search, stage: 'active' }, 1)).toEqual(
        exact > 1 ? { count: 1, capped: true } : { count: exact, capped: false },
      )
    })
  }
}

describe('SQLite', () => {
  const dir = createTempDir()
  let db: Kysely<Database>
  beforeAll(async () => {
    db = await openMigratedSqlite(`${dir.path}/count.db`)
    await insertLeads(db)
  })
  afterAll(async () => {
    await db?.destroy()
    dir.remove()
  })

  checks(() => ({ db, capabilities: sqliteCapabilities }))

  test("each key is counted from its own index, without the table's rows, before the search", async () => {
    const queries = createLeadListQueries({ db, capabilities: sqliteCapabilities })
    const plan = await sqlitePlanOf(
      db,
      (await queries.countQuery(tenant, { search: 'mü' }, 10)).compile() as CompiledQuery,
    )
    for (const index of ['leads_tenant_name', 'leads_tenant_last_name', 'leads_tenant_company', 'leads_tenant_domain'])
      expect(plan).toContain(`SEARCH leads USING COVERING INDEX ${index} (`)
    // The search's own count, when no key passes the cap.
    expect(plan).toContain('MULTI-INDEX OR')
    expect(plan).not.toMatch(/SCAN leads\b/)
  })
})

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL', () => {
  const schema = newSchemaName()
  let db: Kysely<Database>
  beforeAll(async () => {
    db = await openMigratedPostgres(postgresUrl, schema)
    await insertLeads(db)
    // Statistics, as a store in use has them: the planner then knows each key's range is narrow.
    await sql`analyze leads`.execute(db)
  })
  afterAll(async () => {
    await db?.destroy()
    await dropSchema(schema)
  })

  checks(() => ({ db, capabilities: postgresCapabilities }))

  // At 1,000,000 events, with the visibility map set, each is an index-only scan (docs/leads-list.md).
  test('each key is counted from its own index before the search', async () => {
    const queries = createLeadListQueries({ db, capabilities: postgresCapabilities })
    const plan = await postgresPlanOf(
      db,
      (await queries.countQuery(tenant, { search: 'mü' }, 10)).compile() as CompiledQuery,
    )
    for (const index of [
      'leads_tenant_name',
      'leads_tenant_last_name',
      'leads_tenant_company',
      'leads_tenant_domain',
      'leads_tenant_email_prefix',
    ])
      expect(plan).toMatch(new RegExp(`(Index (Only )?Scan using|Bitmap Index Scan on) ${index} `))
    expect(plan).not.toContain('Seq Scan')
  })
})
