/** Rows of `deliveries` and `delivery_attempts` as the Store contract answers them. */

import type { Selectable } from 'kysely'
import type { ExchangeRequest, ExchangeResponse } from '../../core/attempt-exchange.ts'
import { type AttemptKind, type AttemptRecord, attemptKinds, type Delivery } from '../../core/delivery.ts'
import type { DeliveryState } from '../../core/delivery-state.ts'
import type { Database } from '../schema.ts'

export type DeliveryRow = Selectable<Database['deliveries']>
export type AttemptRow = Selectable<Database['delivery_attempts']>

export function deliveryOf(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    leadId: row.lead_id,
    destinationId: row.destination_id,
    leadVersion: Number(row.lead_version),
    state: row.state as DeliveryState,
    attempts: Number(row.attempts),
    runAt: Number(row.run_at),
    retryFrom: Number(row.retry_from),
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.last_error_kind !== null && { lastErrorKind: row.last_error_kind }),
    ...(row.last_status !== null && { lastStatus: Number(row.last_status) }),
    ...(row.external_id !== null && { externalId: row.external_id }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.delivered_at !== null && { deliveredAt: Number(row.delivered_at) }),
    attemptCount: Number(row.attempt_count),
    replayPending: Number(row.replay_pending) === 1,
    operation: row.operation === 'erase' ? 'erase' : 'deliver',
    ...(row.trace_parent !== null && row.trace_parent !== undefined && { traceParent: row.trace_parent }),
  }
}

function attemptKindOf(value: string): AttemptKind {
  return (attemptKinds as readonly string[]).includes(value) ? (value as AttemptKind) : 'scheduled'
}

export function attemptOf(row: AttemptRow): AttemptRecord {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    number: Number(row.number),
    kind: attemptKindOf(row.kind),
    leadVersion: Number(row.lead_version),
    startedAt: Number(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome,
    ...(row.status !== null && { status: Number(row.status) }),
    ...(row.vendor_code !== null && { vendorCode: row.vendor_code }),
    ...(row.error !== null && { error: row.error }),
    ...(row.request !== null && { request: JSON.parse(row.request) as ExchangeRequest }),
    ...(row.response !== null && { response: JSON.parse(row.response) as ExchangeResponse }),
  }
}

/** One delivery in flight per (destination, lead): the key claims group and lock by. */
export function pairKeyOf(row: { readonly destination_id: string; readonly lead_id: string }): string {
  return `${row.destination_id}:${row.lead_id}`
}
