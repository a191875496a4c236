/**
 * The roll-ups of one offer's funnel counters (SQLite 0020, PostgreSQL 0021): `funnel_offer_months` is `funnel_counts`
 * summed per UTC month and `funnel_offer_days` the `new` and `reached` counters summed per day, after every kind of
 * statement that changes the counters (inserts, upserts adding to existing rows, updates moving a row to another key,
 * deletes); counters stored before the migration are summed by it. One offer's report, which reads whole months from
 * the first and its chart from the second, equals the report computed here from the day counters, for periods that
 * cover months whole, in part, across a year's end, open at either end, and bounded at local midnights.
 */

import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'
import { stages } from '../../src/core/funnel.ts'
import { type FunnelCounts, type FunnelTimeCounts, timeBucketsFor } from '../../src/core/funnel-report.ts'
import { createFunnelQueries, wholeMonthsOf } from '../../src/store/funnel-queries.ts'
import { type Migration, runMigrations } from '../../src/store/migrations.ts'
import { postgresMigrations } from '../../src/store/postgres/migrations/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { sqliteMigrations } from '../../src/store/sqlite/migrations/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const hour = 3_600_000
const day = 24 * hour
const start = Date.UTC(2025, 10, 20)
const key = 'tenant_id, measure, offer_key, day, stage, source'
/** An offer whose leads carry its id, and, from before it was configured, its name key. */
const offer = 'Contoso.Alpha'
const offerName = 'contoso.alpha'

type CounterRow = readonly [
  tenant: string,
  measure: string,
  offer: string,
  days: number,
  stage: string,
  source: string,
  leads: number,
]

/** Counter rows as SQL values, `days` after 20 November 2025. */
function values(rows: readonly CounterRow[]): string {
  return rows
    .map(([tenant, measure, offerKey, days, stage, source, leads]) => {
      return `('${tenant}', '${measure}', '${offerKey}', ${start + days * day}, '${stage}', '${source}', ${leads})`
    })
    .join(', ')
}

const upsert = (rows: readonly CounterRow[]) =>
  `insert into funnel_counts (${key}, leads) values ${values(rows)}
   on conflict (${key}) do update set leads = funnel_counts.leads + excluded.leads`

/** Before the migration: counters over three months, of two offers (one under its name too) and another tenant. */
const before: CounterRow[] = []
for (let days = 0; days < 75; days += 3) {
  before.push(['tnt_a', 'new', offer, days, days % 2 === 0 ? 'trial' : 'active', '', 1 + (days % 4)])
  before.push(['tnt_a', 'reached', offer, days, 'trial', days % 5 === 0 ? '' : 'TestDrive', 1])
  before.push(['tnt_a', 'reached', offerName, days + 1, 'customer', 'AzurePortal', 2])
  before.push(['tnt_a', 'trialed', offer, days + 2, 'customer', '', 1])
  before.push(['tnt_a', 'new', 'contoso.beta', days, 'trial', '', 5])
  before.push(['tnt_b', 'new', offer, days, 'trial', '', 7])
}

/** After it: every kind of change, within a month and across months. */
const changes = [
  upsert([
    ['tnt_a', 'new', offer, 0, 'trial', '', 1],
    ['tnt_a', 'new', offer, 41, 'trial', '', 4],
    ['tnt_a', 'new', offer, 42, 'unclassified', '', 1],
    ['tnt_a', 'reached', offer, 10, 'active', 'AppSource', 2],
    ['tnt_a', 'reached', offer, 11, 'active', 'AppSource', 1],
    ['tnt_a', 'trialed', offer, 12, 'active', '', 1],
  ]),
  // A lead leaving a stage and entering another.
  upsert([
    ['tnt_a', 'new', offer, 0, 'trial', '', -1],
    ['tnt_a', 'new', offer, 0, 'active', '', 1],
  ]),
  // Rows moved to another day, month and offer (as a merge of offers or a correction might).
  `update funnel_counts set day = day + ${20 * day} where tenant_id = 'tnt_a' and offer_key = '${offer}' and measure = 'reached' and stage = 'active'`,
  `update funnel_counts set offer_key = '${offerName}' where tenant_id = 'tnt_a' and offer_key = 'contoso.beta' and day < ${start + 30 * day}`,
  `update funnel_counts set leads = leads + 2 where tenant_id = 'tnt_a' and measure = 'new' and day = ${start + 3 * day}`,
  `delete from funnel_counts where tenant_id = 'tnt_a' and measure = 'trialed' and day > ${start + 50 * day}`,
  `delete from funnel_counts where tenant_id = 'tnt_a' and offer_key = '${offer}' and day = ${start + 42 * day}`,
]

