/**
 * The delivery worker: claims due deliveries, runs each attempt under its destination's limits, records the outcome
 * and moves the delivery and its destination to their next states. Runs inside `leadrelay serve` or alone.
 */

import { setMaxListeners } from 'node:events'
import { type ConcurrencyPolicy, capacitySignalOf, defaultConcurrencyPolicy } from '../core/concurrency-policy.ts'
import {
  type AttemptOutcome,
  type DestinationHealth,
  type HealthNoticeKind,
  nextDeliveryState,
  nextDestinationHealth,
} from '../core/delivery-state.ts'
import { DeliveryError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import { clampRetryAfter, defaultRetryPolicy, type RetryPolicy } from '../core/retry-policy.ts'
import type { Connector, LeadSnapshot, VendorLimits } from '../destinations/types.ts'
import type { Logger } from '../logger.ts'
import { createBatcher } from '../store/batcher.ts'
import type { AttemptCompletion, AttemptKind, Delivery, DestinationRecord, Store } from '../store/types.ts'
import type { ConnectorFactory } from './connectors.ts'
import {
  type BreakerPolicy,
  createDestinationLimits,
  type LimitSettings,
  type WindowView,
} from './destination-limits.ts'
import { runAttempt, runBatch, runErasure } from './run-attempt.ts'
import { untilSettled } from './until-settled.ts'

export type HealthNotice = HealthNoticeKind

export interface WorkerOptions {
  /** Upper bound of attempts in flight across all destinations. */
  readonly maxInFlight: number
  readonly attemptTimeoutMs: number
  /** Longer than `attemptTimeoutMs`: a live worker never loses a lease mid-attempt. */
  readonly leaseMs: number
  /** How often an idle worker looks for work it was not woken for (retries coming due, other nodes' leads). */
  readonly pollIntervalMs: number
  /**
   * While attempts are running, or work keeps coming (a claim started something within the last 100 ms), how long a
   * woken worker waits for more slots to free and more commits to land before it claims.
   */
  readonly claimWindowMs: number
  /** How often paused destinations are re-verified, so fixed credentials resume delivery by themselves. */
  readonly probeIntervalMs: number
  readonly retryPolicy: RetryPolicy
  /** How each destination's window of attempts in flight adapts, under its ceiling. */
  readonly concurrencyPolicy: ConcurrencyPolicy
  readonly breaker?: BreakerPolicy
}

export const defaultWorkerOptions: WorkerOptions = {
  maxInFlight: 64,
  attemptTimeoutMs: 15_000,
  leaseMs: 60_000,
  pollIntervalMs: 1_000,
  claimWindowMs: 5,
  probeIntervalMs: 5 * 60_000,
  retryPolicy: defaultRetryPolicy,
  concurrencyPolicy: defaultConcurrencyPolicy,
}

export interface WorkerDeps {
  readonly store: Store
  readonly connectors: ConnectorFactory
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly log: Logger
  readonly workerId: string
  /** In [0, 1); drives retry jitter. */
  readonly random?: () => number
  /** Told of each attempt's outcome and duration, for metrics; runs on the delivery path, so it must be cheap. */
  readonly onAttempt?: (destinationKind: string, outcome: string, seconds: number) => void
  /** Told when a destination is paused, disabled or recovers. Failures here never affect delivery. */
  readonly onHealthChange?: (
    destination: DestinationRecord,
    notice: HealthNotice,
    reason: string | undefined,
  ) => Promise<void>
  readonly options?: Partial<WorkerOptions>
}

export interface DeliveryWorker {
  start(): void
  /**
   * Stops claiming; lets attempts in flight finish and be recorded for up to `graceMs` (default 0), then aborts the
   * rest (their leases expire and they are retried) and waits for them.
   */
  stop(graceMs?: number): Promise<void>
  /** Looks for work now instead of at the next poll. */
  wake(): void
  /** Claims and runs everything due at the clock's current time, until nothing is left. For tests and the CLI. */
  runUntilIdle(): Promise<number>
  /** Each destination's adaptive window of attempts in flight, as this worker holds it now. */
  windows(): ReadonlyMap<string, WindowView>
}

/**
 * A destination's limits as the worker applies them: its own `limits`, lowered to what its vendor documents (the
 * vendor's window allows its whole burst).
 */
export function limitSettingsOf(destination: DestinationRecord, vendor: VendorLimits | undefined): LimitSettings {
  const maxConcurrency = Math.min(destination.maxConcurrency, vendor?.maxConcurrency ?? Number.POSITIVE_INFINITY)
  const vendorRate = vendor?.rate && vendor.rate.calls / vendor.rate.perSeconds
  const own = destination.ratePerSecond
  if (vendorRate === undefined || (own !== undefined && own <= vendorRate))
    return { maxConcurrency, ...(own !== undefined && { ratePerSecond: own }) }
  return { maxConcurrency, ratePerSecond: vendorRate, burst: vendor!.rate!.calls }
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

export function createDeliveryWorker(deps: WorkerDeps): DeliveryWorker {
  const options: WorkerOptions = { ...defaultWorkerOptions, ...deps.options }
  const { store, clock, log } = deps
  const random = deps.random ?? Math.random
  const limits = createDestinationLimits(clock, options.breaker, options.concurrencyPolicy)
  const inFlight = new Set<Promise<void>>()
  /** Attempts holding a slot: sending, or failed and not yet recorded. */
  let sending = 0
  const stopController = new AbortController()
  // Every attempt in flight listens for the stop: as many listeners as attempts, by design.
  setMaxListeners(0, stopController.signal)
  let running = false
  let loop: Promise<void> | undefined
  let wakeUp: (() => void) | undefined
  let lastProbe = 0
  /** Runs a store call a claimed delivery depends on until it succeeds (until-settled.ts). */
  const settle = <T>(what: string, work: () => Promise<T>) =>
    untilSettled(work, { log, what, stopSignal: stopController.signal })
  // Attempts finishing together are recorded in one transaction: one fsync for many deliveries.
  const completions = createBatcher(
    (items: readonly AttemptCompletion[]) => settle('recording attempt outcomes', () => store.completeAttempts(items)),
    { maxBatch: 200 },
  )
  let lastSweep = Number.NEGATIVE_INFINITY
  let lastHeartbeat = clock.now()
  let unsubscribe: (() => Promise<void>) | undefined
  /** The destinations of deliveries in flight, as last read. */
  const destinations = new Map<string, DestinationRecord>()
  /** Deliveries per vendor call, learned from each destination's connector. */
  const batchSizes = new Map<string, number>()

  function batchSizeOf(destination: DestinationRecord): number {
    try {
      const connector = deps.connectors.connectorFor(destination)
      return connector.deliverBatch ? Math.max(1, connector.maxBatchSize ?? 1) : 1
    } catch {
      return 1
    }
  }

  /** Records one attempt's outcome and moves the delivery and its destination on. */
  async function finish(
    delivery: Delivery,
    destination: DestinationRecord,
    outcome: AttemptOutcome,
    startedAt: number,
    kind: AttemptKind,
  ): Promise<'succeeded' | 'failed' | 'neutral'> {
    const now = clock.now()
    const hold = holdOf(outcome, options.retryPolicy)
    const transition = nextDeliveryState(
      { attempts: delivery.attempts, createdAt: delivery.retryFrom },
      outcome,
      options.retryPolicy,
      now,
      random(),
    )
    const health = nextDestinationHealth(healthOf(destination), outcome, options.retryPolicy, now)
    const healthChanged =
      health.health.state !== destination.state ||
      health.health.failingSince !== destination.failingSince ||
      health.health.throttledSince !== destination.throttledSince ||
      health.health.alerted !== destination.alerted
    const stillOurs = await completions.submit({
      deliveryId: delivery.id,
      workerId: deps.workerId,
      attempt: {
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
      },
      transition,
      ...(healthChanged && { health: health.health }),
      ...(hold !== undefined && { holdDestinationUntil: now + hold }),
      ...(outcome.kind === 'delivered' &&
        outcome.externalId !== undefined &&
        delivery.operation === 'deliver' && { externalId: outcome.externalId }),
      now,
    })
    if (!stillOurs) log.warn({ deliveryId: delivery.id }, 'lease lost before the attempt was recorded')
    log.debug(
      { deliveryId: delivery.id, destinationId: destination.id, outcome: outcome.kind, state: transition.state },
      'attempt',
    )
    if (healthChanged) {
      // Later results of the same call see the new health, so a pause is announced once.
      const {
        stateReason: _reason,
        failingSince: _failing,
        throttledSince: _throttled,
        alerted: _alerted,
        ...rest
      } = destination
      destination = {
        ...rest,
        state: health.health.state,
        ...(health.health.reason !== undefined && { stateReason: health.health.reason }),
        ...(health.health.failingSince !== undefined && { failingSince: health.health.failingSince }),
        ...(health.health.throttledSince !== undefined && { throttledSince: health.health.throttledSince }),
        ...(health.health.alerted !== undefined && { alerted: health.health.alerted }),
      }
      destinations.set(destination.id, destination)
    }
    if (health.notify && deps.onHealthChange) {
      deps.onHealthChange(destination, health.notify, health.health.reason).catch((error: unknown) => {
        log.warn({ err: error, destinationId: destination.id }, 'health notification failed')
      })
    }
    if (outcome.kind === 'delivered') return 'succeeded'
    return outcome.failure === 'retryable' ? 'failed' : 'neutral'
  }

  /** What a delivery carries, as loaded right after its claim; ends it when there is nothing (left) to send. */
  async function prepare(
    delivery: Delivery,
    snapshot: LeadSnapshot | undefined,
    startedAt: number,
  ): Promise<LeadSnapshot | undefined> {
    if (snapshot && snapshot.lead.version > delivery.leadVersion) {
      // The lead changed after the claim; that change queued its own delivery, which carries the newer state.
      await settle('marking a delivery superseded', () => store.markSuperseded(delivery.id, deps.workerId, clock.now()))
      return undefined
    }
    if (!snapshot) {
      const gone: AttemptOutcome = { kind: 'failed', failure: 'rejected', message: 'The lead no longer exists' }
      await finish(delivery, destinationOf(delivery), gone, startedAt, kindOf(delivery, undefined))
    }
    if (snapshot?.lead.erasedAt !== undefined && delivery.operation === 'deliver') {
      // A replay of an erased lead would write an empty record back where the erasure deleted one.
      const erased: AttemptOutcome = {
        kind: 'failed',
        failure: 'rejected',
        message: "The customer's personal data was erased; the lead is not delivered again",
      }
      await finish(delivery, destinationOf(delivery), erased, startedAt, kindOf(delivery, snapshot))
      return undefined
    }
    return snapshot
  }

  function destinationOf(delivery: Delivery): DestinationRecord {
    return destinations.get(delivery.destinationId)!
  }

  /** Sends deliveries to one destination: one call, or the vendor's batch call when there are several. */
  async function send(
    destinationId: string,
    deliveries: readonly Delivery[],
    snapshots: ReadonlyMap<string, LeadSnapshot>,
    releaseSlot: (result: 'succeeded') => void,
    inFlightAtStart: number,
  ): Promise<'succeeded' | 'failed' | 'neutral'> {
    const startedAt = clock.now()
    const destination = destinations.get(destinationId)!
    let connector: Connector
    try {
      connector = deps.connectors.connectorFor(destination)
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError('misconfigured', String(error))
      let result: 'succeeded' | 'failed' | 'neutral' = 'neutral'
      for (const delivery of deliveries) {
        const outcome: AttemptOutcome = { kind: 'failed', failure: failure.kind, message: failure.message }
        result = await finish(delivery, destinationOf(delivery), outcome, startedAt, kindOf(delivery, undefined))
      }
      return result
    }
    const ready: { delivery: Delivery; snapshot: LeadSnapshot }[] = []
    for (const delivery of deliveries) {
      const snapshot = await prepare(delivery, snapshots.get(delivery.leadId), startedAt)
      if (snapshot) ready.push({ delivery, snapshot })
    }
    const first = ready[0]
    if (!first) return 'neutral'
    // A rate limit answered while these waited for their turn holds them too: back to the queue, no attempt made.
    const heldUntil = Math.max(limits.heldUntil(destinationId) ?? 0, destination.heldUntil ?? 0)
    if (heldUntil > clock.now()) {
      await settle('returning held deliveries to the queue', () =>
        store.releaseDeliveries(
          ready.map(({ delivery }) => delivery.id),
          deps.workerId,
          heldUntil,
          clock.now(),
        ),
      )
      return 'neutral'
    }
    const runOptions = { timeoutMs: options.attemptTimeoutMs, stopSignal: stopController.signal, log }
    // The window learns from the call's own round trip, not from the store work before it.
    const callStartedAt = clock.now()
    const outcomes =
      first.delivery.operation === 'erase'
        ? [
            await runErasure(
              connector,
              {
                lead: first.snapshot.lead,
                ...(first.delivery.externalId !== undefined && { externalId: first.delivery.externalId }),
                erasedAt: first.snapshot.lead.erasedAt ?? first.delivery.createdAt,
              },
              { deliveryId: first.delivery.id, number: first.delivery.attemptCount + 1 },
              runOptions,
            ),
          ]
        : ready.length > 1 && connector.deliverBatch
          ? await runBatch(
              connector,
              ready.map(({ delivery, snapshot }) => ({
                snapshot,
                attempt: { deliveryId: delivery.id, number: delivery.attemptCount + 1 },
              })),
              runOptions,
            )
          : [
              await runAttempt(
                connector,
                first.snapshot,
                { deliveryId: first.delivery.id, number: first.delivery.attemptCount + 1 },
                runOptions,
              ),
            ]
    limits.observe(destinationId, {
      signal: capacitySignalOf(outcomes),
      startedAt: callStartedAt,
      finishedAt: clock.now(),
      inFlightAtStart,
    })
    if (deps.onAttempt) {
      const seconds = (clock.now() - callStartedAt) / 1000
      const kind = destinationOf(first.delivery).kind
      for (const outcome of outcomes) {
        deps.onAttempt(kind, outcome.kind === 'delivered' ? 'delivered' : outcome.failure, seconds)
      }
    }
    // The destination took everything: its slot can carry the next lead while this outcome is being recorded.
    // Failures keep the slot until recorded, so a pause or the breaker takes effect before the next attempt.
    if (outcomes.length > 0 && outcomes.every((outcome) => outcome.kind === 'delivered')) releaseSlot('succeeded')
    // The destination's own words on its capacity bind every lead at once, before the outcome is even recorded.
    for (const outcome of outcomes) {
      const hold = holdOf(outcome, options.retryPolicy)
      if (hold !== undefined) limits.hold(destinationId, clock.now() + hold)
    }
    let result: 'succeeded' | 'failed' | 'neutral' = 'neutral'
    for (const [index, { delivery, snapshot }] of ready.entries()) {
      const outcome = outcomes[index]
      if (outcome)
        result = await finish(delivery, destinationOf(delivery), outcome, startedAt, kindOf(delivery, snapshot))
    }
    return result
  }

  function launch(
    destinationId: string,
    deliveries: readonly Delivery[],
    snapshots: ReadonlyMap<string, LeadSnapshot>,
  ): void {
    const inFlightAtStart = limits.acquire(destinationId)
    sending++
    let released = false
    const releaseSlot = (result: 'succeeded' | 'failed' | 'neutral') => {
      if (released) return
      released = true
      sending--
      limits.release(destinationId, result)
      wakeUp?.()
    }
    const task = send(destinationId, deliveries, snapshots, releaseSlot, inFlightAtStart)
      .catch((error: unknown) => {
        // Recording failed while the worker stopped: the lease expires and the delivery is retried.
        log.error({ err: error, destinationId }, 'attempt could not be recorded')
        return 'neutral' as const
      })
      .then((result) => {
        releaseSlot(result)
        inFlight.delete(task)
        wakeUp?.()
      })
    inFlight.add(task)
  }

  async function probePausedDestinations(): Promise<void> {
    const now = clock.now()
    if (now - lastProbe < options.probeIntervalMs) return
    lastProbe = now
    for (const destination of await store.listAllDestinations()) {
      if (destination.state !== 'paused') continue
      try {
        await deps.connectors.connectorFor(destination).verify(AbortSignal.timeout(options.attemptTimeoutMs))
        await store.setDestinationHealth(destination.id, { state: 'active' }, clock.now())
        log.info({ destinationId: destination.id }, 'paused destination verified again; resuming')
        await deps.onHealthChange?.(destination, 'destination.recovered', undefined)
      } catch {
        // Still failing: stays paused until the next probe or a fix.
      }
    }
  }

  /** Returns crashed workers' expired leases to the queue, and renews this worker's own. */
  async function maintainLeases(now: number): Promise<void> {
    // Heartbeat: three renewals per lease, so leases held while attempts run (or wait to be recorded) stay ours;
    // renewed before the sweep, so a stalled moment of this process never frees its own.
    if (inFlight.size > 0 && (now - lastHeartbeat >= options.leaseMs / 3 || now < lastHeartbeat)) {
      lastHeartbeat = now
      await store.extendLeases(deps.workerId, now, options.leaseMs)
    }
    // Leases last tens of seconds; sweeping for expired ones once a second is plenty and keeps claims cheap.
    if (now - lastSweep >= 1000 || now < lastSweep) {
      lastSweep = now
      await store.releaseExpiredLeases(now)
    }
  }

  /** Whether the last claim round got as many deliveries as it asked for: there may be more due right now. */
  let lastClaimFull = false
  /** When a claim round last started something (performance.now()); a stream of work is gathered, not chased. */
  let lastStartedAt = Number.NEGATIVE_INFINITY

  /** One claim round. Returns how many deliveries it started. */
  async function claimRound(): Promise<number> {
    lastClaimFull = false
    const now = clock.now()
    await maintainLeases(now)
    // Attempts whose outcome is still being recorded hold no slot, but a backlog of them stops new claims.
    const free = inFlight.size >= 2 * options.maxInFlight ? 0 : options.maxInFlight - sending
    if (free <= 0) return 0
    const limit = free * Math.max(1, ...batchSizes.values())
    const claimed = await store.claimDeliveries({
      workerId: deps.workerId,
      now,
      leaseMs: options.leaseMs,
      limit,
      skipDestinations: [...destinations.keys()].filter((id) => limits.slotsFor(id) === 0),
      // Each vendor call takes one slot of its destination and carries up to a batch of deliveries.
      slotsFor: (destinationId) => limits.slotsFor(destinationId) * (batchSizes.get(destinationId) ?? 1),
    })
    if (claimed.length === 0) return 0
    lastClaimFull = claimed.length >= limit
    lastStartedAt = performance.now()
    // Every claimed lead in a few queries, not a few per delivery.
    // From here on the claim is committed: a failed read must not leave its deliveries in flight with nobody on them.
    const snapshots = await settle('loading claimed leads', () =>
      store.loadLeadHistories(claimed.map((delivery) => ({ tenantId: delivery.tenantId, leadId: delivery.leadId }))),
    )
    const groups = new Map<string, Delivery[]>()
    for (const delivery of claimed) {
      groups.set(delivery.destinationId, [...(groups.get(delivery.destinationId) ?? []), delivery])
    }
    for (const [destinationId, group] of groups) {
      const destination = await settle('loading a destination', () => store.getDestinationById(destinationId))
      if (!destination) continue
      destinations.set(destinationId, destination)
      if (destination.heldUntil !== undefined) limits.hold(destinationId, destination.heldUntil)
      limits.configure(destinationId, limitSettingsOf(destination, deps.connectors.vendorLimitsOf(destination)))
      const batchSize = batchSizeOf(destination)
      batchSizes.set(destinationId, batchSize)
      // Erasures go one per call: vendors delete through calls of their own, never inside an upsert batch.
      const upserts = group.filter((delivery) => delivery.operation === 'deliver')
      for (const erasure of group.filter((delivery) => delivery.operation === 'erase'))
        launch(destinationId, [erasure], snapshots)
      for (let i = 0; i < upserts.length; i += batchSize)
        launch(destinationId, upserts.slice(i, i + batchSize), snapshots)
    }
    return claimed.length
  }

  async function runLoop(): Promise<void> {
    if (store.listenForWork) {
      try {
        // Other nodes' ingests wake this worker at once; polling remains for retries coming due.
        unsubscribe = await store.listenForWork(() => wakeUp?.())
      } catch (error) {
        log.warn({ err: error }, 'could not listen for work; polling only')
      }
    }
    while (running) {
      try {
        await probePausedDestinations()
        const started = await claimRound()
        // A claim that got less than it asked for took everything due: asking again at once would be one more write
        // transaction for nothing, taken between two of the ingest thread's commits.
        if (started > 0 && lastClaimFull) continue
      } catch (error) {
        log.error({ err: error }, 'delivery loop error; retrying')
      }
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), options.pollIntervalMs)
        wakeUp = () => {
          clearTimeout(timer)
          resolve(true)
        }
      })
      wakeUp = undefined
      // Slots free one at a time as attempts finish, and under load commits wake the worker one after the other;
      // gathering them for a moment lets one claim (one transaction, one turn at SQLite's lock) take several
      // instead of one each, leaving the write lock to ingest in between.
      const streaming = performance.now() - lastStartedAt < 100
      if (woken && (sending > 0 || streaming) && options.claimWindowMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.claimWindowMs))
      }
    }
  }

  return {
    start() {
      if (running) return
      running = true
      loop = runLoop()
    },
    async stop(graceMs = 0) {
      running = false
      wakeUp?.()
      if (graceMs > 0) {
        // An attempt finished and recorded now is not sent a second time after the restart.
        let timer: NodeJS.Timeout | undefined
        const drained = loop?.then(() => Promise.allSettled([...inFlight]))
        await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
        clearTimeout(timer)
      }
      stopController.abort()
      await loop
      await Promise.allSettled([...inFlight])
      await unsubscribe?.()
    },
    wake() {
      wakeUp?.()
    },
    async runUntilIdle() {
      let total = 0
      for (;;) {
        const started = await claimRound()
        total += started
        if (inFlight.size > 0) {
          await Promise.race(inFlight)
          continue
        }
        if (started === 0) return total
      }
    },
    windows() {
      return limits.windows()
    },
  }
}
