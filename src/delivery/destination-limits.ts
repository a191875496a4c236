/**
 * Per-destination isolation inside one worker: an adaptive concurrency window under a ceiling, a token-bucket rate
 * limit, a circuit breaker and the hold a vendor's rate limit puts on the whole destination. A slow or failing
 * destination uses up only its own slots, never another's.
 */

import {
  allowedConcurrency,
  type CapacitySample,
  type ConcurrencyPolicy,
  type ConcurrencyWindow,
  defaultConcurrencyPolicy,
  initialConcurrencyWindow,
  nextConcurrencyWindow,
} from '../core/concurrency-policy.ts'
import type { Clock } from '../core/ports.ts'

export interface LimitSettings {
  /** The ceiling of the adaptive window (core/concurrency-policy.ts). */
  readonly maxConcurrency: number
  /** Attempts per second; undefined means no limit. */
  readonly ratePerSecond?: number
  /** Attempts that may start at once after a quiet spell (the token bucket's size); default the rate, at least 1. */
  readonly burst?: number
}

export interface BreakerPolicy {
  /** Consecutive transient failures that open the breaker. */
  readonly failureThreshold: number
  /** How long the breaker stays open before one trial attempt. */
  readonly openMs: number
}

export const defaultBreakerPolicy: BreakerPolicy = { failureThreshold: 5, openMs: 30_000 }

/** A destination's window as this worker holds it now. */
export interface WindowView {
  /** Attempts the adaptive window allows at once. */
  readonly window: number
  /** The most it may reach: `limits.maxConcurrency`, or less where the vendor documents less. */
  readonly ceiling: number
  readonly inFlight: number
}

interface DestinationSlots {
  settings: LimitSettings
  window: ConcurrencyWindow
  inFlight: number
  tokens: number
  refilledAt: number
  consecutiveFailures: number
  openUntil: number
  heldUntil: number
}

export interface DestinationLimits {
  /** How many more attempts this destination may start now. */
  slotsFor(destinationId: string): number
  configure(destinationId: string, settings: LimitSettings): void
  /** Takes a slot; returns the attempts in flight to the destination, this one included. */
  acquire(destinationId: string): number
  /** `failed` means a transient failure; it counts toward opening the breaker. */
  release(destinationId: string, result: 'succeeded' | 'failed' | 'neutral'): void
  /** What one finished call said about the destination's capacity: moves its window. */
  observe(destinationId: string, sample: CapacitySample): void
  /** Every destination's window as it stands. */
  windows(): ReadonlyMap<string, WindowView>
  isOpen(destinationId: string): boolean
  /** No attempt may start before `until` (the destination's rate limit); a later hold already set stays. */
  hold(destinationId: string, until: number): void
  /** The end of the destination's hold, when one is in force now. */
  heldUntil(destinationId: string): number | undefined
}

export function createDestinationLimits(
  clock: Clock,
  breaker: BreakerPolicy = defaultBreakerPolicy,
  concurrency: ConcurrencyPolicy = defaultConcurrencyPolicy,
): DestinationLimits {
  const slots = new Map<string, DestinationSlots>()

  function stateOf(destinationId: string): DestinationSlots {
    let state = slots.get(destinationId)
    if (!state) {
      const settings = { maxConcurrency: concurrency.initialWindow }
      state = {
        settings,
        window: initialConcurrencyWindow(concurrency, settings.maxConcurrency),
        inFlight: 0,
        tokens: 1,
        refilledAt: clock.now(),
        consecutiveFailures: 0,
        openUntil: 0,
        heldUntil: 0,
      }
      slots.set(destinationId, state)
    }
    return state
  }

  function bucketSize(settings: LimitSettings): number {
    return Math.max(1, settings.burst ?? settings.ratePerSecond ?? 1)
  }

  function refill(state: DestinationSlots): void {
    const rate = state.settings.ratePerSecond
    if (rate === undefined) return
    const now = clock.now()
    state.tokens = Math.min(bucketSize(state.settings), state.tokens + ((now - state.refilledAt) / 1000) * rate)
    state.refilledAt = now
  }

  return {
    configure(destinationId, settings) {
      const state = stateOf(destinationId)
      // A vendor's window allows its whole burst from the start; a bucket that grew is filled to its new size.
      if (settings.burst !== undefined && settings.burst > (state.settings.burst ?? 0)) {
        refill(state)
        state.tokens = Math.max(state.tokens, settings.burst)
      }
      state.settings = settings
    },
    slotsFor(destinationId) {
      const state = stateOf(destinationId)
      const now = clock.now()
      const free = allowedConcurrency(state.window, concurrency, state.settings.maxConcurrency) - state.inFlight
      if (state.openUntil > now || state.heldUntil > now) return 0
      // Half-open: after the breaker's pause, one trial attempt at a time.
      const breakerCap = state.consecutiveFailures >= breaker.failureThreshold ? 1 - state.inFlight : free
      refill(state)
      const rateCap = state.settings.ratePerSecond === undefined ? free : Math.floor(state.tokens)
      return Math.max(0, Math.min(free, breakerCap, rateCap))
    },
    acquire(destinationId) {
      const state = stateOf(destinationId)
      state.inFlight++
      if (state.settings.ratePerSecond !== undefined) state.tokens -= 1
      return state.inFlight
    },
    observe(destinationId, sample) {
      const state = stateOf(destinationId)
      state.window = nextConcurrencyWindow(state.window, sample, concurrency, state.settings.maxConcurrency)
    },
    windows() {
      const views = new Map<string, WindowView>()
      for (const [destinationId, state] of slots) {
        views.set(destinationId, {
          window: allowedConcurrency(state.window, concurrency, state.settings.maxConcurrency),
          ceiling: state.settings.maxConcurrency,
          inFlight: state.inFlight,
        })
      }
      return views
    },
    release(destinationId, result) {
      const state = stateOf(destinationId)
      state.inFlight = Math.max(0, state.inFlight - 1)
      if (result === 'succeeded') {
        state.consecutiveFailures = 0
        state.openUntil = 0
      } else if (result === 'failed') {
        state.consecutiveFailures++
        if (state.consecutiveFailures >= breaker.failureThreshold) state.openUntil = clock.now() + breaker.openMs
      }
    },
    isOpen(destinationId) {
      return stateOf(destinationId).openUntil > clock.now()
    },
    hold(destinationId, until) {
      const state = stateOf(destinationId)
      state.heldUntil = Math.max(state.heldUntil, until)
    },
    heldUntil(destinationId) {
      const until = slots.get(destinationId)?.heldUntil ?? 0
      return until > clock.now() ? until : undefined
    },
  }
}
