/**
 * After a bulk import, PostgreSQL's planner statistics of the tables it filled are fresh and their pages vacuumed
 * (`Store.runBulkImport`): a store that grew from thousands to a million rows was otherwise planned as if still small
 * until autovacuum came by (reads of the scale benchmark went from milliseconds to a second). ANALYZE writes
 * `pg_class.reltuples`, which is -1 for a table never analyzed; VACUUM counts in `pg_stat_user_tables`.
 */

import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'
import { refreshStatisticsAfterRows } from '../../src/store/kysely-store.ts'
import { createPostgresStore } from '../../src/store/postgres/index.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'

const schemas: string[] = []
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema)
})

async function query<Row extends object>(text: string, values: readonly unknown[]): Promise<Row[]> {
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    return (await client.query<Row>(text, [...values])).rows
  } finally {
    await client.end()
  }
}

async function vacuumsOfLeads(schema: string): Promise<number> {
  const rows = await query<{ vacuums: string }>(
    `select vacuum_count as vacuums from pg_stat_user_tables where schemaname = $1 and relname = 'leads'`,
    [schema],
  )
  return Number(rows[0]?.vacuums ?? 0)
}

async function analyzedTables(schema: string): Promise<string[]> {
  const rows = await query<{ relname: string }>(
    `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'r' and c.reltuples >= 0 order by c.relname`,
    [schema],
  )
  return rows.map((row) => row.relname)
}

describe.skipIf(postgresSkipReason !== undefined)('planner statistics after a bulk import (PostgreSQL)', () => {
  test('a bulk import of many rows analyzes the tables ingest fills; a small one leaves them alone', async () => {
    const schema = newSchemaName()
    schemas.push(schema)
    const store = createPostgresStore({ connectionString: postgresUrl, schema, poolSize: 2 })
    try {
      await store.migrate()
      expect(await analyzedTables(schema)).not.toContain('leads')
      expect(await vacuumsOfLeads(schema)).toBe(0)

      await store.runBulkImport({ expectedRows: refreshStatisticsAfterRows - 1 }, async () => undefined)
      expect(await analyzedTables(schema)).not.toContain('leads')

      const answer = await store.runBulkImport({ expectedRows: refreshStatisticsAfterRows }, async () => 'imported')
      expect(answer).toBe('imported')
      expect(await vacuumsOfLeads(schema)).toBe(1)
      expect(await analyzedTables(schema)).toEqual(
        expect.arrayContaining([
          'deliveries',
          'funnel_all_offers',
          'funnel_counts',
          'funnel_offer_days',
          'funnel_offer_months',
          'lead_events',
          'leads',
        ]),
      )
    } finally {
      await store.close()
    }
  })
})
