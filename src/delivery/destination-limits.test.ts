/**
 * The adaptive window inside the worker's limits, driven against simulated destinations on a manual clock: each call
 * finishes after a latency the destination decides, events are taken in time order, nothing waits for real time.
 */

import { expect, test } from 'vitest'
import { createManualClock } from '../core/ports.ts'
import { createDestinationLimits } from './destination-limits.ts'

interface Simulated {
  /** How long a call started at `at` with `inFlight` calls in flight takes, and whether it is throttled. */
  answer(at: number, inFlight: number): { latencyMs: number; throttled: boolean }
}

/**
 * Keeps the destination as busy as its limits allow for `untilMs` of simulated time, from a queue that never runs
 * dry; returns the window after each finished call, with its time.
 */
function simulate(destination: Simulated, untilMs: number, ceiling = 64) {
  const clock = createManualClock(0)
  const limits = createDestinationLimits(clock)
  limits.configure('d', { maxConcurrency: ceiling })
  const calls: { startedAt: number; finishesAt: number; inFlightAtStart: number; throttled: boolean }[] = []
  const windows: { at: number; window: number; inFlight: number }[] = []
  let maxInFlight = 0
  while (clock.now() < untilMs) {
    for (let free = limits.slotsFor('d'); free > 0; free--) {
      const inFlightAtStart = limits.acquire('d')
      maxInFlight = Math.max(maxInFlight, inFlightAtStart)
      const { latencyMs, throttled } = destination.answer(clock.now(), inFlightAtStart)
      calls.push({ startedAt: clock.now(), finishesAt: clock.now() + latencyMs, inFlightAtStart, throttled })
    }
    calls.sort((a, b) => a.finishesAt - b.finishesAt)
    const next = calls.shift()
    if (!next) break
    clock.set(Math.max(clock.now(), next.finishesAt))
    limits.observe('d', {
      signal: next.throttled ? 'overloaded' : 'answered',
      startedAt: next.startedAt,
      finishedAt: clock.now(),
      inFlightAtStart: next.inFlightAtStart,
    })
    limits.release('d', next.throttled ? 'neutral' : 'succeeded')
    windows.push({ at: clock.now(), window: limits.windows().get('d')!.window, inFlight: next.inFlightAtStart })
  }
  return { windows, maxInFlight, throttled: calls.length }
}

const windowAt = (windows: readonly { at: number; window: number }[], at: number) =>
  windows.findLast((sample) => sample.at <= at)!.window

test('a destination throttling above 12 calls in flight: the window settles under 12', () => {
  const { windows } = simulate({ answer: (_at, inFlight) => ({ latencyMs: 20, throttled: inFlight > 12 }) }, 60_000)
  const lastHalf = windows.filter((sample) => sample.at > 30_000)
  // AIMD probes the limit now and then (a round trip above it, then half the window): most calls fit.
  const throttledCalls = lastHalf.filter((sample) => sample.inFlight > 12).length
  expect(throttledCalls / lastHalf.length).toBeLessThan(0.2)
  const sorted = lastHalf.map((sample) => sample.window).sort((a, b) => a - b)
  const percentile = (fraction: number) => sorted[Math.floor(fraction * (sorted.length - 1))]!
  expect(sorted.at(-1)).toBeLessThanOrEqual(13)
  expect(percentile(0.75)).toBeLessThanOrEqual(12)
  expect(percentile(0.5)).toBeGreaterThanOrEqual(6)
})

test('a destination that turns slow sheds attempts, and gets them back once it is fast again', () => {
  // 20 ms until 10 s, 400 ms from 10 s to 14 s, 20 ms again after.
  const slow = (at: number) => at >= 10_000 && at < 14_000
  const { windows } = simulate({ answer: (at) => ({ latencyMs: slow(at) ? 400 : 20, throttled: false }) }, 30_000)
  const fast = windowAt(windows, 9_999)
  expect(fast).toBe(64)
  const whileSlow = Math.min(...windows.filter((sample) => slow(sample.at)).map((sample) => sample.window))
  expect(whileSlow).toBeLessThan(fast / 2)
  expect(windowAt(windows, 30_000)).toBe(64)
  expect(windowAt(windows, 30_000)).toBeGreaterThan(whileSlow * 2)
})

test('the ceiling holds whatever the destination does', () => {
  const { maxInFlight } = simulate({ answer: () => ({ latencyMs: 5, throttled: false }) }, 5_000, 7)
  expect(maxInFlight).toBe(7)
})
