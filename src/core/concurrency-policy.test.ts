import { describe, expect, test } from 'vitest'
import {
  allowedConcurrency,
  type CapacitySignal,
  type ConcurrencyWindow,
  capacitySignalOf,
  initialConcurrencyWindow,
  nextConcurrencyWindow,
  defaultConcurrencyPolicy as policy,
} from './concurrency-policy.ts'

/** One call of `latencyMs` started at `at` with the window full. */
function step(state: ConcurrencyWindow, at: number, latencyMs: number, signal: CapacitySignal = 'answered') {
  return nextConcurrencyWindow(
    state,
    { signal, startedAt: at, finishedAt: at + latencyMs, inFlightAtStart: Math.floor(state.window) },
    policy,
    64,
  )
}

describe('the adaptive concurrency window', () => {
  test('starts at 4, within the ceiling', () => {
    expect(allowedConcurrency(initialConcurrencyWindow(policy, 64), policy, 64)).toBe(4)
    expect(allowedConcurrency(initialConcurrencyWindow(policy, 2), policy, 2)).toBe(2)
  })

  test('grows by one per answer until the first sign of overload, then by one per window of answers', () => {
    let state = initialConcurrencyWindow(policy, 64)
    for (let n = 0; n < 4; n++) state = step(state, n * 10, 5)
    expect(state.window).toBe(8)
    state = step(state, 100, 5, 'overloaded')
    expect(state.window).toBe(4)
    const afterCut = state.window
    for (let n = 0; n < 4; n++) state = step(state, 200 + n * 10, 5)
    expect(state.window).toBeGreaterThan(afterCut + 0.9)
    expect(state.window).toBeLessThan(afterCut + 1.1)
  })

  test('never grows past the ceiling, and a lowered ceiling binds at once', () => {
    let state = initialConcurrencyWindow(policy, 10)
    for (let n = 0; n < 100; n++)
      state = nextConcurrencyWindow(
        state,
        { signal: 'answered', startedAt: n, finishedAt: n + 1, inFlightAtStart: 10 },
        policy,
        10,
      )
    expect(state.window).toBe(10)
    expect(allowedConcurrency(state, policy, 3)).toBe(3)
  })

  test('does not grow while the window is mostly unused', () => {
    let state = initialConcurrencyWindow(policy, 64)
    for (let n = 0; n < 50; n++)
      state = nextConcurrencyWindow(
        state,
        { signal: 'answered', startedAt: n, finishedAt: n + 1, inFlightAtStart: 1 },
        policy,
        64,
      )
    expect(state.window).toBe(4)
  })

  test('cuts once per round trip: overload answers to calls sent before the cut do not cut again', () => {
    let state = initialConcurrencyWindow(policy, 64)
    for (let n = 0; n < 12; n++) state = step(state, n, 1)
    expect(state.window).toBe(16)
    // Sixteen calls sent at t=100 all answer 429 at t=110: one halving, not sixteen.
    for (let n = 0; n < 16; n++)
      state = nextConcurrencyWindow(
        state,
        { signal: 'overloaded', startedAt: 100, finishedAt: 110, inFlightAtStart: 16 },
        policy,
        64,
      )
    expect(state.window).toBe(8)
    state = step(state, 120, 5, 'overloaded')
    expect(state.window).toBe(4)
  })

  test('never goes below one attempt', () => {
    let state = initialConcurrencyWindow(policy, 64)
    for (let n = 0; n < 20; n++) state = step(state, n * 100, 5, 'overloaded')
    expect(allowedConcurrency(state, policy, 64)).toBe(1)
  })

  test('answers that say nothing about capacity leave the window as it is', () => {
    const state = initialConcurrencyWindow(policy, 64)
    expect(step(state, 0, 5000, 'neutral')).toEqual(state)
  })

  test('sheds attempts when answers slow down, and grows again once they are fast', () => {
    let state = initialConcurrencyWindow(policy, 64)
    let at = 0
    for (let n = 0; n < 200; n++, at += 1) state = step(state, at, 40)
    const whileFast = state.window
    expect(whileFast).toBeGreaterThan(20)
    for (let n = 0; n < 60; n++, at += 400) state = step(state, at, 400)
    const whileSlow = state.window
    expect(whileSlow).toBeLessThan(whileFast * 0.6)
    for (let n = 0; n < 400; n++, at += 1) state = step(state, at, 40)
    expect(state.window).toBeGreaterThan(whileSlow + 5)
  })

  test('a fast destination whose latency wobbles below the floor is never cut', () => {
    let state = initialConcurrencyWindow(policy, 64)
    for (let n = 0; n < 300; n++) state = step(state, n, n % 20 === 0 ? 30 : 1)
    expect(state.window).toBe(64)
  })
})

test('429, 503, 504, rate limits and no answer at all are overload; a rejected lead or a 500 says nothing', () => {
  const failed = (failure: 'retryable' | 'rate_limited' | 'rejected', status?: number) => ({
    kind: 'failed' as const,
    failure,
    message: 'x',
    ...(status !== undefined && { status }),
  })
  expect(capacitySignalOf([{ kind: 'delivered' }])).toBe('answered')
  for (const outcome of [
    failed('rate_limited', 429),
    failed('rate_limited'),
    failed('retryable', 503),
    failed('retryable', 504),
    failed('retryable'),
  ])
    expect(capacitySignalOf([outcome])).toBe('overloaded')
  expect(capacitySignalOf([failed('rejected', 400)])).toBe('neutral')
  expect(capacitySignalOf([failed('retryable', 500)])).toBe('neutral')
  expect(capacitySignalOf([{ kind: 'delivered' }, failed('rate_limited', 429)])).toBe('overloaded')
})
