/**
 * The times Leadrelay stores: whole epoch milliseconds from 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z,
 * the range in which every time has a plain four-digit-year ISO 8601 form that every reader (the API, exports, CRM
 * payloads) can render. A sender's time outside it is refused or replaced on the way in (`src/core/inbound.ts`).
 */

export const earliestStorableTime = 0
export const latestStorableTime = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** True for a whole number of milliseconds within the storable range. */
export function isStorableTime(ms: number): boolean {
  return Number.isInteger(ms) && ms >= earliestStorableTime && ms <= latestStorableTime
}

/**
 * The ISO 8601 form of a stored time. Never throws: a value written before times were checked on the way in (or
 * otherwise out of range) is shown at the nearest end of the storable range, so one bad row cannot fail a read.
 */
export function isoTime(ms: number): string {
  if (isStorableTime(ms)) return new Date(ms).toISOString()
  const clamped = Number.isNaN(ms)
    ? earliestStorableTime
    : Math.min(latestStorableTime, Math.max(earliestStorableTime, Math.round(ms)))
  return new Date(clamped).toISOString()
}
