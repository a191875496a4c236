/**
 * Everything the delivery worker does, as typed events: logging (worker-subscribers.ts), the Prometheus metrics and
 * the health notices subscribe to these instead of being called from inside the loop.
 */

import type { Delivery } from '../core/delivery.ts'
import type { AttemptOutcome, DeliveryTransition, HealthNoticeKind } from '../core/delivery-state.ts'
import type { AttemptCompletion, DestinationRecord } from '../store/types.ts'
import type { EventSource } from './typed-event-emitter.ts'

export interface WorkerEventMap {
  /** A claim round leased these deliveries (only emitted when it got some). */
  claimed: { readonly deliveries: readonly Delivery[] }
  /** One call to a destination returned: one outcome per delivery it carried, in order. */
  attempted: {
    readonly destination: DestinationRecord
    readonly deliveries: readonly Delivery[]
    readonly outcomes: readonly AttemptOutcome[]
    /** The call's own round trip. */
    readonly seconds: number
  }
  /** An attempt's outcome is in the store and the delivery moved on (unless the lease was lost meanwhile). */
  recorded: {
    readonly delivery: Delivery
    readonly destinationId: string
    readonly attempt: AttemptCompletion['attempt']
    readonly outcome: AttemptOutcome
    readonly state: DeliveryTransition['state']
    readonly stillOurs: boolean
  }
  /** The attempt was recorded, but another worker holds the delivery now (this worker's lease ran out). */
  'lease-lost': { readonly deliveryId: string; readonly destinationId: string }
  /** Ended without an attempt: the lead changed after the claim and its newer state has a delivery of its own. */
  superseded: { readonly deliveryId: string; readonly destinationId: string }
  /** Handed back to the queue without an attempt: the destination asked for no request until `until`. */
  held: { readonly destinationId: string; readonly deliveryIds: readonly string[]; readonly until: number }
  /** The destination's health changed in a way its publisher is told about (paused, disabled, failing …). */
  'health-changed': {
    readonly destination: DestinationRecord
    readonly notice: HealthNoticeKind
    readonly reason?: string
  }
  /** A paused destination verified again: it is active, and its leads flow. */
  resumed: { readonly destination: DestinationRecord }
  /** A call's outcome could not be recorded while the worker stopped: its lease expires and it is retried. */
  'record-failed': { readonly destinationId: string; readonly error: unknown }
  /** A round of the loop failed (claiming, leases, probes); the loop goes on at its next wake-up. */
  'loop-failed': { readonly error: unknown }
  /** LISTEN for other nodes' work could not start: the worker polls only. */
  'listen-failed': { readonly error: unknown }
}

export type WorkerEvents = EventSource<WorkerEventMap>
