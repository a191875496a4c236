/** Funnel figures for a period: how many customers reached each stage, by source, and the conversion between stages. */

import { type Stage, stageRank, stages } from './funnel.ts'

/** Stages in funnel order, the ones a customer moves through. */
export const funnelSteps = ['trial', 'initial_interest', 'active'] as const satisfies readonly Stage[]

export interface FunnelCounts {
  /** Distinct (non-test) leads with an event of this stage in the period, per source. */
  readonly bySourceAndStage: readonly { source: string; stage: Stage; leads: number }[]
  /** Distinct (non-test) leads active in the period, by the furthest stage they have reached. */
  readonly byFurthestStage: readonly { stage: Stage; leads: number }[]
}

export interface FunnelReport {
  readonly leads: number
  /** Leads whose furthest stage is this one. */
  readonly stages: Readonly<Record<Stage, number>>
  /** Leads that reached this step or a later one. */
  readonly reached: Readonly<Record<(typeof funnelSteps)[number], number>>
  /** Share of leads that went on from one step to the next (or further), 0..1; null when none reached the first. */
  readonly conversion: readonly { from: string; to: string; rate: number | null }[]
  readonly bySource: readonly { source: string; stages: Readonly<Record<Stage, number>> }[]
}

function zeroes(): Record<Stage, number> {
  return Object.fromEntries(stages.map((stage) => [stage, 0])) as Record<Stage, number>
}

export function buildFunnelReport(counts: FunnelCounts): FunnelReport {
  const byStage = zeroes()
  for (const row of counts.byFurthestStage) byStage[row.stage] += row.leads
  const reached = Object.fromEntries(
    funnelSteps.map((step) => [
      step,
      counts.byFurthestStage
        .filter((row) => stageRank[row.stage] >= stageRank[step])
        .reduce((sum, row) => sum + row.leads, 0),
    ]),
  ) as FunnelReport['reached']
  const conversion = funnelSteps.slice(1).map((to, index) => {
    const from = funnelSteps[index]!
    return { from, to, rate: reached[from] === 0 ? null : reached[to] / reached[from] }
  })
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
    bySource: [...sources.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([source, perStage]) => ({ source, stages: perStage })),
  }
}
