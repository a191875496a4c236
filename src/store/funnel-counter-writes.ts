/**
 * The one write of the funnel counters (docs/funnel.md): every path that writes leads sums its leads' changes over its
 * transaction (core/funnel-counters.ts) and hands them here before it commits. The SQLite ingest statements write the
 * same upsert as a prepared statement of their own.
 */

import { sql } from 'kysely'
import type { FunnelDelta } from '../core/funnel-counters.ts'
import type { Executor } from './executor.ts'

/** Counter rows per statement: seven parameters each, well under SQLite's and PostgreSQL's limits. */
const countersPerStatement = 1000

/**
 * Adds a transaction's summed changes (core/funnel-counters.ts) to `funnel_counts`, one row per counter, in the order
 * given (FunnelDeltas keeps one order, so concurrent transactions on PostgreSQL lock shared counters alike).
 */
export async function applyFunnelDeltas(trx: Executor, deltas: readonly FunnelDelta[]): Promise<void> {
  for (let from = 0; from < deltas.length; from += countersPerStatement) {
    await trx
      .insertInto('funnel_counts')
      .values(
        deltas.slice(from, from + countersPerStatement).map(({ counter, leads }) => ({
          tenant_id: counter.tenantId,
          measure: counter.measure,
          offer_key: counter.offerKey,
          day: counter.day,
          stage: counter.stage,
          source: counter.source,
          leads,
        })),
      )
      .onConflict((conflict) =>
        conflict
          .columns(['tenant_id', 'measure', 'offer_key', 'day', 'stage', 'source'])
          .doUpdateSet({ leads: sql<number>`funnel_counts.leads + excluded.leads` }),
      )
      .execute()
  }
}
