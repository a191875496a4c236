/** What listens to the delivery worker's events: its log lines, the attempt metrics and the health notices. */

import type { HealthNoticeKind } from '../core/delivery-state.ts'
import type { Logger } from '../logger.ts'
import type { DestinationRecord } from '../store/types.ts'
import type { WorkerEvents } from './worker-events.ts'

/** Undoes every subscription made by one of the functions below. */
export type Unsubscribe = () => void

function all(unsubscribes: readonly (() => void)[]): Unsubscribe {
  return () => {
    for (const unsubscribe of unsubscribes) unsubscribe()
  }
}

/** The worker's log lines; never customer data, ids and outcomes only. */
export function logWorkerEvents(events: WorkerEvents, log: Logger): Unsubscribe {
  return all([
    events.on('lease-lost', ({ deliveryId }) => log.warn({ deliveryId }, 'lease lost before the attempt was recorded')),
    // A line per attempt only at debug level; at any other level the attempt costs no listener and no object.
    ...(log.isLevelEnabled('debug')
      ? [
          events.on('recorded', ({ delivery, destinationId, outcome, state }) =>
            log.debug({ deliveryId: delivery.id, destinationId, outcome: outcome.kind, state }, 'attempt'),
          ),
        ]
      : []),
    events.on('resumed', ({ destination }) =>
      log.info({ destinationId: destination.id }, 'paused destination verified again; resuming'),
    ),
    events.on('record-failed', ({ destinationId, error }) =>
      log.error({ err: error, destinationId }, 'attempt could not be recorded'),
    ),
    events.on('loop-failed', ({ error }) => log.error({ err: error }, 'delivery loop error; retrying')),
    events.on('listen-failed', ({ error }) => log.warn({ err: error }, 'could not listen for work; polling only')),
  ])
}

/**
 * Each outcome of each call, by destination kind, for `leadrelay_deliveries_total` and the attempt duration
 * histogram (src/metrics/metrics.ts): `record` is `Metrics.attempt`, or the delivery thread's batcher of it.
 */
export function countAttempts(
  events: WorkerEvents,
  record: (destinationKind: string, outcome: string, seconds: number) => void,
): Unsubscribe {
  return events.on('attempted', ({ destination, outcomes, seconds }) => {
    for (const outcome of outcomes) {
      record(destination.kind, outcome.kind === 'delivered' ? 'delivered' : outcome.failure, seconds)
    }
  })
}

/**
 * Tells the publisher's contacts when a destination is paused, disabled, failing, throttled or recovers (a paused
 * one verified again counts as recovered). A notice that cannot be sent is logged; it never affects delivery.
 */
export function notifyHealthChanges(
  events: WorkerEvents,
  notify: (destination: DestinationRecord, notice: HealthNoticeKind, reason: string | undefined) => Promise<void>,
  log: Logger,
): Unsubscribe {
  const send = (destination: DestinationRecord, notice: HealthNoticeKind, reason: string | undefined) => {
    notify(destination, notice, reason).catch((error: unknown) => {
      log.warn({ err: error, destinationId: destination.id }, 'health notification failed')
    })
  }
  return all([
    events.on('health-changed', ({ destination, notice, reason }) => send(destination, notice, reason)),
    events.on('resumed', ({ destination }) => send(destination, 'destination.recovered', undefined)),
  ])
}
