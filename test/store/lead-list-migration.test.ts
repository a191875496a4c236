/**
 * The lead-list migration fills the search keys of leads stored before it, exactly as ingest computes them (Unicode
 * lower-casing, collapsed whitespace, the email's domain), so search finds old and new leads alike.
 */

import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, test } from 'vitest'
import { searchColumnsOf } from '../../src/core/lead-search.ts'
import { createLeadListQueries } from '../../src/store/lead-list-queries.ts'
import { type Migration, runMigrations } from '../../src/store/migrations.ts'
import { postgresCapabilities } from '../../src/store/postgres/index.ts'
import { postgresMigrations } from '../../src/store/postgres/migrations/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { sqliteCapabilities } from '../../src/store/sqlite/index.ts'
import { sqliteMigrations } from '../../src/store/sqlite/migrations/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import type { StoreCapabilities } from '../../src/store/types.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const customers = [
  { first_name: 'Jörg', last_name: 'MÜLLER', email: 'joerg@Beispiel.DE', company: '  Ümlaut   GmbH ' },
  { first_name: 'Émile', last_name: null, email: null, company: null },
  { first_name: null, last_name: 'de la  Cruz', email: 'x@fabrikam.com', company: 'Fabrikam' },
]

async function seedOldLeads(db: Kysely<any>) {
  await db.insertInto('tenants').values({ id: 'tnt_old', name: 'old', ingest_token_hash: 'h', created_at: 1 }).execute()
  let n = 0
  for (const customer of customers) {
    n++
    await db
      .insertInto('leads')
      .values({
        id: `lead_01M89SAZ3WY3SYM90XMK99YMS${n}`,
        tenant_id: 'tnt_old',
        offer_key: 'contoso.crm',
        offer_id: null,
        merge_key: `m${n}`,
        stage: 'active',
        do_not_contact: 0,
        is_test: 0,
        ...customer,
        email: customer.email?.toLowerCase() ?? null,
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

async function fillsKeys(db: Kysely<Database>, migrations: readonly Migration[], capabilities: StoreCapabilities) {
  const version = migrations.find((migration) => migration.name === 'lead-list')!.version
  await runMigrations(
    db,
    migrations.filter((migration) => migration.version < version),
    () => 1,
  )
  await seedOldLeads(db)
  await runMigrations(
    db,
    migrations.filter((migration) => migration.version <= version),
    () => 2,
  )
  const rows = await db
    .selectFrom('leads')
    .select(['first_name', 'last_name', 'email', 'company', 'name_key', 'last_name_key', 'company_key', 'email_domain'])
    .orderBy('id')
    .execute()
  for (const row of rows) {
    const expected = searchColumnsOf({
      ...(row.first_name !== null && { firstName: row.first_name }),
      ...(row.last_name !== null && { lastName: row.last_name }),
      ...(row.email !== null && { email: row.email }),
      ...(row.company !== null && { company: row.company }),
    })
    expect(row).toMatchObject(expected)
  }
  expect(rows.map((row) => row.name_key)).toEqual(['jörg müller', 'émile', 'de la cruz'])
  expect(rows.map((row) => row.company_key)).toEqual(['ümlaut gmbh', '', 'fabrikam'])
  expect(rows.map((row) => row.email_domain)).toEqual(['beispiel.de', '', 'fabrikam.com'])

  const list = createLeadListQueries({ db, capabilities })
  const found = async (search: string) =>
    (await list.listLeads('tnt_old', { search }, { limit: 10 })).rows.map((row) => row.name_key)
  expect(await found('MÜLL')).toEqual(['jörg müller'])
  expect(await found('ümlaut g')).toEqual(['jörg müller'])
  expect(await found('É')).toEqual(['émile'])
  expect(await found('Fabrikam.c')).toEqual(['de la cruz'])
}

describe('SQLite migration 0005', () => {
  const dir = createTempDir()
  let db: Kysely<Database> | undefined
  afterEach(async () => {
    await db?.destroy()
  })

  test('fills the keys of earlier leads as ingest would, and search finds them', async () => {
    db = createSqliteKysely(openSqliteDatabase(`${dir.path}/old.db`))
    await fillsKeys(db, sqliteMigrations, sqliteCapabilities)
  })
})

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL migration 0006', () => {
  const schema = newSchemaName()
  let db: Kysely<Database> | undefined
  afterEach(async () => {
    await db?.destroy()
    await dropSchema(schema)
  })

  test('fills the keys of earlier leads as ingest would, and search finds them', async () => {
    const setup = new pg.Client({ connectionString: postgresUrl })
    await setup.connect()
    await setup.query(`create schema "${schema}"`)
    await setup.end()
    db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: postgresUrl, max: 1, options: `-c search_path=${schema}` }),
      }),
    })
    await fillsKeys(db, postgresMigrations, postgresCapabilities)
  })
})
