/**
 * The SQLite ingest hot path: the same steps as everywhere (record-lead-event.ts) over prepared statements, in one
 * `BEGIN IMMEDIATE` transaction per group commit, with the batch's funnel counter changes summed and written at its end. Kysely builds and prepares every query anew, which costs several
 * times the query itself (docs/decisions/0002-sqlite-ingest-prepared-statements.md).
 */

import type { Database as SqliteDatabase, Statement } from 'better-sqlite3'
import { FunnelDeltas } from '../../core/funnel-counters.ts'
import { eventColumns, type LeadRow, leadColumns, updatedLeadColumns } from '../lead-columns.ts'
import { type IngestQueries, recordLeadEvent } from '../record-lead-event.ts'
import type { IngestItem, IngestOutcome } from '../types.ts'
import { createSqliteAlertQueries } from './alert-statements.ts'
import { beginWriteTransaction } from './sqlite-kysely.ts'

function insertSql(table: string, columns: readonly string[]): string {
  return `insert into ${table} (${columns.join(', ')}) values (${columns.map((column) => `@${column}`).join(', ')})`
}

function prepareStatements(database: SqliteDatabase) {
  return {
    begin: database.prepare(beginWriteTransaction),
    commit: database.prepare('commit'),
    rollback: database.prepare('rollback'),
    eventByKey: database.prepare(
      'select content_hash, result from lead_events where tenant_id = ? and idempotency_key = ?',
    ),
    eventByContent: database.prepare(
      'select result from lead_events where tenant_id = ? and content_hash = ? and received_at >= ? order by seq desc limit 1',
    ),
    offerByAlias: database.prepare('select offer_id from offer_aliases where tenant_id = ? and alias = ?'),
    leadByIdentity: database.prepare('select * from leads where tenant_id = ? and offer_key = ? and merge_key = ?'),
    updateLeadColumns: updateStatementsOf(
      database,
      database.prepare(
        `update leads set ${updatedLeadColumns.map((column) => `${column} = @${column}`).join(', ')} where id = @id`,
      ),
    ),
    insertLead: database.prepare(insertSql('leads', leadColumns)),
    routed: database.prepare(
      `select r.destination_id as id from routes r join destinations d on d.id = r.destination_id
       where r.tenant_id = ? and r.scope = ? and d.deleted_at is null`,
    ),
    insertDelivery: database.prepare(
      `insert into deliveries (id, tenant_id, lead_id, destination_id, lead_version, state, attempts, run_at, retry_from,
         created_at, updated_at, trace_parent) values (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?)`,
    ),
    insertEvent: database.prepare(insertSql('lead_events', eventColumns)),
    addToFunnelCounter: database.prepare(
      `insert into funnel_counts (tenant_id, measure, offer_key, day, stage, source, leads) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (tenant_id, measure, offer_key, day, stage, source) do update set leads = leads + excluded.leads`,
    ),
  }
}

/** Column sets that get a statement of their own (a few dozen occur); an update beyond them sets every column. */
const maxUpdateStatements = 256

/**
 * Update statements by the columns they set. SQLite rewrites the entries of every index holding a column an update
 * sets, whether or not its value changed; a lead's e-mail, name and company rarely change, so most updates leave
 * those indexes alone (docs/import-export.md, "Bulk import").
 */
function updateStatementsOf(database: SqliteDatabase, all: Statement) {
  const byColumns = new Map<string, Statement>()
  return (columns: readonly (typeof updatedLeadColumns)[number][]): Statement => {
    if (columns.length === updatedLeadColumns.length) return all
    const key = columns.join(',')
    let statement = byColumns.get(key)
    if (statement === undefined) {
      if (byColumns.size >= maxUpdateStatements) return all
      statement = database.prepare(
        `update leads set ${columns.map((column) => `${column} = @${column}`).join(', ')} where id = @id`,
      )
      byColumns.set(key, statement)
    }
    return statement
  }
}

function ingestQueries(statements: ReturnType<typeof prepareStatements>): IngestQueries {
  return {
    eventByIdempotencyKey: async (tenantId, key) =>
      statements.eventByKey.get(tenantId, key) as { content_hash: string; result: string } | undefined,
    recentEventByContent: async (tenantId, contentHash, since) =>
      statements.eventByContent.get(tenantId, contentHash, since) as { result: string } | undefined,
    offerIdByAlias: async (tenantId, alias) =>
      (statements.offerByAlias.get(tenantId, alias) as { offer_id: string } | undefined)?.offer_id,
    leadByIdentity: async (tenantId, offerKey, mergeKey) =>
      statements.leadByIdentity.get(tenantId, offerKey, mergeKey) as LeadRow | undefined,
    async updateLead(id, columns, before) {
      const changed = updatedLeadColumns.filter((column) => columns[column] !== before[column])
      statements.updateLeadColumns(changed).run({ ...columns, id })
    },
    async insertLead(row) {
      statements.insertLead.run(row)
    },
    routedDestinations: async (tenantId, scope) =>
      (statements.routed.all(tenantId, scope) as { id: string }[]).map((row) => row.id),
    async insertDeliveries(rows) {
      for (const row of rows) {
        statements.insertDelivery.run(
          row.id,
          row.tenant_id,
          row.lead_id,
          row.destination_id,
          row.lead_version,
          row.now,
          row.now,
          row.now,
          row.now,
          row.trace_parent,
        )
      }
    },
    async insertEvent(row) {
      statements.insertEvent.run(row)
    },
  }
}

/** Runs `work` while no other query can use the connection (Kysely's connection lock, or nothing on a thread alone). */
export type ExclusiveUse = <T>(work: () => Promise<T>) => Promise<T>

export function createSqliteIngest(database: SqliteDatabase, exclusive: ExclusiveUse) {
  // Prepared on first use: the tables exist only once the store has been migrated.
  let prepared: { statements: ReturnType<typeof prepareStatements>; queries: IngestQueries } | undefined

  /** One group commit, inside one `BEGIN IMMEDIATE` transaction that no other query on the connection joins. */
  return function recordBatch(items: readonly IngestItem[], now: number): Promise<IngestOutcome[]> {
    return exclusive(async () => {
      if (!prepared) {
        const statements = prepareStatements(database)
        prepared = { statements, queries: { ...ingestQueries(statements), alerts: createSqliteAlertQueries(database) } }
      }
      const { statements, queries } = prepared
      statements.begin.run()
      try {
        const outcomes: IngestOutcome[] = []
        const funnel = new FunnelDeltas()
        for (const item of items) outcomes.push(await recordLeadEvent(queries, item, now, funnel))
        // Most leads of a batch share tenant, offer, day and stage: a few counter rows for the whole batch.
        for (const { counter, leads } of funnel.deltas()) {
          statements.addToFunnelCounter.run(
            counter.tenantId,
            counter.measure,
            counter.offerKey,
            counter.day,
            counter.stage,
            counter.source,
            leads,
          )
        }
        statements.commit.run()
        return outcomes
      } catch (error) {
        if (database.inTransaction) statements.rollback.run()
        throw error
      }
    })
  }
}
