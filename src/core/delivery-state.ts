/** The delivery state machine: every transition of a delivery and of its destination's health, as pure functions. */

import type { FailureKind } from './errors.ts'
import { backoffDelay, clampRetryAfter, maxAttempts, type RetryPolicy } from './retry-policy.ts'

/**
 * `queued` waits for `runAt`; `in_flight` is leased by a worker; `delivered` and `dead` are final until a replay;
 * `superseded` means a newer state of the same lead was delivered in its place.
 */
export const deliveryStates = ['queued', 'in_flight', 'delivered', 'dead', 'superseded'] as const
export type DeliveryState = (typeof deliveryStates)[number]

export const destinationStates = ['active', 'paused', 'disabled'] as const
export type DestinationState = (typeof destinationStates)[number]

export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status?: number; readonly externalId?: string }
  | {
      readonly kind: 'failed'
      readonly failure: FailureKind
      readonly message: string
      readonly status?: number
      readonly vendorCode?: string
      readonly retryAfterMs?: number
    }

export interface DeliveryProgress {
  /** Attempts that counted so far (rate limits and paused destinations do not count). */
  readonly attempts: number
  readonly createdAt: number
}

export interface DeliveryTransition {
  readonly state: 'queued' | 'delivered' | 'dead'
  readonly attempts: number
  /** When to try again; set for `queued`. */
  readonly runAt?: number
  readonly reason?: string
}

/** What a failure says about the destination as a whole, as opposed to this one lead. */
export type DestinationSignal = 'healthy' | 'failing' | 'throttled' | 'pause' | 'disable' | 'none'

const destinationSignals: Readonly<Record<FailureKind, DestinationSignal>> = {
  retryable: 'failing',
  rate_limited: 'throttled',
  auth: 'pause',
  misconfigured: 'pause',
  gone: 'disable',
  rejected: 'none',
}

export function destinationSignalOf(outcome: AttemptOutcome): DestinationSignal {
  return outcome.kind === 'delivered' ? 'healthy' : destinationSignals[outcome.failure]
}

function formatSpan(ms: number): string {
  const hours = ms / 3_600_000
  return hours >= 48
    ? `${Math.round(hours / 24)} days`
    : hours >= 1
      ? `${Math.round(hours)} h`
      : `${Math.round(ms / 60_000)} min`
}

/** The next state of a delivery after an attempt. `random` is in [0, 1) and drives the jitter. */
export function nextDeliveryState(
  delivery: DeliveryProgress,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  now: number,
  random: number,
): DeliveryTransition {
  if (outcome.kind === 'delivered') return { state: 'delivered', attempts: delivery.attempts + 1 }
  const deadline = delivery.createdAt + policy.maxAgeMs
  switch (outcome.failure) {
    case 'rejected':
      return { state: 'dead', attempts: delivery.attempts + 1, reason: outcome.message }
    case 'retryable': {
      const attempts = delivery.attempts + 1
      // Retry-After sets the earliest next try; the failure still counts and the schedule still backs off.
      const wait = backoffDelay(policy, attempts, random)
      const runAt =
        now +
        (outcome.retryAfterMs === undefined ? wait : Math.max(wait, clampRetryAfter(policy, outcome.retryAfterMs)))
      if (attempts >= maxAttempts(policy) || runAt > deadline) {
        return {
          state: 'dead',
          attempts,
          reason: `Gave up after ${attempts} attempts over ${formatSpan(now - delivery.createdAt)}: ${outcome.message}`,
        }
      }
      return { state: 'queued', attempts, runAt }
    }
    case 'rate_limited': {
      const runAt = now + clampRetryAfter(policy, outcome.retryAfterMs)
      if (runAt > deadline) {
        return {
          state: 'dead',
          attempts: delivery.attempts,
          reason: `Still rate limited after ${formatSpan(now - delivery.createdAt)}: ${outcome.message}`,
        }
      }
      return { state: 'queued', attempts: delivery.attempts, runAt }
    }
    case 'auth':
    case 'misconfigured':
    case 'gone':
      // The destination is paused or disabled; the lead waits for it without using up its attempts.
      return { state: 'queued', attempts: delivery.attempts, runAt: now }
  }
}

export interface DestinationHealth {
  readonly state: DestinationState
  readonly reason?: string
  /** Start of the current run of failures without a success. */
  readonly failingSince?: number
  /** Start of the current run of rate limits without a success. */
  readonly throttledSince?: number
  /** What contacts were last told about this run without a success (`failing` or `throttled`). */
  readonly alerted?: 'failing' | 'throttled'
}

export type HealthNoticeKind =
  | 'destination.paused'
  | 'destination.disabled'
  | 'destination.failing'
  | 'destination.throttled'
  | 'destination.recovered'

export interface HealthChange {
  readonly health: DestinationHealth
  /** Set when the state changed in a way publishers are told about. */
  readonly notify?: HealthNoticeKind
}

/** How the destination looks to a publisher: rate limiting is shown only once it has lasted (see `alertAfterMs`). */
export type DestinationCondition = 'healthy' | 'throttled' | 'failing' | 'paused' | 'disabled'

export function conditionOf(health: DestinationHealth): DestinationCondition {
  if (health.state !== 'active') return health.state
  if (health.failingSince !== undefined) return 'failing'
  return health.alerted === 'throttled' ? 'throttled' : 'healthy'
}

/** The destination's health after an attempt's outcome. */
export function nextDestinationHealth(
  health: DestinationHealth,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  now: number,
): HealthChange {
  const signal = destinationSignalOf(outcome)
  const reason = outcome.kind === 'failed' ? outcome.message : undefined
  switch (signal) {
    case 'healthy':
      return health.state === 'active' &&
        health.failingSince === undefined &&
        health.throttledSince === undefined &&
        health.alerted === undefined
        ? { health }
        : {
            health: { state: 'active' },
            ...((health.state !== 'active' || health.alerted !== undefined) && {
              notify: 'destination.recovered' as const,
            }),
          }
    case 'pause':
      return health.state === 'active'
        ? { health: { ...health, state: 'paused', reason }, notify: 'destination.paused' }
        : { health }
    case 'disable':
      return health.state === 'disabled'
        ? { health }
        : { health: { ...health, state: 'disabled', reason }, notify: 'destination.disabled' }
    case 'failing': {
      const failingSince = health.failingSince ?? now
      if (health.state === 'active' && now - failingSince >= policy.disableAfterFailingMs) {
        return {
          health: {
            state: 'disabled',
            failingSince,
            reason: `Failing for ${formatSpan(now - failingSince)}: ${reason}`,
          },
          notify: 'destination.disabled',
        }
      }
      if (health.state === 'active' && now - failingSince >= policy.alertAfterMs && health.alerted !== 'failing') {
        return {
          health: {
            ...health,
            failingSince,
            alerted: 'failing',
            reason: `Failing for ${formatSpan(now - failingSince)}: ${reason}`,
          },
          notify: 'destination.failing',
        }
      }
      return { health: { ...health, failingSince } }
    }
    case 'throttled': {
      const throttledSince = health.throttledSince ?? now
      if (health.state === 'active' && now - throttledSince >= policy.alertAfterMs && health.alerted === undefined) {
        return {
          health: {
            ...health,
            throttledSince,
            alerted: 'throttled',
            reason: `Rate limited for ${formatSpan(now - throttledSince)}: ${reason}`,
          },
          notify: 'destination.throttled',
        }
      }
      return { health: { ...health, throttledSince } }
    }
    case 'none':
      return { health }
  }
}
