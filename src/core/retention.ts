/**
 * Retention (docs/privacy.md): how long a tenant keeps delivery attempts, the events of idle leads and the audit log,
 * and the cut-off times a retention run derives from those settings.
 */

export interface RetentionSettings {
  /** Delivery attempts older than this many days are deleted; the delivery keeps its final state. */
  readonly attemptsDays: number
  /** The events of a lead with no event for this many months are reduced to its merged lead. */
  readonly leadEventsIdleMonths: number
  /** Audit entries older than this many months are deleted. */
  readonly auditMonths: number
}

/** What a tenant that never chose gets. */
export const defaultRetentionSettings: RetentionSettings = {
  attemptsDays: 90,
  leadEventsIdleMonths: 24,
  auditMonths: 24,
}

/** The inclusive bounds of each setting: short enough to matter, never so short that a support case finds nothing. */
export const retentionLimits = {
  attemptsDays: { min: 7, max: 3650 },
  leadEventsIdleMonths: { min: 1, max: 240 },
  auditMonths: { min: 1, max: 240 },
} as const satisfies Record<keyof RetentionSettings, { min: number; max: number }>

/** `months` calendar months before `at` (UTC), clamped to the month's last day (31 March − 1 month = 28/29 February). */
export function monthsBefore(at: number, months: number): number {
  const date = new Date(at)
  const day = date.getUTCDate()
  date.setUTCDate(1)
  date.setUTCMonth(date.getUTCMonth() - months)
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate()
  date.setUTCDate(Math.min(day, lastDay))
  return date.getTime()
}

const dayMs = 24 * 60 * 60 * 1000

export interface RetentionCutoffs {
  /** Attempts that started before this are deleted. */
  readonly attemptsBefore: number
  /** Leads whose last event occurred before this are idle. */
  readonly idleBefore: number
  /** Audit entries made before this are deleted. */
  readonly auditBefore: number
}

export function retentionCutoffs(settings: RetentionSettings, now: number): RetentionCutoffs {
  return {
    attemptsBefore: now - settings.attemptsDays * dayMs,
    idleBefore: monthsBefore(now, settings.leadEventsIdleMonths),
    auditBefore: monthsBefore(now, settings.auditMonths),
  }
}
