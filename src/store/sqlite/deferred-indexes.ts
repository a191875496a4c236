/**
 * Indexes a large bulk import sets aside on SQLite and builds once at its end (docs/import-export.md, "Indexes").
 * Every lead an import writes adds or rewrites an entry in each index of `leads`, and at a million events their keys
 * are random pages of a file larger than the page cache: most of an import's time. Building an index afterwards sorts
 * its rows once. Only indexes no ingest statement reads are set aside; the ones below stay, so dedupe and merge
 * keep their lookups and a delivery worker running beside the import keeps its own.
 */

import { type Kysely, sql } from 'kysely'
import type { BookkeepingTransaction } from '../executor.ts'
import type { IndexDeferral } from '../kysely-store.ts'
import type { Database } from '../schema.ts'

/** Read while recording events (merge, idempotency key, content hash) or by the delivery worker on every claim. */
export const indexesKeptDuringBulkImport = [
  'leads_identity',
  'lead_events_idempotency',
  'lead_events_content',
  'lead_events_lead',
  'deliveries_due',
  'deliveries_pair',
] as const

/** Read only by lists, searches, the lead page and erasure: set aside during a large bulk import. */
export const indexesDeferredDuringBulkImport = [
  'leads_tenant_order',
  'leads_tenant_email',
  'leads_tenant_activity',
  'leads_tenant_created',
  'leads_tenant_offer',
  'leads_tenant_stage',
  'leads_tenant_source',
  'leads_tenant_domain',
  'leads_tenant_name',
  'leads_tenant_last_name',
  'leads_tenant_company',
  'leads_tenant_dnc',
  'leads_tenant_test',
  'leads_tenant_unrouted',
  'leads_tenant_offer_stage',
  'leads_tenant_source_dnc',
  'deliveries_tenant',
  'deliveries_lead',
  'deliveries_tenant_lead',
] as const

/** Sorter threads SQLite may use while it builds an index. */
const sortThreads = 2

/** Below this many rows an import keeps every index up as it goes: building them again would cost more. */
export const minimumRowsToDefer = 10_000

export function createSqliteIndexDeferral(
  db: Kysely<Database>,
  writeTransaction: BookkeepingTransaction,
): IndexDeferral {
  async function definitionOf(executor: Kysely<Database>, index: string): Promise<string | undefined> {
    const { rows } = await sql<{ sql: string }>`
      select sql from sqlite_master where type = 'index' and name = ${index}`.execute(executor)
    return rows[0]?.sql
  }

  /** In a transaction of its own, and checked again inside it: another process may have built it meanwhile. */
  async function buildOne(index: string): Promise<void> {
    await writeTransaction(async (trx) => {
      const { rows } = await sql<{ definition: string }>`
        select definition from deferred_indexes where name = ${index}`.execute(trx)
      const definition = rows[0]?.definition
      if (definition === undefined) return
      if ((await definitionOf(trx, index)) === undefined) await sql.raw(definition).execute(trx)
      await sql`delete from deferred_indexes where name = ${index}`.execute(trx)
    })
  }

  return {
    async worthDeferring(expectedRows) {
      if (expectedRows < minimumRowsToDefer) return false
      const { rows } = await sql<{ leads: number }>`select count(*) as leads from leads`.execute(db)
      return expectedRows >= Number(rows[0]?.leads ?? 0)
    },

    async setAside(now) {
      // One transaction: an index is dropped only with the row that says how to build it again.
      return writeTransaction(async (trx) => {
        let count = 0
        for (const index of indexesDeferredDuringBulkImport) {
          const definition = await definitionOf(trx, index)
          if (definition === undefined) continue
          await sql`insert into deferred_indexes (name, definition, deferred_at) values (${index}, ${definition}, ${now})
            on conflict (name) do nothing`.execute(trx)
          await sql`drop index ${sql.id(index)}`.execute(trx)
          count++
        }
        return count
      })
    },

    async buildPending(onBuilt) {
      const { rows: table } = await sql`
        select 1 from sqlite_master where type = 'table' and name = 'deferred_indexes'`.execute(db)
      if (table.length === 0) return 0
      const { rows } = await sql<{ name: string }>`select name from deferred_indexes order by name`.execute(db)
      if (rows.length === 0) return 0
      // A second thread sorts the index's keys while the first reads the table (about a fifth faster on two CPUs).
      await sql`pragma threads = ${sql.lit(sortThreads)}`.execute(db)
      try {
        for (const [done, { name }] of rows.entries()) {
          await buildOne(name)
          onBuilt?.(done + 1, rows.length)
        }
      } finally {
        await sql`pragma threads = 0`.execute(db)
      }
      return rows.length
    },
  }
}
