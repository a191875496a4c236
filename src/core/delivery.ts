/**
 * A delivery (one lead version on its way to one destination) and its attempts, as the worker, the store and the API
 * see them. The state machine that moves a delivery is delivery-state.ts.
 */

import type { ExchangeRequest, ExchangeResponse } from './attempt-exchange.ts'
import type { DeliveryState } from './delivery-state.ts'

export interface Delivery {
  readonly id: string
  readonly tenantId: string
  readonly leadId: string
  readonly destinationId: string
  /** The lead version this delivery carries (raised to the newest when it is claimed). */
  readonly leadVersion: number
  readonly state: DeliveryState
  readonly attempts: number
  readonly runAt: number
  /** Start of the current retry schedule: creation, or the last replay. */
  readonly retryFrom: number
  readonly lastError?: string
  readonly lastErrorKind?: string
  readonly lastStatus?: number
  readonly externalId?: string
  readonly createdAt: number
  readonly updatedAt: number
  readonly deliveredAt?: number
  /** Attempts recorded so far, replays included; the next attempt is number `attemptCount + 1`. */
  readonly attemptCount: number
  /** Queued again by a replay and not attempted since: the next attempt is a `replay`. */
  readonly replayPending: boolean
  /** `deliver` upserts the lead; `erase` asks the destination to delete the record it holds (docs/privacy.md). */
  readonly operation: DeliveryOperation
  /** The W3C `traceparent` of the ingest that queued it, when traces were on (docs/decisions/0012). */
  readonly traceParent?: string
}

export const deliveryOperations = ['deliver', 'erase'] as const
export type DeliveryOperation = (typeof deliveryOperations)[number]

/** Why an attempt ran: the retry schedule, a publisher's replay, or a test lead (Partner Center's or a publish check). */
export const attemptKinds = ['scheduled', 'replay', 'test'] as const
export type AttemptKind = (typeof attemptKinds)[number]

export interface AttemptRecord {
  readonly id: string
  readonly deliveryId: string
  /** 1, 2, 3… per delivery, never repeated: replays and rate-limited attempts count too. */
  readonly number: number
  readonly kind: AttemptKind
  readonly leadVersion: number
  readonly startedAt: number
  readonly durationMs: number
  /** `delivered` or the failure kind. */
  readonly outcome: string
  readonly status?: number
  readonly vendorCode?: string
  readonly error?: string
  /** The last request the attempt's call made, secrets removed, its body capped (attempt-exchange.ts). */
  readonly request?: ExchangeRequest
  /** What the destination answered to it, when it answered. */
  readonly response?: ExchangeResponse
}
