import { describe, expect, test } from 'vitest'
import { earliestStorableTime, isoTime, isStorableTime, latestStorableTime } from './time.ts'

describe('isStorableTime', () => {
  test.each([0, Date.UTC(2026, 10, 25), latestStorableTime])('%d is storable', (ms) => {
    expect(isStorableTime(ms)).toBe(true)
  })

  test.each([-1, latestStorableTime + 1, 1.5, 9e15, -9e15, 1e300, Number.NaN, Number.POSITIVE_INFINITY])(
    '%d is not',
    (ms) => {
      expect(isStorableTime(ms)).toBe(false)
    },
  )
})

describe('isoTime', () => {
  test('a storable time is its ISO form', () => {
    expect(isoTime(Date.UTC(2026, 10, 25, 12, 0, 0, 5))).toBe('2026-11-25T12:00:00.005Z')
    expect(isoTime(latestStorableTime)).toBe('9999-12-31T23:59:59.999Z')
  })

  // Rows written before times were checked must not fail a read: `new Date(9e15).toISOString()` throws.
  test.each<[number, string]>([
    [9e15, '9999-12-31T23:59:59.999Z'],
    [1e300, '9999-12-31T23:59:59.999Z'],
    [Number.POSITIVE_INFINITY, '9999-12-31T23:59:59.999Z'],
    [-9e15, '1970-01-01T00:00:00.000Z'],
    [Number.NaN, '1970-01-01T00:00:00.000Z'],
    [1.5, '1970-01-01T00:00:00.002Z'],
  ])('%d is shown at the nearest end of the range, never thrown', (ms, text) => {
    expect(isoTime(ms)).toBe(text)
  })

  test('the range ends render with four-digit years', () => {
    expect(isoTime(earliestStorableTime)).toBe('1970-01-01T00:00:00.000Z')
  })
})
