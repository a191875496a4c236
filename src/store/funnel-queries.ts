/**
 * The funnel report's reads, from the counters every path that writes leads keeps in the same transaction as the lead
 * change (docs/funnel.md, funnel-counter-writes.ts), and the roll-ups triggers keep of them: all offers per day,
 * one offer per month and per day. A read touches a bounded number of rows per day or month of the period, however
 * many leads and events the tenant has.
 */

import { type Kysely, sql } from 'kysely'
import { type Stage, stages } from '../core/funnel.ts'
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

/** The UTC midnight of the first day of the month `at` falls in. */
function monthOf(at: number): number {
  const date = new Date(at)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
}

function monthAfter(month: number): number {
  const date = new Date(month)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
}

/**
 * The months all of whose days are in the day range [from, to): from `first` (its first month) to `end` (the month
 * after its last), each open when the range is; undefined when no month is whole. The days of the range outside
 * them are the counters' days in [from, first) and [end, to).
 */
export function wholeMonthsOf(
  from: number | undefined,
  to: number | undefined,
): { first?: number; end?: number } | undefined {
  const first = from === undefined ? undefined : monthOf(from) === from ? from : monthAfter(monthOf(from))
  // A month is whole when its last day is in the range: that day is before `to`, so the month after starts before
  // `to` plus a day.
  const end = to === undefined ? undefined : monthOf(to + dayMs - 1)
  if (first !== undefined && end !== undefined && first >= end) return undefined
  return { ...(first !== undefined && { first }), ...(end !== undefined && { end }) }
}

