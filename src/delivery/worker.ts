/**
 * The delivery worker's loop: wakes (a commit, another node's NOTIFY, a slot freed) or polls, keeps its leases,
 * probes paused destinations, claims due deliveries and launches one call per destination batch under that
 * destination's limits. What one call does (prepare → call → record) is in delivery-steps.ts; everything that
 * happens is told as a typed event (worker-events.ts) that logs, metrics and notices subscribe to.
 */

import { setMaxListeners } from 'node:events'
import { type ConcurrencyPolicy, defaultConcurrencyPolicy } from '../core/concurrency-policy.ts'
import type { Delivery } from '../core/delivery.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import { defaultRetryPolicy, type RetryPolicy } from '../core/retry-policy.ts'
import type { LeadSnapshot, VendorLimits } from '../destinations/types.ts'
import type { Logger } from '../logger.ts'
import { createBatcher } from '../store/batcher.ts'
import type { AttemptCompletion, DestinationRecord, Store } from '../store/types.ts'
import type { ConnectorFactory } from './connectors.ts'
import { type CallResult, createDeliverySteps } from './delivery-steps.ts'
import {
  type BreakerPolicy,
  createDestinationLimits,
  type LimitSettings,
  type WindowView,
} from './destination-limits.ts'
import type { ExchangeRecorder } from './exchange-recorder.ts'
import { createEventEmitter } from './typed-event-emitter.ts'
import { untilSettled } from './until-settled.ts'
import type { WorkerEventMap, WorkerEvents } from './worker-events.ts'

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

/** The store calls the worker makes. */
export type WorkerStore = Pick<
  Store,
  | 'claimDeliveries'
  | 'completeAttempts'
  | 'loadLeadHistories'
  | 'getDestinationById'
  | 'releaseDeliveries'
  | 'markSuperseded'
  | 'extendLeases'
  | 'releaseExpiredLeases'
  | 'listAllDestinations'
  | 'setDestinationHealth'
  | 'listenForWork'
>

export interface WorkerDeps {
  readonly store: WorkerStore
  readonly connectors: ConnectorFactory
  readonly clock: Clock
  readonly ids: IdGenerator
  /** For what connectors report while they run (run-attempt.ts); the worker's own lines come from its events. */
  readonly log: Logger
  readonly workerId: string
  /** In [0, 1); drives retry jitter. */
  readonly random?: () => number
  /** Captures each call's request and response for the attempt log (the connectors' HTTP client wrapped by it). */
  readonly exchanges?: ExchangeRecorder
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
  /** What the worker does, as it does it; listeners run on the delivery path, so they must be cheap. */
  readonly events: WorkerEvents
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

export function createDeliveryWorker(deps: WorkerDeps): DeliveryWorker {
  const options: WorkerOptions = { ...defaultWorkerOptions, ...deps.options }
  const { store, clock, log } = deps
  const events = createEventEmitter<WorkerEventMap>()
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
  const steps = createDeliverySteps({
    store,
    connectors: deps.connectors,
    clock,
    ids: deps.ids,
    log,
    workerId: deps.workerId,
    random: deps.random ?? Math.random,
    retryPolicy: options.retryPolicy,
    attemptTimeoutMs: options.attemptTimeoutMs,
    limits,
    destinations,
    completions,
    events,
    ...(deps.exchanges && { exchanges: deps.exchanges }),
    stopSignal: stopController.signal,
    settle,
  })

  function batchSizeOf(destination: DestinationRecord): number {
    try {
      const connector = deps.connectors.connectorFor(destination)
      return connector.deliverBatch ? Math.max(1, connector.maxBatchSize ?? 1) : 1
    } catch {
      return 1
    }
  }

  function launch(
    destinationId: string,
    deliveries: readonly Delivery[],
    snapshots: ReadonlyMap<string, LeadSnapshot>,
  ): void {
    const inFlightAtStart = limits.acquire(destinationId)
    sending++
    let released = false
    const releaseSlot = (result: CallResult) => {
      if (released) return
      released = true
      sending--
      limits.release(destinationId, result)
      wakeUp?.()
    }
    const task = steps
      .send(destinationId, deliveries, snapshots, releaseSlot, inFlightAtStart)
      .catch((error: unknown) => {
        // Recording failed while the worker stopped: the lease expires and the delivery is retried.
        events.emit('record-failed', { destinationId, error })
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
      } catch {
        // Still failing: stays paused until the next probe or a fix.
        continue
      }
      events.emit('resumed', { destination })
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
    events.emit('claimed', { deliveries: claimed })
    lastClaimFull = claimed.length >= limit
    lastStartedAt = performance.now()
    // Every claimed lead in a few queries, not a few per delivery.
    // From here on the claim is committed: a failed read must not leave its deliveries in flight with nobody on them.
    const snapshots = await settle('loading claimed leads', () =>
      store.loadLeadHistories(claimed.map((delivery) => ({ tenantId: delivery.tenantId, leadId: delivery.leadId }))),
    )
    const groups = new Map<string, Delivery[]>()
    for (const delivery of claimed) {
      const group = groups.get(delivery.destinationId)
      if (group) group.push(delivery)
      else groups.set(delivery.destinationId, [delivery])
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

  /** Waits for a wake-up or the poll interval; answers whether it was woken. */
  function sleep(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), options.pollIntervalMs)
      wakeUp = () => {
        clearTimeout(timer)
        resolve(true)
      }
    }).finally(() => {
      wakeUp = undefined
    })
  }

  async function runLoop(): Promise<void> {
    if (store.listenForWork) {
      try {
        // Other nodes' ingests wake this worker at once; polling remains for retries coming due.
        unsubscribe = await store.listenForWork(() => wakeUp?.())
      } catch (error) {
        events.emit('listen-failed', { error })
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
        events.emit('loop-failed', { error })
      }
      const woken = await sleep()
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
    events,
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
