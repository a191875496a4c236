/**
 * The funnel report's reads, from the counters every path that writes leads keeps in the same transaction as the lead
 * change (docs/funnel.md, funnel-counter-writes.ts). A read touches one counter row per offer, day, measure,
 * stage and source of the period, however many leads and events the tenant has.
 */

import { type Kysely, sql } from 'kysely'
import type { Stage } from '../core/funnel.ts'
import type { FunnelCounts, FunnelTimeCounts, TimeBuckets } from '../core/funnel-report.ts'
import { offerKeyOf } from '../core/lead-source.ts'
import type { Database } from './schema.ts'

const dayMs = 86_400_000
const halfDayMs = dayMs / 2

export interface FunnelFilter {
  readonly offerId?: string
  readonly since?: number
  readonly until?: number
}

type Measure = 'new' | 'trialed' | 'reached'

/**
 * Counters are per UTC day; a day belongs to the period its middle falls in. Bounds at UTC midnight are exact, and a
 * bound at local midnight (the portal's) takes the UTC day of the same date for any offset within ±12 hours.
 */
function dayRange(filter: FunnelFilter): { from?: number; to?: number } {
  return {
    ...(filter.since !== undefined && { from: filter.since - halfDayMs }),
    ...(filter.until !== undefined && { to: filter.until - halfDayMs }),
  }
}

function sumBy<T extends { readonly leads: number }, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, number> {
  const sums = new Map<K, number>()
  for (const row of rows) sums.set(keyOf(row), (sums.get(keyOf(row)) ?? 0) + row.leads)
  return sums
}

export function createFunnelQueries(db: Kysely<Database>) {
  /**
   * The counters of the period: one offer's rows of `funnel_counts` (under its id and its name), or all offers' sums
   * per day from `funnel_all_offers` (kept by triggers on `funnel_counts`), so a year of every offer reads as many rows
   * as a year of one. The callers sum them in SQL (per measure, stage and source for the period, per measure, day
   * and stage over time), so the rows leave the database already reduced.
   */
  function counterQuery(tenantId: string, filter: FunnelFilter, measures: readonly Measure[]) {
    const { from, to } = dayRange(filter)
    // Leads of a configured offer carry its id; leads from before it was configured may still carry its name.
    const offerKeys =
      filter.offerId === undefined ? undefined : [...new Set([filter.offerId, offerKeyOf(filter.offerId)])]
    return db
      .selectFrom(offerKeys === undefined ? 'funnel_all_offers' : 'funnel_counts')
      .where('tenant_id', '=', tenantId)
      .where('measure', 'in', measures)
      .$if(offerKeys !== undefined, (query) => query.where('offer_key', 'in', offerKeys!))
      .$if(from !== undefined, (query) => query.where('day', '>=', from!))
      .$if(to !== undefined, (query) => query.where('day', '<', to!))
  }

  return {
    /**
     * Leads that first reached each stage in the period (by that event's source), leads whose first event was in the
     * period by their stage now, and leads whose first trial was in the period by their stage now; test leads never.
     */
    async funnelCounts(tenantId: string, filter: FunnelFilter): Promise<FunnelCounts> {
      const rows = (
        await counterQuery(tenantId, filter, ['new', 'trialed', 'reached'])
          .select((eb) => [
            'measure',
            'stage',
            'source',
            eb.fn.sum<number | string>('leads').as('leads'),
            // Counters are never negative, so a day with any row above zero is a day with leads.
            eb.fn.min<number | string | null>(sql`case when leads <> 0 then day end`).as('first_day'),
          ])
          .groupBy(['measure', 'stage', 'source'])
          .execute()
      )
        .map((row) => ({
          measure: row.measure as Measure,
          stage: row.stage as Stage,
          source: row.source,
          leads: Number(row.leads),
          firstDay: row.first_day === null ? Number.POSITIVE_INFINITY : Number(row.first_day),
        }))
        .filter((row) => row.leads !== 0)
      const of = (measure: Measure) => rows.filter((row) => row.measure === measure)
      const byStage = (measure: Measure) =>
        [...sumBy(of(measure), (row) => row.stage)].map(([stage, leads]) => ({ stage, leads }))
      const bySourceAndStage = [...sumBy(of('reached'), (row) => JSON.stringify([row.source, row.stage]))].map(
        ([key, leads]) => {
          const [source, stage] = JSON.parse(key) as [string, Stage]
          return { source: source === '' ? 'unknown' : source, stage, leads }
        },
      )
      const firstDay = Math.min(...of('new').map((row) => row.firstDay))
      return {
        bySourceAndStage,
        byStage: byStage('reached'),
        byFurthestStage: byStage('new'),
        trialedByFurthestStage: byStage('trialed'),
        ...(Number.isFinite(firstDay) && { firstEventAt: firstDay }),
      }
    },

    /** Per bucket: leads whose first event fell in it, and leads that first reached each stage in it. */
    async funnelOverTime(tenantId: string, filter: FunnelFilter, buckets: TimeBuckets): Promise<FunnelTimeCounts> {
      const end = buckets.origin + buckets.count * buckets.sizeMs
      const within: FunnelFilter = {
        ...(filter.offerId !== undefined && { offerId: filter.offerId }),
        since: Math.max(filter.since ?? buckets.origin, buckets.origin),
        until: Math.min(filter.until ?? end, end),
      }
      const rows = (
        await counterQuery(tenantId, within, ['new', 'reached'])
          .select((eb) => ['measure', 'day', 'stage', eb.fn.sum<number | string>('leads').as('leads')])
          .groupBy(['measure', 'day', 'stage'])
          .execute()
      )
        .map((row) => ({
          measure: row.measure,
          day: Number(row.day),
          stage: row.stage as Stage,
          leads: Number(row.leads),
        }))
        .filter((row) => row.leads !== 0)
      const bucketOf = (day: number) => Math.floor((day + halfDayMs - buckets.origin) / buckets.sizeMs)
      const byBucket = sumBy(
        rows.filter((row) => row.measure === 'new'),
        (row) => bucketOf(row.day),
      )
      const byBucketAndStage = sumBy(
        rows.filter((row) => row.measure === 'reached'),
        (row) => JSON.stringify([bucketOf(row.day), row.stage]),
      )
      return {
        byBucket: [...byBucket].map(([bucket, leads]) => ({ bucket, leads })),
        byBucketAndStage: [...byBucketAndStage].map(([key, leads]) => {
          const [bucket, stage] = JSON.parse(key) as [number, Stage]
          return { bucket, stage, leads }
        }),
      }
    },
  }
}
