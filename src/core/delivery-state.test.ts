import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type AttemptOutcome,
  type DestinationHealth,
  nextDeliveryState,
  nextDestinationHealth,
} from './delivery-state.ts'
import { type FailureKind, failureKinds } from './errors.ts'
import { backoffDelay, maxAttempts, defaultRetryPolicy as policy } from './retry-policy.ts'

const second = 1000
const hour = 3_600_000
const day = 24 * hour

const failed = (
  failure: FailureKind,
  extra: Partial<Extract<AttemptOutcome, { kind: 'failed' }>> = {},
): AttemptOutcome => ({
  kind: 'failed',
  failure,
  message: `${failure} happened`,
  ...extra,
})

describe('retry policy', () => {
  test('the default schedule is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then daily to 7 days', () => {
    const nominal = Array.from({ length: 9 }, (_, i) => backoffDelay(policy, i + 1, 0.5))
    expect(nominal).toEqual([
      5 * second,
      300 * second,
      1800 * second,
      2 * hour,
      5 * hour,
      10 * hour,
      10 * hour,
      day,
      day,
    ])
    // 27.6 h of fixed waits, then five daily retries fit before 7 days: 13 attempts in all.
    expect(maxAttempts(policy)).toBe(13)
  })

  test('jitter stays within ±20 %', () => {
    expect(backoffDelay(policy, 2, 0)).toBe(240 * second)
    expect(backoffDelay(policy, 2, 0.999_999)).toBeLessThanOrEqual(360 * second)
    expect(backoffDelay(policy, 2, 0.999_999)).toBeGreaterThan(359 * second)
  })
})

describe('nextDeliveryState', () => {
  const fresh = { attempts: 0, createdAt: 0 }

  test.each([
    ['retryable', { state: 'queued', attempts: 1, runAt: 5 * second }],
    ['rejected', { state: 'dead', attempts: 1, reason: 'rejected happened' }],
    ['auth', { state: 'queued', attempts: 0, runAt: 0 }],
    ['misconfigured', { state: 'queued', attempts: 0, runAt: 0 }],
    ['gone', { state: 'queued', attempts: 0, runAt: 0 }],
  ] as const)('%s', (failure, expected) => {
    expect(nextDeliveryState(fresh, failed(failure), policy, 0, 0.5)).toEqual(expected)
  })

  test('a rate limit waits the Retry-After, clamped, without using an attempt', () => {
    expect(nextDeliveryState(fresh, failed('rate_limited', { retryAfterMs: 7 * second }), policy, 0, 0.5)).toEqual({
      state: 'queued',
      attempts: 0,
      runAt: 7 * second,
    })
    expect(nextDeliveryState(fresh, failed('rate_limited', { retryAfterMs: 30 * day }), policy, 0, 0.5).runAt).toBe(
      6 * hour,
    )
    expect(nextDeliveryState(fresh, failed('rate_limited', { retryAfterMs: 0 }), policy, 0, 0.5).runAt).toBe(second)
    expect(nextDeliveryState(fresh, failed('rate_limited'), policy, 0, 0.5).runAt).toBe(60 * second)
  })

  test('the last transient failure the schedule allows ends dead, with the reason', () => {
    const last = nextDeliveryState({ attempts: 12, createdAt: 0 }, failed('retryable'), policy, 6 * day, 0.5)
    expect(last.state).toBe('dead')
    expect(last.attempts).toBe(13)
    expect(last.reason).toMatch(/Gave up after 13 attempts over 6 days: retryable happened/)
  })

  test('success is delivered', () => {
    expect(nextDeliveryState({ attempts: 3, createdAt: 0 }, { kind: 'delivered', status: 200 }, policy, 9, 0)).toEqual({
      state: 'delivered',
      attempts: 4,
    })
  })
})

