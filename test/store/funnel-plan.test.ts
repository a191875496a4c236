/**
 * The funnel's statements as the databases plan them: the all-offers report reads `funnel_all_offers` and one offer's
 * report reads `funnel_counts`, each as a range of its primary key (tenant, measure, [offer,] day), never a scan of
 * every counter of the tenant (SQLite's `EXPLAIN QUERY PLAN` without statistics; PostgreSQL's `EXPLAIN` with
 * sequential scans priced out). The statements are those the queries run, captured as they execute.
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

/** The statements the funnel's two reads run for all offers and for one. */
async function funnelStatements(db: Kysely<Database>): Promise<Record<'allOffers' | 'oneOffer', CompiledQuery[]>> {
  const captured: RootOperationNode[] = []
  const capture: KyselyPlugin = {
    transformQuery: (args) => {
      captured.push(args.node)
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const funnel = createFunnelQueries(db.withPlugin(capture))
  const run = async (filter: { offerId?: string }) => {
    captured.length = 0
    await funnel.funnelCounts('tnt_plan', { ...filter, ...year })
    await funnel.funnelOverTime('tnt_plan', { ...filter, ...year }, weeks)
    return captured.map((node) => db.getExecutor().compileQuery(node, { queryId: 'plan' } as never))
  }
  return { allOffers: await run({}), oneOffer: await run({ offerId: 'contoso.crm' }) }
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

  test('all offers: funnel_all_offers by its primary key; one offer: funnel_counts by its primary key', async () => {
    const { allOffers, oneOffer } = await funnelStatements(db)
    expect(allOffers).toHaveLength(2)
    expect(oneOffer).toHaveLength(2)
    for (const query of allOffers) {
      const plan = await planOf(query)
      expect(plan).toContain(
        'SEARCH funnel_all_offers USING PRIMARY KEY (tenant_id=? AND measure=? AND day>? AND day<?)',
      )
      expect(plan).not.toMatch(/SCAN funnel/)
    }
    for (const query of oneOffer) {
      const plan = await planOf(query)
      expect(plan).toContain(
        'SEARCH funnel_counts USING PRIMARY KEY (tenant_id=? AND measure=? AND offer_key=? AND day>? AND day<?)',
      )
      expect(plan).not.toMatch(/SCAN funnel/)
    }
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

  test('all offers: funnel_all_offers by its primary key; one offer: funnel_counts by its primary key', async () => {
    const { allOffers, oneOffer } = await funnelStatements(db)
    for (const query of allOffers) {
      const plan = await planOf(query)
      expect(plan).toMatch(/(Index|Index Only|Bitmap Index) Scan (Backward )?(using|on) funnel_all_offers_pkey/)
      expect(plan).not.toContain('Seq Scan')
    }
    for (const query of oneOffer) {
      const plan = await planOf(query)
      expect(plan).toMatch(/(Index|Index Only|Bitmap Index) Scan (Backward )?(using|on) funnel_counts_pkey/)
      expect(plan).not.toContain('Seq Scan')
    }
  })
})