type Run = (statement: string) => Promise<Record<string, unknown>[]>

interface Counter {
  readonly measure: string
  readonly offerKey: string
  readonly day: number
  readonly stage: string
  readonly source: string
  readonly leads: number
}

async function countersOf(run: Run, tenantId: string): Promise<Counter[]> {
  return (
    await run(`select measure, offer_key, day, stage, source, leads from funnel_counts where tenant_id = '${tenantId}'`)
  ).map((row) => ({
    measure: String(row.measure),
    offerKey: String(row.offer_key),
    day: Number(row.day),
    stage: String(row.stage),
    source: String(row.source),
    leads: Number(row.leads),
  }))
}

function sums(entries: readonly (readonly [string, number])[]): Record<string, number> {
  const summed: Record<string, number> = {}
  for (const [name, leads] of entries) summed[name] = (summed[name] ?? 0) + leads
  return Object.fromEntries(Object.entries(summed).filter(([, leads]) => leads !== 0))
}

const monthOf = (at: number) => Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), 1)

/** Both roll-ups as stored and as `funnel_counts` gives them, each as non-zero sums by key. */
async function rollUps(run: Run, tenantId: string) {
  const counters = await countersOf(run, tenantId)
  const months = await run(
    `select measure, offer_key, month, stage, source, leads from funnel_offer_months where tenant_id = '${tenantId}'`,
  )
  const days = await run(`select * from funnel_offer_days where tenant_id = '${tenantId}'`)
  const dayKey = (offerKey: unknown, at: unknown, column: string) => JSON.stringify([offerKey, Number(at), column])
  return {
    stored: {
      months: sums(
        months.map((row) => [
          JSON.stringify([row.measure, row.offer_key, Number(row.month), row.stage, row.source]),
          Number(row.leads),
        ]),
      ),
      days: sums(
        days.flatMap((row) =>
          ['first_events', ...stages.map((stage) => `reached_${stage}`)].map(
            (column) => [dayKey(row.offer_key, row.day, column), Number(row[column])] as const,
          ),
        ),
      ),
    },
    expected: {
      months: sums(
        counters.map((counter) => [
          JSON.stringify([counter.measure, counter.offerKey, monthOf(counter.day), counter.stage, counter.source]),
          counter.leads,
        ]),
      ),
      days: sums(
        counters
          .filter((counter) => counter.measure !== 'trialed')
          .map((counter) => [
            dayKey(
              counter.offerKey,
              counter.day,
              counter.measure === 'new' ? 'first_events' : `reached_${counter.stage}`,
            ),
            counter.leads,
          ]),
      ),
    },
  }
}

/** One offer's report as docs/funnel.md defines it, from its day counters: a day counts when its middle is in the period. */
function expectedReport(counters: readonly Counter[], period: { since?: number; until?: number }) {
  const within = counters.filter(
    (counter) =>
      (counter.offerKey === offer || counter.offerKey === offerName) &&
      (period.since === undefined || counter.day + day / 2 >= period.since) &&
      (period.until === undefined || counter.day + day / 2 < period.until),
  )
  const of = (measure: string) => within.filter((counter) => counter.measure === measure)
  const firstDays = of('new')
    .filter((counter) => counter.leads !== 0)
    .map((counter) => counter.day)
  return {
    bySourceAndStage: sums(
      of('reached').map((counter) => [
        `${counter.source === '' ? 'unknown' : counter.source}/${counter.stage}`,
        counter.leads,
      ]),
    ),
    byStage: sums(of('reached').map((counter) => [counter.stage, counter.leads])),
    byFurthestStage: sums(of('new').map((counter) => [counter.stage, counter.leads])),
    trialedByFurthestStage: sums(of('trialed').map((counter) => [counter.stage, counter.leads])),
    firstEventAt: firstDays.length === 0 ? undefined : Math.min(...firstDays),
    within,
  }
}

function reportOf(counts: FunnelCounts) {
  return {
    bySourceAndStage: sums(counts.bySourceAndStage.map((row) => [`${row.source}/${row.stage}`, row.leads])),
    byStage: sums(counts.byStage.map((row) => [row.stage, row.leads])),
    byFurthestStage: sums(counts.byFurthestStage.map((row) => [row.stage, row.leads])),
    trialedByFurthestStage: sums(counts.trialedByFurthestStage.map((row) => [row.stage, row.leads])),
    firstEventAt: counts.firstEventAt,
  }
}

