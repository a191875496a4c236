/** Funnel figures for a period: how many customers reached each stage, by source, and the conversion between stages. */

import { type Stage, stageRank, stages } from './funnel.ts'

/** Stages in funnel order, the ones a customer moves through; a churned customer was a customer first. */
export const funnelSteps = [
  'trial',
  'initial_interest',
  'active',
  'customer',
  'churned',
] as const satisfies readonly Stage[]

export interface FunnelCounts {
  /** Non-test leads that first reached this stage in the period, by the source of that first event. */
  readonly bySourceAndStage: readonly { source: string; stage: Stage; leads: number }[]
  /** Non-test leads that first reached this stage in the period, whatever the source. */
  readonly byStage: readonly { stage: Stage; leads: number }[]
  /** Non-test leads whose first event was in the period, by the stage they are in now (docs/funnel.md). */
  readonly byFurthestStage: readonly { stage: Stage; leads: number }[]
  /** Leads whose first trial was in the period, by the stage they are in now (how many went on). */
  readonly trialedByFurthestStage: readonly { stage: Stage; leads: number }[]
  /** Start of the UTC day of the period's earliest first event (epoch ms), when there is one. */
  readonly firstEventAt?: number
}

/** Per bucket index: leads that first reached each stage in it, and leads whose first event was in it. */
export interface FunnelTimeCounts {
  readonly byBucketAndStage: readonly { bucket: number; stage: Stage; leads: number }[]
  readonly byBucket: readonly { bucket: number; leads: number }[]
}

export type TimeUnit = 'day' | 'week'

/** The buckets of the leads-over-time chart: days up to about three months, weeks beyond, at most 400 of them. */
export interface TimeBuckets {
  readonly unit: TimeUnit
  /** Start of the first bucket, epoch ms. */
  readonly origin: number
  readonly sizeMs: number
  readonly count: number
}

const dayMs = 86_400_000
const maxBuckets = 400

/**
 * Buckets from `since` (the start of a local day, as the portal sends it) or, without one, from the UTC midnight
 * before the first event, up to `until` (or now); undefined when there is nothing to chart.
 */
export function timeBucketsFor(
  period: { readonly since?: number; readonly until?: number },
  firstEventAt: number | undefined,
  now: number,
): TimeBuckets | undefined {
  const origin = period.since ?? (firstEventAt === undefined ? undefined : firstEventAt - (firstEventAt % dayMs))
  if (origin === undefined) return undefined
  const end = Math.max(origin + 1, Math.min(period.until ?? now, now))
  const span = end - origin
  const unit: TimeUnit = span <= 92 * dayMs ? 'day' : 'week'
  const sizeMs = unit === 'day' ? dayMs : 7 * dayMs
  // Beyond the cap the earliest buckets are cut, never widened, so each bar keeps meaning one day or week.
  const count = Math.ceil(span / sizeMs)
  const kept = Math.min(count, maxBuckets)
  return { unit, origin: origin + (count - kept) * sizeMs, sizeMs, count: kept }
}

/** The stages charted over time: the funnel's steps and do-not-contact notices. */
export const timeStages = [
  'trial',
  'initial_interest',
  'active',
  'customer',
  'churned',
  'do_not_contact',
] as const satisfies readonly Stage[]

export interface FunnelOverTime {
  readonly unit: TimeUnit
  readonly buckets: readonly {
    /** ISO start of the day or week. */
    readonly start: string
    /** Leads whose first event was in the bucket. */
    readonly leads: number
    /** Leads that first reached each stage in the bucket. */
    readonly stages: Readonly<Record<(typeof timeStages)[number], number>>
  }[]
}

export function buildOverTime(buckets: TimeBuckets, counts: FunnelTimeCounts): FunnelOverTime {
  const rows = Array.from({ length: buckets.count }, (_, index) => ({
    start: new Date(buckets.origin + index * buckets.sizeMs).toISOString(),
    leads: 0,
    stages: { trial: 0, initial_interest: 0, active: 0, customer: 0, churned: 0, do_not_contact: 0 } as Record<
      (typeof timeStages)[number],
      number
    >,
  }))
  for (const row of counts.byBucket) {
    const target = rows[row.bucket]
    if (target) target.leads += row.leads
  }
  for (const row of counts.byBucketAndStage) {
    const target = rows[row.bucket]
    if (target && (timeStages as readonly string[]).includes(row.stage))
      target.stages[row.stage as (typeof timeStages)[number]] += row.leads
  }
  return { unit: buckets.unit, buckets: rows }
}

