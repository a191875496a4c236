import { type Kysely, sql } from 'kysely'

export const name = 'queue-statistics'

/**
 * The delivery queue churns: every row is inserted, updated a few times and then left alone. With PostgreSQL's
 * default thresholds (20 % of the table changed) its statistics lag far behind a burst of leads, and the planner then
 * sorts every queued row on each claim instead of reading the due index in order. Queue tables want autovacuum to
 * analyze and vacuum them after a small share of changes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['deliveries', 'delivery_attempts']) {
    await sql`
      alter table ${sql.table(table)} set (
        autovacuum_analyze_scale_factor = 0.01,
        autovacuum_analyze_threshold = 500,
        autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_vacuum_threshold = 1000
      )`.execute(db)
  }
}
