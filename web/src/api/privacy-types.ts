/** Privacy in the API: retention settings and a customer's erasure (docs/privacy.md). */

export interface RetentionValues {
  /** Delivery attempts older than this many days are deleted; each delivery keeps its final state. */
  attemptsDays: number
  /** The events of a lead with no event for this many months are reduced to its merged lead. */
  leadEventsIdleMonths: number
  /** Audit entries older than this many months are deleted. */
  auditMonths: number
}

export interface RetentionSettings extends RetentionValues {
  /** Absent while the defaults apply. */
  updatedAt?: string
  defaults: RetentionValues
  limits: Record<keyof RetentionValues, { min: number; max: number }>
}

export interface ErasureResult {
  /** The keyed hash of the email the tombstone keeps. */
  emailHash: string
  erasedAt: string
  /** Leads (one per offer) whose personal data was removed. */
  leads: number
  /** Deletions queued, one per destination holding a record of one of those leads. */
  deletionsQueued: number
}