describe('nextDestinationHealth', () => {
  const active: DestinationHealth = { state: 'active' }

  test('auth and misconfigured pause, gone disables, success recovers, rejected says nothing', () => {
    expect(nextDestinationHealth(active, failed('auth'), policy, 0)).toEqual({
      health: { state: 'paused', reason: 'auth happened' },
      notify: 'destination.paused',
    })
    expect(nextDestinationHealth(active, failed('gone'), policy, 0).notify).toBe('destination.disabled')
    expect(nextDestinationHealth(active, failed('rejected'), policy, 0)).toEqual({ health: active })
    expect(nextDestinationHealth({ state: 'paused', reason: 'x' }, { kind: 'delivered' }, policy, 0)).toEqual({
      health: { state: 'active' },
      notify: 'destination.recovered',
    })
  })

  test('transient failures for 5 days without a success disable the destination', () => {
    let health = nextDestinationHealth(active, failed('retryable'), policy, 0).health
    expect(health).toEqual({ state: 'active', failingSince: 0 })
    health = nextDestinationHealth(health, failed('retryable'), policy, 4 * day).health
    expect(health.state).toBe('active')
    const change = nextDestinationHealth(health, failed('retryable'), policy, 5 * day)
    expect(change.health.state).toBe('disabled')
    expect(change.notify).toBe('destination.disabled')
    // One success in between starts the clock again.
    const recovered = nextDestinationHealth(
      { state: 'active', failingSince: 0 },
      { kind: 'delivered' },
      policy,
      4 * day,
    )
    expect(recovered.health).toEqual({ state: 'active' })
    expect(recovered.notify).toBeUndefined()
  })
})

describe('the delivery state machine, driven by random outcomes', () => {
  const outcome = fc.oneof(
    fc.constant<AttemptOutcome>({ kind: 'delivered', status: 200 }),
    fc
      .record({
        failure: fc.constantFrom(...failureKinds),
        retryAfterMs: fc.option(fc.integer({ min: 0, max: 10 * day }), { nil: undefined }),
      })
      .map(({ failure, retryAfterMs }) => failed(failure, retryAfterMs === undefined ? {} : { retryAfterMs })),
  )

  test('no state is left stuck, nothing regresses, attempts never exceed the schedule', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(outcome, fc.double({ min: 0, max: 0.999_999, noNaN: true })), { maxLength: 200 }),
        (steps) => {
          let delivery = { attempts: 0, createdAt: 0 }
          let now = 0
          let state: string = 'queued'
          let health: DestinationHealth = { state: 'active' }
          for (const [result, random] of steps) {
            // A paused or disabled destination is not attempted until it is active again (fixed or verified).
            if (health.state !== 'active') health = { state: 'active' }
            const next = nextDeliveryState(delivery, result, policy, now, random)
            health = nextDestinationHealth(health, result, policy, now).health
            expect(next.attempts).toBeGreaterThanOrEqual(delivery.attempts)
            expect(next.attempts).toBeLessThanOrEqual(maxAttempts(policy))
            if (next.state === 'queued') {
              // Queued always says when; never in the past, never past the give-up age.
              expect(next.runAt).toBeDefined()
              expect(next.runAt!).toBeGreaterThanOrEqual(now)
              expect(next.runAt!).toBeLessThanOrEqual(delivery.createdAt + policy.maxAgeMs)
              now = next.runAt!
              delivery = { ...delivery, attempts: next.attempts }
              continue
            }
            state = next.state
            if (state === 'dead') expect(next.reason).toBeTruthy()
            break
          }
          // Either it ended, or every step left it queued with a time to run: it never sits without a next step.
          expect(['queued', 'delivered', 'dead']).toContain(state)
        },
      ),
      { numRuns: 2000 },
    )
  })

  test('a destination that keeps failing transiently always reaches a final state within the schedule', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 0.999_999, noNaN: true }), { minLength: 50, maxLength: 50 }),
        (randoms) => {
          let delivery = { attempts: 0, createdAt: 0 }
          let now = 0
          for (const random of randoms) {
            const next = nextDeliveryState(delivery, failed('retryable'), policy, now, random)
            if (next.state === 'dead') {
              expect(next.attempts).toBeLessThanOrEqual(maxAttempts(policy))
              return
            }
            now = next.runAt!
            delivery = { ...delivery, attempts: next.attempts }
          }
          throw new Error('still queued after 50 transient failures')
        },
      ),
    )
  })
})
