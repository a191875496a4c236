import { describe, expect, test } from 'vitest'
import { createManualClock } from '../core/ports.ts'
import { createAuthFailureLimiter } from './auth-failure-limiter.ts'

const limits = { maxFailures: 3, windowMs: 60_000, trustedForMs: 600_000, maxEntries: 4 }

function setUp() {
  const clock = createManualClock(Date.UTC(2026, 10, 25))
  return { clock, limiter: createAuthFailureLimiter(clock, limits) }
}

describe('the failed-authentication brake', () => {
  test('brakes an address after maxFailures within the window, for the rest of the window', () => {
    const { clock, limiter } = setUp()
    for (let failure = 0; failure < 3; failure++) {
      expect(limiter.retryAfterMs('a', 'guess')).toBeUndefined()
      limiter.recordFailure('a')
      clock.advance(10_000)
    }
    expect(limiter.retryAfterMs('a', 'guess')).toBe(30_000)
    expect(limiter.retryAfterMs('b', 'guess')).toBeUndefined()
    clock.advance(29_999)
    expect(limiter.retryAfterMs('a', undefined)).toBe(1)
    clock.advance(1)
    expect(limiter.retryAfterMs('a', 'guess')).toBeUndefined()
  })

  test('failures spread over more than a window do not add up', () => {
    const { clock, limiter } = setUp()
    limiter.recordFailure('a')
    limiter.recordFailure('a')
    clock.advance(60_000)
    limiter.recordFailure('a')
    limiter.recordFailure('a')
    expect(limiter.retryAfterMs('a', undefined)).toBeUndefined()
  })

  test('a credential seen to work passes a brake until its trust runs out', () => {
    const { clock, limiter } = setUp()
    limiter.recordSuccess('lr_key_good')
    for (let failure = 0; failure < 3; failure++) limiter.recordFailure('a')
    expect(limiter.retryAfterMs('a', 'lr_key_good')).toBeUndefined()
    expect(limiter.retryAfterMs('a', 'lr_key_other')).toBe(60_000)
    clock.advance(600_000)
    for (let failure = 0; failure < 3; failure++) limiter.recordFailure('a')
    expect(limiter.retryAfterMs('a', 'lr_key_good')).toBe(60_000)
  })

  test('memory is bounded: the oldest addresses are forgotten first', () => {
    const { limiter } = setUp()
    for (let failure = 0; failure < 3; failure++) limiter.recordFailure('first')
    for (const address of ['b', 'c', 'd', 'e']) limiter.recordFailure(address)
    expect(limiter.retryAfterMs('first', undefined)).toBeUndefined()
  })
})
