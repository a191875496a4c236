/**
 * Prometheus metrics (`GET /metrics`, docs/operations.md#metrics). Counters and histograms are bumped on the hot
 * paths by a label lookup and an increment; the queue and destination gauges are read from the store on each scrape.
 * Delivery runs on its own thread in `serve`: it reports attempts to the main thread in batches (`observeAttempts`).
 */

import { createRequire } from 'node:module'
import type { Registry } from 'prom-client'
import type { Clock } from '../core/ports.ts'
import type { Store } from '../store/types.ts'

export type LeadOutcome = 'accepted' | 'duplicate' | 'rejected'

export interface Metrics {
  readonly registry: Registry
  /** One lead at an ingest URL or `POST /v1/leads`, with the time from parsing to the durable receipt. */
  leadReceived(source: string | undefined, action: string | undefined, outcome: LeadOutcome, seconds: number): void
  /** One commit of the ingest path, as long as the request waited for it. */
  storeCommit(seconds: number): void
  /** One delivery attempt: the destination's kind, `delivered` or the failure kind, and its duration. */
  attempt(destinationKind: string, outcome: string, seconds: number): void
  /** Attempts reported by the delivery thread: flat triples of kind, outcome and seconds. */
  observeAttempts(batch: readonly (string | number)[]): void
}

export interface MetricsDeps {
  readonly store: Store
  readonly clock: Clock
}

/** Label values a sender controls are capped, so a stream of made-up lead sources cannot grow the registry. */
const maxLabelSets = 200

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const attemptBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** prom-client loads only when metrics are enabled (it costs ~12 MB in the thread that loads it). */
const loadPromClient = () => createRequire(import.meta.url)('prom-client') as typeof import('prom-client')

export function createMetrics(deps: MetricsDeps): Metrics {
  const { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } = loadPromClient()
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })
  const leads = new Counter({
    name: 'leadrelay_leads_received_total',
    help: 'Leads received, by lead source, action code and outcome (accepted, duplicate, rejected)',
    labelNames: ['source', 'action', 'outcome'] as const,
    registers: [registry],
  })
  const ingestSeconds = new Histogram({
    name: 'leadrelay_ingest_duration_seconds',
    help: 'Time from a parsed lead to its durable receipt',
    buckets: latencyBuckets,
    registers: [registry],
  })
  const commitSeconds = new Histogram({
    name: 'leadrelay_store_commit_duration_seconds',
    help: 'Time an ingest waited for its store commit (group commit included)',
    buckets: latencyBuckets,
    registers: [registry],
  })
  const deliveries = new Counter({
    name: 'leadrelay_deliveries_total',
    help: 'Delivery attempts, by destination kind and outcome (delivered, or the failure kind)',
    labelNames: ['destination_kind', 'outcome'] as const,
    registers: [registry],
  })
  const attemptSeconds = new Histogram({
    name: 'leadrelay_delivery_attempt_duration_seconds',
    help: 'Duration of one delivery attempt (one vendor call), by destination kind',
    labelNames: ['destination_kind'] as const,
    buckets: attemptBuckets,
    registers: [registry],
  })
  new Gauge({
    name: 'leadrelay_delivery_oldest_due_seconds',
    help: 'How long the queued delivery that has been due longest has waited (0 when none is due)',
    registers: [registry],
    async collect() {
      const { oldestDueAt } = await deps.store.deliveryQueueStatistics(deps.clock.now())
      this.set(oldestDueAt === undefined ? 0 : (deps.clock.now() - oldestDueAt) / 1000)
    },
  })
  new Gauge({
    name: 'leadrelay_delivery_queue_depth',
    help: 'Deliveries waiting (queued) or being sent (in_flight)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const statistics = await deps.store.deliveryQueueStatistics(deps.clock.now())
      this.set({ state: 'queued' }, statistics.queued)
      this.set({ state: 'in_flight' }, statistics.inFlight)
    },
  })
  new Gauge({
    name: 'leadrelay_destinations',
    help: 'Destinations by kind and health state (active, paused, disabled)',
    labelNames: ['destination_kind', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      for (const destination of await deps.store.listAllDestinations()) {
        if (destination.stateReason === 'deleted') continue
        this.inc({ destination_kind: destination.kind, state: destination.state })
      }
    },
  })

  const seenLeadLabels = new Set<string>()
  function leadLabels(source: string | undefined, action: string | undefined): [string, string] {
    const pair: [string, string] = [source ?? 'unknown', action ?? 'unknown']
    const key = `${pair[0]}\u0000${pair[1]}`
    if (seenLeadLabels.has(key)) return pair
    if (seenLeadLabels.size >= maxLabelSets) return ['other', 'other']
    seenLeadLabels.add(key)
    return pair
  }

  function attempt(destinationKind: string, outcome: string, seconds: number): void {
    deliveries.inc({ destination_kind: destinationKind, outcome })
    attemptSeconds.observe({ destination_kind: destinationKind }, seconds)
  }

  return {
    registry,
    leadReceived(source, action, outcome, seconds) {
      const [sourceLabel, actionLabel] = leadLabels(source, action)
      leads.inc({ source: sourceLabel, action: actionLabel, outcome })
      if (outcome !== 'rejected') ingestSeconds.observe(seconds)
    },
    storeCommit(seconds) {
      commitSeconds.observe(seconds)
    },
    attempt,
    observeAttempts(batch) {
      for (let i = 0; i + 2 < batch.length; i += 3) {
        attempt(String(batch[i]), String(batch[i + 1]), Number(batch[i + 2]))
      }
    },
  }
}