export interface FunnelReport {
  readonly leads: number
  /** Leads whose first event was in the period, by the stage they are in now. */
  readonly stages: Readonly<Record<Stage, number>>
  /**
   * Trial: leads whose first trial was in the period (a test drive is optional: buyers often skip it). Initial interest,
   * active and customer: leads that reached this step or a later one (a suspended or churned lead was a customer).
   * Churned: leads whose subscription is cancelled now.
   */
  readonly reached: Readonly<Record<(typeof funnelSteps)[number], number>>
  /** Share of leads that went on from one step to the next (or further), 0..1; null when none reached the first. */
  readonly conversion: readonly { from: string; to: string; rate: number | null }[]
  /** Leads that first reached each stage in the period, all sources together: the by-source table's total row. */
  readonly withEvent: Readonly<Record<Stage, number>>
  readonly bySource: readonly { source: string; stages: Readonly<Record<Stage, number>> }[]
  /** Leads per day or week of the period; absent when nothing happened in it. */
  readonly overTime?: FunnelOverTime
}

function zeroes(): Record<Stage, number> {
  return Object.fromEntries(stages.map((stage) => [stage, 0])) as Record<Stage, number>
}

function reaching(rows: readonly { stage: Stage; leads: number }[], step: Stage): number {
  return rows.filter((row) => stageRank[row.stage] >= stageRank[step]).reduce((sum, row) => sum + row.leads, 0)
}

export function buildFunnelReport(counts: FunnelCounts, overTime?: FunnelOverTime): FunnelReport {
  const byStage = zeroes()
  for (const row of counts.byFurthestStage) byStage[row.stage] += row.leads
  const withEvent = zeroes()
  for (const row of counts.byStage) withEvent[row.stage] += row.leads
  const trialed = counts.trialedByFurthestStage.reduce((sum, row) => sum + row.leads, 0)
  const reached = {
    // Only leads that had a trial: "reached or passed" would count every buyer who skipped the test drive.
    trial: trialed,
    initial_interest: reaching(counts.byFurthestStage, 'initial_interest'),
    active: reaching(counts.byFurthestStage, 'active'),
    customer: reaching(counts.byFurthestStage, 'customer'),
    churned: counts.byFurthestStage.filter((row) => row.stage === 'churned').reduce((sum, row) => sum + row.leads, 0),
  } satisfies FunnelReport['reached']
  const wentOnFromTrial = reaching(counts.trialedByFurthestStage, 'initial_interest')
  const boughtAfterTrial = reaching(counts.trialedByFurthestStage, 'customer')
  const rate = (part: number, whole: number) => (whole === 0 ? null : part / whole)
  // Step to step first (the chart reads them in order), then to customer from each earlier step.
  const conversion = [
    { from: 'trial', to: 'initial_interest', rate: rate(wentOnFromTrial, trialed) },
    { from: 'initial_interest', to: 'active', rate: rate(reached.active, reached.initial_interest) },
    { from: 'active', to: 'customer', rate: rate(reached.customer, reached.active) },
    { from: 'customer', to: 'churned', rate: rate(reached.churned, reached.customer) },
    { from: 'trial', to: 'customer', rate: rate(boughtAfterTrial, trialed) },
    { from: 'initial_interest', to: 'customer', rate: rate(reached.customer, reached.initial_interest) },
  ]
  const sources = new Map<string, Record<Stage, number>>()
  for (const row of counts.bySourceAndStage) {
    const perStage = sources.get(row.source) ?? zeroes()
    perStage[row.stage] += row.leads
    sources.set(row.source, perStage)
  }
  return {
    leads: counts.byFurthestStage.reduce((sum, row) => sum + row.leads, 0),
    stages: byStage,
    reached,
    conversion,
    withEvent,
    bySource: [...sources.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([source, perStage]) => ({ source, stages: perStage })),
    ...(overTime && { overTime }),
  }
}
