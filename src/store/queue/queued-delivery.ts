/** The columns of a delivery as it enters the queue, whichever path queues it (ingest, a route change, an erasure). */

/**
 * Queued now with a fresh retry schedule and unlocked: what a new delivery and a replayed one share. A replay keeps
 * the rest (its external id, so the destination's record is updated rather than created again, its last error and
 * when it was created).
 */
export function requeuedDeliveryColumns(now: number) {
  return {
    state: 'queued',
    attempts: 0,
    run_at: now,
    retry_from: now,
    locked_by: null,
    locked_until: null,
    updated_at: now,
  } as const
}

/** Queued now, due now, never tried, unlocked, without an error or an external id yet. */
export function queuedDeliveryColumns(now: number) {
  return {
    ...requeuedDeliveryColumns(now),
    last_error: null,
    last_error_kind: null,
    last_status: null,
    external_id: null,
    created_at: now,
    delivered_at: null,
  } as const
}
