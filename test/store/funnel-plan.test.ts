/**
 * The funnel's statements as the databases plan them: the all-offers report reads `funnel_all_offers`; one offer's
 * report reads its whole months from `funnel_offer_months`, the days of the months a period covers in part from
 * `funnel_counts`, and its chart from `funnel_offer_days`; each as a range of its primary key, never a scan of every
 * counter of the tenant (SQLite's `EXPLAIN QUERY PLAN` without statistics; PostgreSQL's `EXPLAIN` with sequential
 * scans priced out). The statements are those the queries run, captured as they execute.
 */

import type { CompiledQuery, Kysely, KyselyPlugin, RootOperationNode } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createFunnelQueries } from '../../src/store/funnel-queries.ts'
import type { Database } from '../../src/store/schema.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { openMigratedPostgres, openMigratedSqlite, postgresPlanOf, sqlitePlanOf } from '../helpers/query-plans.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const year = { since: Date.UTC(2025, 0, 1), until: Date.UTC(2026, 0, 1) }
const weeks = { unit: 'week', origin: year.since, count: 53, sizeMs: 7 * 86_400_000 } as const
/** A period that covers its first and last months in part. */
const partMonths = { since: Date.UTC(2025, 0, 15), until: Date.UTC(2025, 11, 15) }

/** The statements the funnel's two reads run for all offers and for one. */
async function funnelStatements(
  db: Kysely<Database>,
): Promise<Record<'allOffers' | 'oneOffer' | 'oneOfferPartMonths', CompiledQuery[]>> {
  const captured: RootOperationNode[] = []
  const capture: KyselyPlugin = {
    transformQuery: (args) => {
      captured.push(args.node)
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const funnel = createFunnelQueries(db.withPlugin(capture))
  /** The statement a read runs: the last node it compiles (its subqueries come first). */
  const statementOf = async (read: () => Promise<unknown>) => {
    captured.length = 0
    await read()
    return db.getExecutor().compileQuery(captured.at(-1)!, { queryId: 'plan' } as never)
  }
  const run = async (filter: { offerId?: string }, period: { since: number; until: number } = year) => [
    await statementOf(() => funnel.funnelCounts('tnt_plan', { ...filter, ...period })),
    await statementOf(() =>
      funnel.funnelOverTime('tnt_plan', { ...filter, ...period }, { ...weeks, origin: period.since }),
    ),
  ]
  return {
    allOffers: await run({}),
    oneOffer: await run({ offerId: 'contoso.crm' }),
    oneOfferPartMonths: await run({ offerId: 'contoso.crm' }, partMonths),
  }
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

  test('all offers: funnel_all_offers by its primary key; one offer: its roll-ups and funnel_counts by theirs', async () => {
    const { allOffers, oneOffer, oneOfferPartMonths } = await funnelStatements(db)
    expect(allOffers).toHaveLength(2)
    expect(oneOffer).toHaveLength(2)
    for (const query of allOffers) {
      const plan = await planOf(query)
      expect(plan).toContain(
        'SEARCH funnel_all_offers USING PRIMARY KEY (tenant_id=? AND measure=? AND day>? AND day<?)',
      )
      expect(plan).not.toMatch(/SCAN funnel/)
    }
    const [yearCounts, yearOverTime] = await Promise.all(oneOffer.map(planOf))
    expect(yearCounts).toContain(
      'SEARCH funnel_offer_months USING PRIMARY KEY (tenant_id=? AND measure=? AND offer_key=? AND month>? AND month<?)',
    )
    expect(yearCounts).not.toContain('funnel_counts')
    expect(yearOverTime).toContain(
      'SEARCH funnel_offer_days USING PRIMARY KEY (tenant_id=? AND offer_key=? AND day>? AND day<?)',
    )
    const [partCounts] = await Promise.all(oneOfferPartMonths.map(planOf))
    expect(partCounts).toContain(
      'SEARCH funnel_offer_months USING PRIMARY KEY (tenant_id=? AND measure=? AND offer_key=? AND month>? AND month<?)',
    )
    // The first month's days and the last month's.
    expect(
      partCounts?.match(
        /SEARCH funnel_counts USING PRIMARY KEY \(tenant_id=\? AND measure=\? AND offer_key=\? AND day>\? AND day<\?\)/g,
      ),
    ).toHaveLength(2)
    for (const query of [...oneOffer, ...oneOfferPartMonths]) expect(await planOf(query)).not.toMatch(/SCAN funnel/)
  })
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

  test('all offers: funnel_all_offers by its primary key; one offer: its roll-ups and funnel_counts by theirs', async () => {
    const { allOffers, oneOffer, oneOfferPartMonths } = await funnelStatements(db)
    for (const query of allOffers) {
      const plan = await planOf(query)
      expect(plan).toMatch(/(Index|Index Only|Bitmap Index) Scan (Backward )?(using|on) funnel_all_offers_pkey/)
      expect(plan).not.toContain('Seq Scan')
    }
    const index = (table: string) =>
      new RegExp(`(Index|Index Only|Bitmap Index) Scan (Backward )?(using|on) ${table}_pkey`)
    const [yearCounts, yearOverTime] = await Promise.all(oneOffer.map(planOf))
    expect(yearCounts).toMatch(index('funnel_offer_months'))
    expect(yearOverTime).toMatch(index('funnel_offer_days'))
    const [partCounts] = await Promise.all(oneOfferPartMonths.map(planOf))
    expect(partCounts).toMatch(index('funnel_offer_months'))
    expect(partCounts).toMatch(index('funnel_counts'))
    for (const query of [...oneOffer, ...oneOfferPartMonths]) expect(await planOf(query)).not.toContain('Seq Scan')
  })
})
