/**
 * The steps of one call to a destination, for the deliveries it carries: prepare (is there still something to send,
 * may we send now), call (one attempt, the vendor's batch call or an erasure), record (the outcome, the delivery's
 * next state and the destination's health). The loop that claims and launches these lives in worker.ts.
 */

import type { AttemptExchange } from '../core/attempt-exchange.ts'
import { capacitySignalOf } from '../core/concurrency-policy.ts'
import type { AttemptKind, Delivery } from '../core/delivery.ts'
import {
  type AttemptOutcome,
  type DestinationHealth,
  nextDeliveryState,
  nextDestinationHealth,
} from '../core/delivery-state.ts'
import { DeliveryError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import { clampRetryAfter, type RetryPolicy } from '../core/retry-policy.ts'
import type { Connector, LeadSnapshot } from '../destinations/types.ts'
import type { Logger } from '../logger.ts'
import type { Batcher } from '../store/batcher.ts'
import type { AttemptCompletion, DestinationRecord, Store } from '../store/types.ts'
import type { ConnectorFactory } from './connectors.ts'
import type { DestinationLimits } from './destination-limits.ts'
import type { ExchangeRecorder } from './exchange-recorder.ts'
import { runAttempt, runBatch, runErasure } from './run-attempt.ts'
import type { EventEmitter } from './typed-event-emitter.ts'
import type { WorkerEventMap } from './worker-events.ts'

/** How a call went for its destination's window and breaker. */
export type CallResult = 'succeeded' | 'failed' | 'neutral'

export interface DeliveryStepsDeps {
  readonly store: Pick<Store, 'markSuperseded' | 'releaseDeliveries'>
  readonly connectors: ConnectorFactory
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly log: Logger
  readonly workerId: string
  readonly random: () => number
  readonly retryPolicy: RetryPolicy
  readonly attemptTimeoutMs: number
  readonly limits: DestinationLimits
  /** The destinations of deliveries in flight, as last read; recording a health change updates it. */
  readonly destinations: Map<string, DestinationRecord>
  /** Records completions, many in one transaction; answers whether the lease was still ours. */
  readonly completions: Batcher<AttemptCompletion, boolean>
  readonly events: EventEmitter<WorkerEventMap>
  /** Captures what each call sent and received, for the attempt log; without it attempts record no exchange. */
  readonly exchanges?: ExchangeRecorder
  readonly stopSignal: AbortSignal
  /** Runs a store call a claimed delivery depends on until it succeeds (until-settled.ts). */
  settle<T>(what: string, work: () => Promise<T>): Promise<T>
}

export interface DeliverySteps {
  /**
   * Sends deliveries to one destination: one call, or the vendor's batch call when there are several. `releaseSlot`
   * frees the destination's slot early once everything was delivered; the caller frees it otherwise.
   */
  send(
    destinationId: string,
    deliveries: readonly Delivery[],
    snapshots: ReadonlyMap<string, LeadSnapshot>,
    releaseSlot: (result: 'succeeded') => void,
    inFlightAtStart: number,
  ): Promise<CallResult>
}

function healthOf(destination: DestinationRecord): DestinationHealth {
  return {
    state: destination.state,
    ...(destination.stateReason !== undefined && { reason: destination.stateReason }),
    ...(destination.failingSince !== undefined && { failingSince: destination.failingSince }),
    ...(destination.throttledSince !== undefined && { throttledSince: destination.throttledSince }),
    ...(destination.alerted !== undefined && { alerted: destination.alerted }),
  }
}

function withHealth(destination: DestinationRecord, health: DestinationHealth): DestinationRecord {
  const {
    stateReason: _reason,
    failingSince: _failing,
    throttledSince: _throttled,
    alerted: _alerted,
    ...rest
  } = destination
  return {
    ...rest,
    state: health.state,
    ...(health.reason !== undefined && { stateReason: health.reason }),
    ...(health.failingSince !== undefined && { failingSince: health.failingSince }),
    ...(health.throttledSince !== undefined && { throttledSince: health.throttledSince }),
    ...(health.alerted !== undefined && { alerted: health.alerted }),
  }
}

/**
 * How long the destination asked us to send nothing at all: a rate limit (with or without a stated wait), or any
 * answer carrying `Retry-After`. Undefined when the failure says nothing about the destination's capacity.
 */
function holdOf(outcome: AttemptOutcome, policy: RetryPolicy): number | undefined {
  if (outcome.kind !== 'failed') return undefined
  if (outcome.failure === 'rate_limited') return clampRetryAfter(policy, outcome.retryAfterMs)
  return outcome.retryAfterMs === undefined ? undefined : clampRetryAfter(policy, outcome.retryAfterMs)
}

function kindOf(delivery: Delivery, snapshot: LeadSnapshot | undefined): AttemptKind {
  if (delivery.replayPending) return 'replay'
  return snapshot?.lead.isTest ? 'test' : 'scheduled'
}

export function createDeliverySteps(deps: DeliveryStepsDeps): DeliverySteps {
  const { clock, events, limits, destinations } = deps
  const destinationOf = (delivery: Delivery) => destinations.get(delivery.destinationId)!

  /** Record: the attempt's outcome, the delivery's next state and the destination's health, in the store. */
  async function record(
    delivery: Delivery,
    outcome: AttemptOutcome,
    startedAt: number,
    kind: AttemptKind,
    exchange?: AttemptExchange,
  ): Promise<CallResult> {
    const destination = destinationOf(delivery)
    const now = clock.now()
    const hold = holdOf(outcome, deps.retryPolicy)
    const transition = nextDeliveryState(
      { attempts: delivery.attempts, createdAt: delivery.retryFrom },
      outcome,
      deps.retryPolicy,
      now,
      deps.random(),
    )
    const health = nextDestinationHealth(healthOf(destination), outcome, deps.retryPolicy, now)
    const healthChanged =
      health.health.state !== destination.state ||
      health.health.failingSince !== destination.failingSince ||
      health.health.throttledSince !== destination.throttledSince ||
      health.health.alerted !== destination.alerted
    const attempt: AttemptCompletion['attempt'] = {
      id: deps.ids.next('att'),
      deliveryId: delivery.id,
      kind,
      leadVersion: delivery.leadVersion,
      startedAt,
      durationMs: now - startedAt,
      outcome: outcome.kind === 'delivered' ? 'delivered' : outcome.failure,
      ...(outcome.status !== undefined && { status: outcome.status }),
      ...(outcome.kind === 'failed' && outcome.vendorCode !== undefined && { vendorCode: outcome.vendorCode }),
      ...(outcome.kind === 'failed' && { error: outcome.message }),
      ...(exchange && { request: exchange.request }),
      ...(exchange?.response && { response: exchange.response }),
    }
    const stillOurs = await deps.completions.submit({
      deliveryId: delivery.id,
      workerId: deps.workerId,
      attempt,
      transition,
      ...(healthChanged && { health: health.health }),
      ...(hold !== undefined && { holdDestinationUntil: now + hold }),
      ...(outcome.kind === 'delivered' &&
        outcome.externalId !== undefined &&
        delivery.operation === 'deliver' && { externalId: outcome.externalId }),
      now,
    })
    if (!stillOurs) events.emit('lease-lost', { deliveryId: delivery.id, destinationId: destination.id })
    events.emit('recorded', {
      delivery,
      destinationId: destination.id,
      attempt,
      outcome,
      state: transition.state,
      stillOurs,
    })
    // Later results of the same call see the new health, so a pause is announced once.
    const updated = healthChanged ? withHealth(destination, health.health) : destination
    if (healthChanged) destinations.set(updated.id, updated)
    if (health.notify) {
      events.emit('health-changed', {
        destination: updated,
        notice: health.notify,
        ...(health.health.reason !== undefined && { reason: health.health.reason }),
      })
    }
    if (outcome.kind === 'delivered') return 'succeeded'
    return outcome.failure === 'retryable' ? 'failed' : 'neutral'
  }

  /** Prepare: what a delivery carries, as loaded right after its claim; ends it when there is nothing (left) to send. */
  async function prepare(
    delivery: Delivery,
    snapshot: LeadSnapshot | undefined,
    startedAt: number,
  ): Promise<LeadSnapshot | undefined> {
    if (snapshot && snapshot.lead.version > delivery.leadVersion) {
      // The lead changed after the claim; that change queued its own delivery, which carries the newer state.
      await deps.settle('marking a delivery superseded', () =>
        deps.store.markSuperseded(delivery.id, deps.workerId, clock.now()),
      )
      events.emit('superseded', { deliveryId: delivery.id, destinationId: delivery.destinationId })
      return undefined
    }
    if (!snapshot) {
      const gone: AttemptOutcome = { kind: 'failed', failure: 'rejected', message: 'The lead no longer exists' }
      await record(delivery, gone, startedAt, kindOf(delivery, undefined))
    }
    if (snapshot?.lead.erasedAt !== undefined && delivery.operation === 'deliver') {
      // A replay of an erased lead would write an empty record back where the erasure deleted one.
      const erased: AttemptOutcome = {
        kind: 'failed',
        failure: 'rejected',
        message: "The customer's personal data was erased; the lead is not delivered again",
      }
      await record(delivery, erased, startedAt, kindOf(delivery, snapshot))
      return undefined
    }
    return snapshot
  }

  /** Call: one erasure, one vendor batch call, or one attempt; whatever the connector does, outcomes come back. */
  function call(connector: Connector, ready: readonly { delivery: Delivery; snapshot: LeadSnapshot }[]) {
    const runOptions = { timeoutMs: deps.attemptTimeoutMs, stopSignal: deps.stopSignal, log: deps.log }
    const first = ready[0]!
    const attemptOf = (delivery: Delivery) => ({ deliveryId: delivery.id, number: delivery.attemptCount + 1 })
    if (first.delivery.operation === 'erase') {
      const request = {
        lead: first.snapshot.lead,
        ...(first.delivery.externalId !== undefined && { externalId: first.delivery.externalId }),
        erasedAt: first.snapshot.lead.erasedAt ?? first.delivery.createdAt,
      }
      return runErasure(connector, request, attemptOf(first.delivery), runOptions).then((outcome) => [outcome])
    }
    if (ready.length > 1 && connector.deliverBatch) {
      const items = ready.map(({ delivery, snapshot }) => ({ snapshot, attempt: attemptOf(delivery) }))
      return runBatch(connector, items, runOptions)
    }
    return runAttempt(connector, first.snapshot, attemptOf(first.delivery), runOptions).then((outcome) => [outcome])
  }

  return {
    async send(destinationId, deliveries, snapshots, releaseSlot, inFlightAtStart) {
      const startedAt = clock.now()
      const destination = destinations.get(destinationId)!
      let connector: Connector
      try {
        connector = deps.connectors.connectorFor(destination)
      } catch (error) {
        const failure = error instanceof DeliveryError ? error : new DeliveryError('misconfigured', String(error))
        let result: CallResult = 'neutral'
        for (const delivery of deliveries) {
          const outcome: AttemptOutcome = { kind: 'failed', failure: failure.kind, message: failure.message }
          result = await record(delivery, outcome, startedAt, kindOf(delivery, undefined))
        }
        return result
      }
      const ready: { delivery: Delivery; snapshot: LeadSnapshot }[] = []
      for (const delivery of deliveries) {
        const snapshot = await prepare(delivery, snapshots.get(delivery.leadId), startedAt)
        if (snapshot) ready.push({ delivery, snapshot })
      }
      if (ready.length === 0) return 'neutral'
      // A rate limit answered while these waited for their turn holds them too: back to the queue, no attempt made.
      const heldUntil = Math.max(limits.heldUntil(destinationId) ?? 0, destination.heldUntil ?? 0)
      if (heldUntil > clock.now()) {
        const deliveryIds = ready.map(({ delivery }) => delivery.id)
        await deps.settle('returning held deliveries to the queue', () =>
          deps.store.releaseDeliveries(deliveryIds, deps.workerId, heldUntil, clock.now()),
        )
        events.emit('held', { destinationId, deliveryIds, until: heldUntil })
        return 'neutral'
      }
      // The window learns from the call's own round trip, not from the store work before it.
      const callStartedAt = clock.now()
      const { result: outcomes, exchange } = deps.exchanges
        ? await deps.exchanges.capture(() => call(connector, ready))
        : { result: await call(connector, ready), exchange: undefined }
      limits.observe(destinationId, {
        signal: capacitySignalOf(outcomes),
        startedAt: callStartedAt,
        finishedAt: clock.now(),
        inFlightAtStart,
      })
      events.emit('attempted', {
        destination: destinationOf(ready[0]!.delivery),
        deliveries: ready.map(({ delivery }) => delivery),
        outcomes,
        seconds: (clock.now() - callStartedAt) / 1000,
      })
      // The destination took everything: its slot can carry the next lead while this outcome is being recorded.
      // Failures keep the slot until recorded, so a pause or the breaker takes effect before the next attempt.
      if (outcomes.length > 0 && outcomes.every((outcome) => outcome.kind === 'delivered')) releaseSlot('succeeded')
      // The destination's own words on its capacity bind every lead at once, before the outcome is even recorded.
      for (const outcome of outcomes) {
        const hold = holdOf(outcome, deps.retryPolicy)
        if (hold !== undefined) limits.hold(destinationId, clock.now() + hold)
      }
      let result: CallResult = 'neutral'
      for (const [index, { delivery, snapshot }] of ready.entries()) {
        const outcome = outcomes[index]
        if (outcome) result = await record(delivery, outcome, startedAt, kindOf(delivery, snapshot), exchange)
      }
      return result
    },
  }
}
