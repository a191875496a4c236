/**
 * How many attempts a destination gets at once: an adaptive window (AIMD with a latency gradient), plain data and a
 * pure step function beside the retry policy, so it is configurable and testable without time passing.
 * docs/decisions/0009-adaptive-delivery-concurrency.md says why it is built this way.
 */

import type { AttemptOutcome } from './delivery-state.ts'

export interface ConcurrencyPolicy {
  /** The window a destination starts with, before anything is known about it. */
  readonly initialWindow: number
  /** The window never goes below this, however the destination answers. */
  readonly minWindow: number
  /** The window is multiplied by this on a sign of overload (429, 503, 504, a timeout, no answer). */
  readonly overloadFactor: number
  /**
   * When answers get markedly slower, the window is multiplied by how much slower they may be over how much slower
   * they are (`latencyTolerance × long-term / recent`, the latency gradient), but never by less than this.
   */
  readonly minLatencyFactor: number
  /** Answers are markedly slower when the recent average exceeds the long-term one by this factor... */
  readonly latencyTolerance: number
  /** ...and is above this many ms: below it, differences are timer and CPU noise, not a queue at the destination. */
  readonly latencyFloorMs: number
  /** Samples the recent latency average spans (exponentially weighted). */
  readonly recentSamples: number
  /** Samples the long-term latency average spans; it follows the recent one slowly, so a new normal is learned. */
  readonly longTermSamples: number
}

/**
 * The ceiling of a destination created without `limits.maxConcurrency`: the most the API allows, as many as one
 * worker runs at once. The window starts far below it and finds the destination's own level.
 */
export const defaultConcurrencyCeiling = 64

/**
 * Start at 4, halve on overload, shed in proportion when answers slow beyond twice their usual time (and 50 ms).
 */
export const defaultConcurrencyPolicy: ConcurrencyPolicy = {
  initialWindow: 4,
  minWindow: 1,
  overloadFactor: 0.5,
  minLatencyFactor: 0.5,
  latencyTolerance: 2,
  latencyFloorMs: 50,
  recentSamples: 10,
  longTermSamples: 200,
}

/** What one finished call says about the destination's capacity. */
export type CapacitySignal =
  /** Answered (delivered): its latency counts, and the window may grow. */
  | 'answered'
  /** Throttled or overloaded: 429, 503, 504, a timeout or no answer at all. */
  | 'overloaded'
  /** Says nothing about capacity (a rejected lead, bad credentials, a 500). */
  | 'neutral'

/** Statuses that say the destination is over its capacity, whatever its connector made of them. */
const overloadStatuses = new Set([429, 503, 504])

/**
 * What the outcomes of one call (one per lead it carried) say about capacity: a throttle, an overload status or no
 * answer at all (a timeout, a refused or reset connection: a retryable failure without a status) is overload.
 */
export function capacitySignalOf(outcomes: readonly AttemptOutcome[]): CapacitySignal {
  let signal: CapacitySignal = 'neutral'
  for (const outcome of outcomes) {
    if (outcome.kind === 'delivered') {
      signal = 'answered'
      continue
    }
    if (
      outcome.failure === 'rate_limited' ||
      (outcome.status !== undefined && overloadStatuses.has(outcome.status)) ||
      (outcome.failure === 'retryable' && outcome.status === undefined)
    )
      return 'overloaded'
  }
  return signal
}

export interface CapacitySample {
  readonly signal: CapacitySignal
  readonly startedAt: number
  readonly finishedAt: number
  /** Calls in flight to the destination when this one started, itself included. */
  readonly inFlightAtStart: number
}

export interface ConcurrencyWindow {
  /** Attempts allowed at once; fractional between whole steps (additive increase adds 1/window per answer). */
  readonly window: number
  /** Until the first sign of overload, each answer adds a whole attempt (doubling per round trip, as TCP's slow start). */
  readonly slowStart: boolean
  readonly recentLatencyMs?: number
  readonly longTermLatencyMs?: number
  /** When the window was last cut; calls started before then do not cut it again (one cut per round trip). */
  readonly lastCutAt: number
}

export function initialConcurrencyWindow(policy: ConcurrencyPolicy, ceiling: number): ConcurrencyWindow {
  return {
    window: Math.max(policy.minWindow, Math.min(ceiling, policy.initialWindow)),
    slowStart: true,
    lastCutAt: Number.NEGATIVE_INFINITY,
  }
}

/** Attempts the window allows at once: its whole part, within the floor and the ceiling. */
export function allowedConcurrency(state: ConcurrencyWindow, policy: ConcurrencyPolicy, ceiling: number): number {
  return Math.max(policy.minWindow, Math.min(Math.max(1, ceiling), Math.floor(state.window)))
}

function averaged(previous: number | undefined, sample: number, samples: number): number {
  return previous === undefined ? sample : previous + (sample - previous) / samples
}

function cut(state: ConcurrencyWindow, factor: number, policy: ConcurrencyPolicy, at: number): ConcurrencyWindow {
  return { ...state, window: Math.max(policy.minWindow, state.window * factor), slowStart: false, lastCutAt: at }
}

/**
 * The window after one call: cut multiplicatively on overload or a rising latency (once per round trip), grown
 * additively while the destination answers fast and the window is in use, never above `ceiling`.
 */
export function nextConcurrencyWindow(
  state: ConcurrencyWindow,
  sample: CapacitySample,
  policy: ConcurrencyPolicy,
  ceiling: number,
): ConcurrencyWindow {
  const limit = Math.max(policy.minWindow, ceiling)
  const clamped = state.window > limit ? { ...state, window: limit } : state
  const cutsAgain = sample.startedAt >= clamped.lastCutAt
  if (sample.signal === 'neutral') return clamped
  if (sample.signal === 'overloaded') {
    return cutsAgain ? cut(clamped, policy.overloadFactor, policy, sample.finishedAt) : clamped
  }
  const latency = Math.max(0, sample.finishedAt - sample.startedAt)
  const recentLatencyMs = averaged(clamped.recentLatencyMs, latency, policy.recentSamples)
  const longTermLatencyMs = averaged(clamped.longTermLatencyMs, latency, policy.longTermSamples)
  const measured = { ...clamped, recentLatencyMs, longTermLatencyMs }
  const slower =
    recentLatencyMs > policy.latencyFloorMs && recentLatencyMs > policy.latencyTolerance * longTermLatencyMs
  if (slower) {
    const gradient = Math.max(policy.minLatencyFactor, (policy.latencyTolerance * longTermLatencyMs) / recentLatencyMs)
    return cutsAgain ? cut(measured, gradient, policy, sample.finishedAt) : measured
  }
  // Grows only while the window is used (as Netflix concurrency-limits' AIMD does): a destination that gets a trickle
  // of leads proves nothing about a larger window.
  if (sample.inFlightAtStart * 2 < Math.floor(clamped.window)) return measured
  const grown = measured.slowStart ? measured.window + 1 : measured.window + 1 / measured.window
  return { ...measured, window: Math.min(limit, grown) }
}
