/**
 * What each lead adds to the funnel's counters (docs/funnel.md), and the change a write makes to them. Every path that
 * writes leads sums these changes over its transaction and applies one upsert per counter at its end, so a batch of
 * leads of one tenant, offer and day costs a handful of counter writes however many leads it holds.
 */

import { type Stage, stages } from './funnel.ts'
import type { StagesReached } from './lead.ts'

const dayMs = 86_400_000

/** The measures a counter belongs to: see the table "What it counts" in docs/funnel.md. */
export type FunnelMeasure = 'new' | 'trialed' | 'reached'

/** What the counters read of a lead: its identity, whether it is a test, and its merged state (core/lead.ts). */
export interface CountedLead {
  readonly tenantId: string
  readonly offerKey: string
  readonly isTest: boolean
  /** The stage the lead is in now. */
  readonly stage: Stage
  /** When its first event happened. */
  readonly firstEventAt: number
  readonly reached: StagesReached
}

/** One counter: the leads of a tenant and offer that count under a measure, on a UTC day, by stage and source. */
export interface FunnelCounter {
  readonly tenantId: string
  readonly measure: FunnelMeasure
  readonly offerKey: string
  /** The UTC midnight of the day, in milliseconds. */
  readonly day: number
  readonly stage: Stage
  /** The source of the event that first reached the stage (`reached`); '' when it had none, and for other measures. */
  readonly source: string
}

/** The UTC midnight of the day `at` falls in, as the counters have always computed it (`at - at % day`). */
function dayOf(at: number): number {
  return at - (at % dayMs)
}

type Visit = (measure: FunnelMeasure, at: number, stage: Stage, source: string) => void

/** Calls `visit` for each counter `lead` adds one to (see funnelContributions), with the time it falls on. */
function visitContributions(lead: CountedLead, visit: Visit): void {
  if (lead.isTest) return
  visit('new', lead.firstEventAt, lead.stage, '')
  const trial = lead.reached.trial
  if (trial !== undefined) visit('trialed', trial.at, lead.stage, '')
  for (const stage of stages) {
    const reached = lead.reached[stage]
    if (reached !== undefined) visit('reached', reached.at, stage, reached.source ?? '')
  }
}

/**
 * The counters one lead adds one to: none for a test lead; its first event's day by its stage now (`new`); its first
 * trial's day by its stage now (`trialed`); for each stage it reached, the day it first did with that event's source
 * (`reached`).
 */
export function funnelContributions(lead: CountedLead): FunnelCounter[] {
  const counters: FunnelCounter[] = []
  const { tenantId, offerKey } = lead
  visitContributions(lead, (measure, at, stage, source) =>
    counters.push({ tenantId, measure, offerKey, day: dayOf(at), stage, source }),
  )
  return counters
}

/** A counter and how many leads a transaction adds to it (negative: removes). */
export interface FunnelDelta {
  readonly counter: FunnelCounter
  readonly leads: number
}

/**
 * The counters' change over one transaction, summed in memory: each lead written adds what it contributes after the
 * write and takes away what it contributed before. Ingest calls this for every lead, so a counter object is made only
 * the first time a transaction meets the counter.
 */
export class FunnelDeltas {
  readonly #sums = new Map<string, { counter: FunnelCounter; leads: number }>()

  /** A lead written: `before` as it was (undefined: it did not exist), `after` as it is now (undefined: deleted). */
  change(before: CountedLead | undefined, after: CountedLead | undefined): void {
    if (before !== undefined) this.#add(before, -1)
    if (after !== undefined) this.#add(after, 1)
  }

  #add(lead: CountedLead, leads: number): void {
    const { tenantId, offerKey } = lead
    visitContributions(lead, (measure, at, stage, source) => {
      const day = dayOf(at)
      const key = `${tenantId}\u0000${measure}\u0000${offerKey}\u0000${day}\u0000${stage}\u0000${source}`
      const sum = this.#sums.get(key)
      if (sum === undefined)
        this.#sums.set(key, { counter: { tenantId, measure, offerKey, day, stage, source }, leads })
      else sum.leads += leads
    })
  }

  /**
   * The counters that change, with their change, in one fixed order (by tenant, measure, offer, day, stage, source):
   * transactions that write the same counters lock them in the same order.
   */
  deltas(): FunnelDelta[] {
    return [...this.#sums.entries()]
      .filter(([, sum]) => sum.leads !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, sum]) => ({ counter: sum.counter, leads: sum.leads }))
  }
}