export function createFunnelQueries(db: Kysely<Database>) {
  /** Leads of a configured offer carry its id; leads from before it was configured may still carry its name. */
  const offerKeysOf = (offerId: string) => [...new Set([offerId, offerKeyOf(offerId)])]

  /**
   * The counters of the period: one offer's rows of `funnel_counts` (under its id and its name), or all offers' sums
   * per day from `funnel_all_offers` (kept by triggers on `funnel_counts`), so a year of every offer reads as many rows
   * as a year of one. The callers sum them in SQL, so the rows leave the database already reduced.
   */
  function counterQuery(tenantId: string, filter: FunnelFilter, measures: readonly Measure[]) {
    const { from, to } = dayRange(filter)
    const offerKeys = filter.offerId === undefined ? undefined : offerKeysOf(filter.offerId)
    return dayCounters(tenantId, offerKeys, measures, from, to)
  }

  function dayCounters(
    tenantId: string,
    offerKeys: readonly string[] | undefined,
    measures: readonly Measure[],
    from: number | undefined,
    to: number | undefined,
  ) {
    return db
      .selectFrom(offerKeys === undefined ? 'funnel_all_offers' : 'funnel_counts')
      .where('tenant_id', '=', tenantId)
      .where('measure', 'in', measures)
      .$if(offerKeys !== undefined, (query) => query.where('offer_key', 'in', offerKeys!))
      .$if(from !== undefined, (query) => query.where('day', '>=', from!))
      .$if(to !== undefined, (query) => query.where('day', '<', to!))
  }

  /**
   * One offer's counters of the period per measure, stage and source, as rows of (measure, stage, source, day,
   * leads, whole): the whole months from `funnel_offer_months` (`whole` 1, `day` the month), the days of the months the
   * period covers in part from `funnel_counts` (`whole` 0). A year is then about 170 rows instead of 4,700.
   */
  function offerPeriodCounters(tenantId: string, offerId: string, filter: FunnelFilter, measures: readonly Measure[]) {
    const { from, to } = dayRange(filter)
    const offerKeys = offerKeysOf(offerId)
    const months = wholeMonthsOf(from, to)
    const days = (lower: number | undefined, upper: number | undefined) =>
      dayCounters(tenantId, offerKeys, measures, lower, upper).select([
        'measure',
        'stage',
        'source',
        'day',
        'leads',
        sql.lit(0).as('whole'),
      ])
    if (months === undefined) return days(from, to)
    const { first, end } = months
    let query = db
      .selectFrom('funnel_offer_months')
      .where('tenant_id', '=', tenantId)
      .where('measure', 'in', measures)
      .where('offer_key', 'in', offerKeys)
      .$if(first !== undefined, (query) => query.where('month', '>=', first!))
      .$if(end !== undefined, (query) => query.where('month', '<', end!))
      .select(['measure', 'stage', 'source', 'month as day', 'leads', sql.lit(1).as('whole')])
    // Bounds at UTC midnight leave no day outside the whole months (a day is its midnight).
    const hasDays = (lower: number, upper: number) => Math.ceil(lower / dayMs) * dayMs < upper
    if (first !== undefined && hasDays(from!, first)) query = query.unionAll(days(from, first))
    if (end !== undefined && to !== undefined && hasDays(end, to)) query = query.unionAll(days(end, to))
    return query
  }

  /** The UTC midnight of the first day in [month, next month) with a lead's first event of one offer. */
  async function firstDayIn(tenantId: string, offerId: string, month: number): Promise<number> {
    const row = await dayCounters(tenantId, offerKeysOf(offerId), ['new'], month, monthAfter(month))
      .where('leads', '<>', 0)
      .select((eb) => eb.fn.min<number | string>('day').as('day'))
      .executeTakeFirstOrThrow()
    return Number(row.day)
  }

  return {
    /**
     * Leads that first reached each stage in the period (by that event's source), leads whose first event was in the
     * period by their stage now, and leads whose first trial was in the period by their stage now; test leads never.
     */
    async funnelCounts(tenantId: string, filter: FunnelFilter): Promise<FunnelCounts> {
      const measures = ['new', 'trialed', 'reached'] as const
      const counters =
        filter.offerId === undefined
          ? counterQuery(tenantId, filter, measures).select([
              'measure',
              'stage',
              'source',
              'day',
              'leads',
              sql.lit(0).as('whole'),
            ])
          : offerPeriodCounters(tenantId, filter.offerId, filter, measures)
      // Counters are never negative, so a day (or month) with any row above zero is one with leads.
      const firstWith = (whole: 0 | 1) =>
        sql<number | string | null>`min(case when leads <> 0 and whole = ${sql.lit(whole)} then day end)`
      const rows = (
        await db
          .selectFrom(counters.as('counters'))
          .select((eb) => [
            'measure',
            'stage',
            'source',
            eb.fn.sum<number | string>('leads').as('leads'),
            firstWith(0).as('first_day'),
            firstWith(1).as('first_month'),
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
          firstMonth: row.first_month === null ? Number.POSITIVE_INFINITY : Number(row.first_month),
        }))
        .filter((row) => row.leads !== 0)
        // In the funnel's order of stages, then by source: the same answer whatever order the plan grouped in.
        .sort(
          (a, b) =>
            stages.indexOf(a.stage) - stages.indexOf(b.stage) ||
            (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
        )
      const of = (measure: Measure) => rows.filter((row) => row.measure === measure)
      const byStage = (measure: Measure) =>
        [...sumBy(of(measure), (row) => row.stage)].map(([stage, leads]) => ({ stage, leads }))
      const bySourceAndStage = [...sumBy(of('reached'), (row) => JSON.stringify([row.source, row.stage]))].map(
        ([key, leads]) => {
          const [source, stage] = JSON.parse(key) as [string, Stage]
          return { source: source === '' ? 'unknown' : source, stage, leads }
        },
      )
      // The days before the whole months come before them and those after, after; a first event in a whole month is
      // on one of its days.
      const firstMonth = Math.min(...of('new').map((row) => row.firstMonth))
      const firstDay =
        filter.offerId !== undefined && firstMonth < Math.min(...of('new').map((row) => row.firstDay))
          ? await firstDayIn(tenantId, filter.offerId, firstMonth)
          : Math.min(...of('new').map((row) => row.firstDay))
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
      // Each day goes to the bucket its middle falls in, in SQL, so a year leaves the database as 53 weeks rather
      // than 365 days.
      const bucket = sql<number>`cast((day + ${halfDayMs - buckets.origin}) / ${buckets.sizeMs} as integer)`
      if (filter.offerId !== undefined) {
        // One row per day of the offer (funnel_offer_days), whatever its number of leads, stages and sources.
        const { from, to } = dayRange(within)
        const sums = await db
          .selectFrom('funnel_offer_days')
          .where('tenant_id', '=', tenantId)
          .where('offer_key', 'in', offerKeysOf(filter.offerId))
          .where('day', '>=', from!)
          .where('day', '<', to!)
          .select((eb) => [
            bucket.as('bucket'),
            eb.fn.sum<number | string>('first_events').as('first_events'),
            ...stages.map((stage) => eb.fn.sum<number | string>(`reached_${stage}`).as(stage)),
          ])
          .groupBy('bucket')
          .execute()
        return {
          byBucket: sums
            .map((row) => ({ bucket: Number(row.bucket), leads: Number(row.first_events) }))
            .filter((row) => row.leads !== 0),
          byBucketAndStage: sums
            .flatMap((row) => stages.map((stage) => ({ bucket: Number(row.bucket), stage, leads: Number(row[stage]) })))
            .filter((row) => row.leads !== 0),
        }
      }
      const rows = (
        await counterQuery(tenantId, within, ['new', 'reached'])
          .select((eb) => ['measure', bucket.as('bucket'), 'stage', eb.fn.sum<number | string>('leads').as('leads')])
          .groupBy(['measure', 'bucket', 'stage'])
          .execute()
      )
        .map((row) => ({
          measure: row.measure,
          bucket: Number(row.bucket),
          stage: row.stage as Stage,
          leads: Number(row.leads),
        }))
        .filter((row) => row.leads !== 0)
      const byBucket = sumBy(
        rows.filter((row) => row.measure === 'new'),
        (row) => row.bucket,
      )
      const byBucketAndStage = rows
        .filter((row) => row.measure === 'reached')
        .map(({ bucket, stage, leads }) => ({ bucket, stage, leads }))
      return {
        byBucket: [...byBucket].map(([bucket, leads]) => ({ bucket, leads })),
        byBucketAndStage,
      }
    },
  }
}
