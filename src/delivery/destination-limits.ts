/**
 * Per-destination isolation inside one worker: a concurrency cap, a token-bucket rate limit, a circuit breaker and
 * the hold a vendor's rate limit puts on the whole destination. A slow or failing destination uses up only its own
 * slots, never another's.
 */

import type { Clock } from '../core/ports.ts'

export interface LimitSettings {
  readonly maxConcurrency: number
  /** Attempts per second; undefined means no limit. */
  readonly ratePerSecond?: number
}

export interface BreakerPolicy {
  /** Consecutive transient failures that open the breaker. */
  readonly failureThreshold: number
  /** How long the breaker stays open before one trial attempt. */
  readonly openMs: number
}

export const defaultBreakerPolicy: BreakerPolicy = { failureThreshold: 5, openMs: 30_000 }

interface DestinationSlots {
  settings: LimitSettings
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
  acquire(destinationId: string): void
  /** `failed` means a transient failure; it counts toward opening the breaker. */
  release(destinationId: string, result: 'succeeded' | 'failed' | 'neutral'): void
  isOpen(destinationId: string): boolean
  /** No attempt may start before `until` (the destination's rate limit); a later hold already set stays. */
  hold(destinationId: string, until: number): void
  /** The end of the destination's hold, when one is in force now. */
  heldUntil(destinationId: string): number | undefined
}

export function createDestinationLimits(
  clock: Clock,
  breaker: BreakerPolicy = defaultBreakerPolicy,
): DestinationLimits {
  const slots = new Map<string, DestinationSlots>()

  function stateOf(destinationId: string): DestinationSlots {
    let state = slots.get(destinationId)
    if (!state) {
      state = {
        settings: { maxConcurrency: 4 },
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

  function refill(state: DestinationSlots): void {
    const rate = state.settings.ratePerSecond
    if (rate === undefined) return
    const now = clock.now()
    state.tokens = Math.min(Math.max(1, rate), state.tokens + ((now - state.refilledAt) / 1000) * rate)
    state.refilledAt = now
  }

  return {
    configure(destinationId, settings) {
      stateOf(destinationId).settings = settings
    },
    slotsFor(destinationId) {
      const state = stateOf(destinationId)
      const now = clock.now()
      const free = state.settings.maxConcurrency - state.inFlight
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