function timeOf(counts: FunnelTimeCounts) {
  return {
    byBucket: sums(counts.byBucket.map((row) => [String(row.bucket), row.leads])),
    byBucketAndStage: sums(counts.byBucketAndStage.map((row) => [`${row.bucket}/${row.stage}`, row.leads])),
  }
}

const localMidnight = (at: number) => at - 5 * hour
const periods: readonly { since?: number; until?: number }[] = [
  {},
  { since: Date.UTC(2025, 11, 1), until: Date.UTC(2026, 0, 1) },
  { since: Date.UTC(2025, 10, 1), until: Date.UTC(2026, 1, 1) },
  { since: Date.UTC(2025, 10, 25), until: Date.UTC(2026, 0, 10) },
  { since: Date.UTC(2025, 11, 3), until: Date.UTC(2025, 11, 28) },
  { since: Date.UTC(2025, 11, 2) },
  { until: Date.UTC(2026, 0, 15) },
  { since: localMidnight(Date.UTC(2025, 11, 1)), until: localMidnight(Date.UTC(2026, 1, 1)) },
  { since: Date.UTC(2025, 11, 1) + 13 * hour, until: Date.UTC(2025, 11, 31) + 13 * hour },
  { since: Date.UTC(2026, 1, 1), until: Date.UTC(2026, 2, 1) },
]

async function check(db: Kysely<Database>, migrations: readonly Migration[]) {
  const run: Run = async (statement) => (await db.executeQuery(CompiledQuery.raw(statement))).rows as never
  const version = migrations.find((migration) => migration.name === 'funnel-offer-roll-ups')!.version
  await runMigrations(
    db,
    migrations.filter((migration) => migration.version < version),
    () => 1,
  )
  await run(`insert into funnel_counts (${key}, leads) values ${values(before)}`)
  await runMigrations(db, migrations, () => 2)

  for (const tenantId of ['tnt_a', 'tnt_b']) {
    const { stored, expected } = await rollUps(run, tenantId)
    expect(stored).toEqual(expected)
  }
  for (const change of changes) {
    await run(change)
    const { stored, expected } = await rollUps(run, 'tnt_a')
    expect(stored, change).toEqual(expected)
  }

  const funnel = createFunnelQueries(db)
  const counters = await countersOf(run, 'tnt_a')
  for (const period of periods) {
    const { within, ...expected } = expectedReport(counters, period)
    const counts = await funnel.funnelCounts('tnt_a', { offerId: offer, ...period })
    expect(reportOf(counts), JSON.stringify(period)).toEqual(expected)
    const buckets = timeBucketsFor(period, counts.firstEventAt, Date.UTC(2026, 2, 1))
    if (buckets === undefined) continue
    const bucketOf = (at: number) => Math.floor((at + day / 2 - buckets.origin) / buckets.sizeMs)
    const charted = within.filter((counter) => bucketOf(counter.day) >= 0 && bucketOf(counter.day) < buckets.count)
    expect(timeOf(await funnel.funnelOverTime('tnt_a', { offerId: offer, ...period }, buckets))).toEqual({
      byBucket: sums(
        charted
          .filter((counter) => counter.measure === 'new')
          .map((counter) => [String(bucketOf(counter.day)), counter.leads]),
      ),
      byBucketAndStage: sums(
        charted
          .filter((counter) => counter.measure === 'reached')
          .map((counter) => [`${bucketOf(counter.day)}/${counter.stage}`, counter.leads]),
      ),
    })
  }
}

test('the whole months of a day range', () => {
  const half = day / 2
  const year = wholeMonthsOf(Date.UTC(2025, 0, 1) - half, Date.UTC(2026, 0, 1) - half)
  expect(year).toEqual({ first: Date.UTC(2025, 0, 1), end: Date.UTC(2026, 0, 1) })
  expect(wholeMonthsOf(Date.UTC(2025, 0, 2) - half, Date.UTC(2025, 1, 28) - half)).toBeUndefined()
  expect(wholeMonthsOf(Date.UTC(2025, 0, 2) - half, Date.UTC(2025, 2, 1) - half)).toEqual({
    first: Date.UTC(2025, 1, 1),
    end: Date.UTC(2025, 2, 1),
  })
  expect(wholeMonthsOf(undefined, undefined)).toEqual({})
  expect(wholeMonthsOf(Date.UTC(2025, 0, 31), undefined)).toEqual({ first: Date.UTC(2025, 1, 1) })
})

describe('SQLite', () => {
  const dir = createTempDir()
  afterAll(() => dir.remove())

  test('the roll-ups equal funnel_counts summed after every change, and the reads equal a recount', async () => {
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

  test('the roll-ups equal funnel_counts summed after every change, and the reads equal a recount', async () => {
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
