/** The columns of a delivery as it enters the queue, whichever path queues it (ingest, a route change, an erasure). */

/** Queued now, due now, never tried, unlocked, without an error or an external id yet. */
export function queuedDeliveryColumns(now: number) {
  return {
    state: 'queued',
    attempts: 0,
    run_at: now,
    retry_from: now,
    locked_by: null,
    locked_until: null,
    last_error: null,
    last_error_kind: null,
    last_status: null,
    external_id: null,
    created_at: now,
    updated_at: now,
    delivered_at: null,
  } as const
}
