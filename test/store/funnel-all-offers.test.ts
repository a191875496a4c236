/**
 * `funnel_all_offers` (SQLite 0019, PostgreSQL 0020) is `funnel_counts` summed over offers after every kind of
 * statement that changes the counters: inserts, upserts that add to existing rows (several in one statement),
 * updates that move a row to another key, deletes; counters stored before the migration are summed by it. The
 * all-offers funnel read from it equals the sum of each offer's funnel.
 */

import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'
import { createFunnelQueries } from '../../src/store/funnel-queries.ts'
import { type Migration, runMigrations } from '../../src/store/migrations.ts'
import { postgresMigrations } from '../../src/store/postgres/migrations/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { sqliteMigrations } from '../../src/store/sqlite/migrations/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const day = 86_400_000
const start = Date.UTC(2026, 0, 1)
const key = 'tenant_id, measure, offer_key, day, stage, source'

/** Counter rows as `(tenant, measure, offer, day, stage, source, leads)` SQL values. */
function rows(values: readonly (readonly [string, string, string, number, string, string, number])[]): string {
  return values
    .map(([tenant, measure, offer, days, stage, source, leads]) => {
      return `('${tenant}', '${measure}', '${offer}', ${start + days * day}, '${stage}', '${source}', ${leads})`
    })
    .join(', ')
}

const upsert = (values: string) =>
  `insert into funnel_counts (${key}, leads) values ${values}
   on conflict (${key}) do update set leads = funnel_counts.leads + excluded.leads`

/** Before the migration: counters of two offers (and another tenant's). */
const before = rows([
  ['tnt_a', 'new', 'contoso.alpha', 0, 'trial', '', 2],
  ['tnt_a', 'new', 'contoso.beta', 0, 'trial', '', 3],
  ['tnt_a', 'reached', 'contoso.alpha', 1, 'active', 'AppSource', 1],
  ['tnt_b', 'new', 'contoso.alpha', 0, 'trial', '', 7],
])

/** After it: every kind of change. */
const changes = [
  // New rows and additions to existing ones, two of them to the same all-offers counter in one statement.
  upsert(
    rows([
      ['tnt_a', 'new', 'contoso.alpha', 0, 'trial', '', 1],
      ['tnt_a', 'new', 'contoso.gamma', 0, 'trial', '', 4],
      ['tnt_a', 'reached', 'contoso.beta', 1, 'active', 'AppSource', 2],
      ['tnt_a', 'trialed', 'contoso.beta', 2, 'active', '', 1],
    ]),
  ),
  // A lead leaving a stage and entering another.
  upsert(
    rows([
      ['tnt_a', 'new', 'contoso.beta', 0, 'trial', '', -1],
      ['tnt_a', 'new', 'contoso.beta', 0, 'active', '', 1],
    ]),
  ),
  // A row moved to another offer and day (as a merge of offers or a correction might).
  `update funnel_counts set offer_key = 'contoso.delta', day = ${start + 3 * day}
   where tenant_id = 'tnt_a' and offer_key = 'contoso.gamma'`,
  `update funnel_counts set leads = leads + 5 where tenant_id = 'tnt_b'`,
  `delete from funnel_counts where tenant_id = 'tnt_a' and measure = 'trialed'`,
]

type Run = (statement: string) => Promise<Record<string, unknown>[]>

async function check(db: Kysely<Database>, migrations: readonly Migration[]) {
  const run: Run = async (statement) => (await db.executeQuery(CompiledQuery.raw(statement))).rows as never
  const version = migrations.find((migration) => migration.name === 'funnel-all-offers')!.version
  await runMigrations(
    db,
    migrations.filter((migration) => migration.version < version),
    () => 1,
  )
  await run(`insert into funnel_counts (${key}, leads) values ${before}`)
  await runMigrations(db, migrations, () => 2)

  const summed = `select tenant_id, measure, day, stage, source, sum(leads) as leads from funnel_counts
    group by tenant_id, measure, day, stage, source having sum(leads) <> 0 order by tenant_id, measure, day, stage, source`
  const allOffers = `select tenant_id, measure, day, stage, source, leads from funnel_all_offers where leads <> 0
    order by tenant_id, measure, day, stage, source`
  const normalised = async (statement: string) =>
    (await run(statement)).map((row) => ({ ...row, day: Number(row.day), leads: Number(row.leads) }))

  expect(await normalised(allOffers)).toEqual(await normalised(summed))
  expect(await normalised(allOffers)).toHaveLength(3)
  for (const change of changes) {
    await run(change)
    expect(await normalised(allOffers), change).toEqual(await normalised(summed))
  }

  const funnel = createFunnelQueries(db)
  const period = { since: start, until: start + 10 * day }
  const all = await funnel.funnelCounts('tnt_a', period)
  const perOffer = await Promise.all(
    ['contoso.alpha', 'contoso.beta', 'contoso.delta'].map((offerId) =>
      funnel.funnelCounts('tnt_a', { ...period, offerId }),
    ),
  )
  const total = (counts: readonly { leads: number }[]) => counts.reduce((sum, row) => sum + row.leads, 0)
  expect(total(all.byFurthestStage)).toBe(perOffer.reduce((sum, counts) => sum + total(counts.byFurthestStage), 0))
  expect(total(all.byStage)).toBe(perOffer.reduce((sum, counts) => sum + total(counts.byStage), 0))
  expect(all.firstEventAt).toBe(start)
  expect(total(all.byFurthestStage)).toBe(10)
}

describe('SQLite', () => {
  const dir = createTempDir()
  afterAll(() => dir.remove())

  test('funnel_all_offers is funnel_counts summed over offers after every change', async () => {
    const db = createSqliteKysely(openSqliteDatabase(`${dir.path}/funnel.db`))
    try {
      await check(db, sqliteMigrations)
    } finally {
      await db.destroy()
    }
  })
})

describe.skipIf(postgresSkipReason !== undefined)('PostgreSQL', () => {
  const schema = newSchemaName()
  afterAll(() => dropSchema(schema))

  test('funnel_all_offers is funnel_counts summed over offers after every change', async () => {
    const setup = new pg.Client({ connectionString: postgresUrl })
    await setup.connect()
    await setup.query(`create schema "${schema}"`)
    await setup.end()
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 1, options: `-c search_path=${schema}` })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    try {
      await check(db, postgresMigrations)
    } finally {
      await db.destroy()
    }
  })
})
