/** When to try a failed delivery again. Plain data, so it is configurable and testable without time passing. */

const second = 1000
const minute = 60 * second
const hour = 60 * minute
const day = 24 * hour

export interface RetryPolicy {
  /** Wait after the n-th failed attempt (index n-1). The first attempt runs at once. */
  readonly delaysMs: readonly number[]
  /** Wait after each failure beyond `delaysMs`. */
  readonly thenEveryMs: number
  /** A delivery whose next attempt would start later than this after its creation is dead. */
  readonly maxAgeMs: number
  /** Each wait is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  readonly jitter: number
  /** `Retry-After` is honoured within these bounds. */
  readonly retryAfterMinMs: number
  readonly retryAfterMaxMs: number
  /** Wait after a rate limit that named no time. */
  readonly rateLimitedDefaultMs: number
  /** A destination failing without a single success for this long is disabled. */
  readonly disableAfterFailingMs: number
  /**
   * A destination failing, or rate limited, without a single success for this long is shown so and its contacts are
   * told (once per such run).
   */
  readonly alertAfterMs: number
}

/** Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then every 24 h up to 7 days, ±20 %. */
export const defaultRetryPolicy: RetryPolicy = {
  delaysMs: [5 * second, 5 * minute, 30 * minute, 2 * hour, 5 * hour, 10 * hour, 10 * hour],
  thenEveryMs: day,
  maxAgeMs: 7 * day,
  jitter: 0.2,
  retryAfterMinMs: second,
  retryAfterMaxMs: 6 * hour,
  rateLimitedDefaultMs: minute,
  disableAfterFailingMs: 5 * day,
  alertAfterMs: 15 * minute,
}

function nominalDelay(policy: RetryPolicy, failedAttempts: number): number {
  return policy.delaysMs[failedAttempts - 1] ?? policy.thenEveryMs
}

/** The wait after `failedAttempts` failures, with jitter from `random` (a number in [0, 1)). */
export function backoffDelay(policy: RetryPolicy, failedAttempts: number, random: number): number {
  const factor = 1 - policy.jitter + 2 * policy.jitter * random
  return Math.round(nominalDelay(policy, failedAttempts) * factor)
}

/** How many attempts the schedule allows: those whose nominal start lies within `maxAgeMs`. */
export function maxAttempts(policy: RetryPolicy): number {
  let attempts = 1
  let offset = 0
  for (;;) {
    offset += nominalDelay(policy, attempts)
    if (offset > policy.maxAgeMs) return attempts
    attempts++
  }
}

export function clampRetryAfter(policy: RetryPolicy, retryAfterMs: number | undefined): number {
  const wanted = retryAfterMs ?? policy.rateLimitedDefaultMs
  return Math.min(policy.retryAfterMaxMs, Math.max(policy.retryAfterMinMs, wanted))
}
