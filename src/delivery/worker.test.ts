import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { Delivery } from '../core/delivery.ts'
import { DeliveryError } from '../core/errors.ts'
import { createIdGenerator } from '../core/ids.ts'
import type { Lead } from '../core/lead.ts'
import { createManualClock } from '../core/ports.ts'
import type { Connector, LeadSnapshot } from '../destinations/types.ts'
import { createLogger } from '../logger.ts'
import { createMetrics } from '../metrics/metrics.ts'
import type { AttemptCompletion, DestinationRecord, Store } from '../store/types.ts'
import type { ConnectorFactory } from './connectors.ts'
import { createDeliveryWorker, type WorkerStore } from './worker.ts'
import type { WorkerEventMap } from './worker-events.ts'
import { countAttempts, logWorkerEvents, notifyHealthChanges } from './worker-subscribers.ts'

const start = Date.UTC(2026, 5, 1)

function destination(overrides: Partial<DestinationRecord> = {}): DestinationRecord {
  return {
    id: 'dst_1',
    tenantId: 'ten_1',
    kind: 'webhook',
    name: 'CRM intake',
    config: {},
    state: 'active',
    stateChangedAt: start,
    maxConcurrency: 4,
    createdAt: start,
    updatedAt: start,
    ...overrides,
  }
}

function lead(version: number): Lead {
  return {
    id: 'led_1',
    tenantId: 'ten_1',
    offerKey: 'contoso.crm',
    stage: 'trial',
    doNotContact: false,
    isTest: false,
    customer: { email: 'someone@contoso.com' },
    eventCount: 1,
    firstEventAt: start,
    lastEventAt: start,
    createdAt: start,
    updatedAt: start,
    version,
  }
}

function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    id: 'dlv_1',
    tenantId: 'ten_1',
    leadId: 'led_1',
    destinationId: 'dst_1',
    leadVersion: 1,
    state: 'queued',
    attempts: 0,
    runAt: start,
    retryFrom: start,
    createdAt: start,
    updatedAt: start,
    attemptCount: 0,
    replayPending: false,
    operation: 'deliver',
    ...overrides,
  }
}

/** An in-memory queue with the store calls the worker makes; records what the worker asked of it. */
function fakeStore(options: { deliveries: Delivery[]; leadVersion?: number; destination?: DestinationRecord }) {
  const queue = new Map(options.deliveries.map((item) => [item.id, item]))
  let current = options.destination ?? destination()
  const completions: AttemptCompletion[] = []
  const superseded: string[] = []
  const healthWrites: string[] = []
  let leaseStillOurs = true
  const store: WorkerStore = {
    async claimDeliveries(request) {
      // Like the real queue: nothing is claimed for a destination that is not active.
      if (current.state !== 'active') return []
      const due = [...queue.values()].filter((item) => item.state === 'queued' && item.runAt <= request.now)
      const claimed = due.slice(0, request.limit).map((item) => ({ ...item, state: 'in_flight' as const }))
      for (const item of claimed) queue.set(item.id, item)
      return claimed
    },
    async completeAttempts(items) {
      completions.push(...items)
      for (const item of items) {
        if (item.health) current = { ...current, state: item.health.state }
        const row = queue.get(item.deliveryId)!
        queue.set(item.deliveryId, {
          ...row,
          state: item.transition.state,
          attempts: item.transition.attempts,
          runAt: item.transition.runAt ?? row.runAt,
        })
      }
      return items.map(() => leaseStillOurs)
    },
    async loadLeadHistories(leads) {
      return new Map<string, LeadSnapshot>(
        leads.map(({ leadId }) => [leadId, { lead: lead(options.leadVersion ?? 1), events: [] }]),
      )
    },
    async getDestinationById() {
      return current
    },
    async releaseDeliveries() {},
    async markSuperseded(deliveryId) {
      superseded.push(deliveryId)
      queue.set(deliveryId, { ...queue.get(deliveryId)!, state: 'superseded' })
    },
    async extendLeases() {
      return 0
    },
    async releaseExpiredLeases() {
      return 0
    },
    async listAllDestinations() {
      return [current]
    },
    async setDestinationHealth(id, health) {
      healthWrites.push(`${id}:${health.state}`)
      current = { ...current, state: health.state }
    },
  }
  return {
    store,
    completions,
    superseded,
    healthWrites,
    loseLeases() {
      leaseStillOurs = false
    },
  }
}

function connectors(connector: Partial<Connector>): ConnectorFactory & { calls: string[] } {
  const calls: string[] = []
  const complete: Connector = {
    async verify() {},
    async deliver(_snapshot, attempt) {
      return { status: 200, externalId: `crm-${attempt.deliveryId}` }
    },
    ...connector,
  }
  return {
    calls,
    connectorFor: () => ({
      ...complete,
      async deliver(snapshot, attempt) {
        calls.push(attempt.deliveryId)
        return complete.deliver(snapshot, attempt)
      },
    }),
    vendorLimitsOf: () => undefined,
  }
}

function capturedLog() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { log: createLogger('debug', stream), lines }
}

function setUp(fake: ReturnType<typeof fakeStore>, factory: ConnectorFactory) {
  const clock = createManualClock(start)
  const { log, lines } = capturedLog()
  const worker = createDeliveryWorker({
    store: fake.store,
    connectors: factory,
    clock,
    ids: createIdGenerator(clock),
    log,
    workerId: 'worker-test',
    random: () => 0.5,
    options: { pollIntervalMs: 5, probeIntervalMs: 0 },
  })
  const seen: (keyof WorkerEventMap)[] = []
  for (const name of ['claimed', 'attempted', 'recorded', 'lease-lost', 'superseded', 'held'] as const) {
    worker.events.on(name, () => seen.push(name))
  }
  return { worker, clock, log, lines, seen }
}

describe('the delivery worker on its own (fake store, connector and clock)', () => {
  it('claims, calls and records a delivery, telling each step as an event in that order', async () => {
    const fake = fakeStore({ deliveries: [delivery()] })
    const factory = connectors({})
    const { worker, seen } = setUp(fake, factory)
    let recorded: WorkerEventMap['recorded'] | undefined
    worker.events.on('recorded', (event) => {
      recorded = event
    })

    expect(await worker.runUntilIdle()).toBe(1)

    expect(seen).toEqual(['claimed', 'attempted', 'recorded'])
    expect(factory.calls).toEqual(['dlv_1'])
    expect(fake.completions).toHaveLength(1)
    const [completion] = fake.completions
    expect(completion?.attempt).toMatchObject({ outcome: 'delivered', status: 200, kind: 'scheduled', leadVersion: 1 })
    expect(completion?.transition.state).toBe('delivered')
    expect(completion?.externalId).toBe('crm-dlv_1')
    expect(recorded).toMatchObject({ destinationId: 'dst_1', state: 'delivered', stillOurs: true })
  })

  it('counts a 503 with Retry-After as a failed attempt, retried later, and holds the destination as asked', async () => {
    const fake = fakeStore({ deliveries: [delivery()] })
    const factory = connectors({
      async deliver() {
        throw new DeliveryError('retryable', 'HTTP 503', { status: 503, retryAfterMs: 120_000 })
      },
    })
    const { worker } = setUp(fake, factory)

    await worker.runUntilIdle()

    const [completion] = fake.completions
    expect(completion?.attempt).toMatchObject({ outcome: 'retryable', status: 503, error: 'HTTP 503' })
    expect(completion?.transition).toMatchObject({ state: 'queued', attempts: 1 })
    expect(completion?.holdDestinationUntil).toBe(start + 120_000)
    expect(completion?.health).toMatchObject({ state: 'active', failingSince: start })
  })

  it('ends a delivery whose lead changed after the claim without calling the destination', async () => {
    const fake = fakeStore({ deliveries: [delivery({ leadVersion: 1 })], leadVersion: 2 })
    const factory = connectors({})
    const { worker, seen } = setUp(fake, factory)

    await worker.runUntilIdle()

    expect(fake.superseded).toEqual(['dlv_1'])
    expect(factory.calls).toEqual([])
    expect(fake.completions).toEqual([])
    expect(seen).toEqual(['claimed', 'superseded'])
  })

  it('tells a lease lost mid-attempt, and the log subscriber writes it as a warning', async () => {
    const fake = fakeStore({ deliveries: [delivery()] })
    fake.loseLeases()
    const { worker, seen, log, lines } = setUp(fake, connectors({}))
    logWorkerEvents(worker.events, log)

    await worker.runUntilIdle()

    expect(seen).toEqual(['claimed', 'attempted', 'lease-lost', 'recorded'])
    expect(lines.find((line) => line.msg === 'lease lost before the attempt was recorded')).toMatchObject({
      level: 40,
      deliveryId: 'dlv_1',
    })
    expect(lines.find((line) => line.msg === 'attempt')).toMatchObject({ outcome: 'delivered', state: 'delivered' })
  })

  it('writes no line and builds no object per attempt when the log level is above debug', async () => {
    const fake = fakeStore({ deliveries: [delivery()] })
    const { worker } = setUp(fake, connectors({}))
    const log = createLogger('info', new Writable({ write: (_chunk, _encoding, done) => done() }))
    let debugCalls = 0
    const debug = log.debug.bind(log)
    log.debug = ((...args: Parameters<typeof debug>) => {
      debugCalls++
      debug(...args)
    }) as typeof log.debug
    logWorkerEvents(worker.events, log)

    await worker.runUntilIdle()

    expect(fake.completions).toHaveLength(1)
    expect(debugCalls).toBe(0)
  })

  it('pauses a destination whose credentials fail and resumes it when a probe verifies it again', async () => {
    const fake = fakeStore({ deliveries: [delivery()] })
    let secretRenewed = false
    const factory = connectors({
      async deliver() {
        if (!secretRenewed) throw new DeliveryError('auth', 'The client secret has expired')
        return { status: 200 }
      },
    })
    const { worker, log } = setUp(fake, factory)
    const notices: string[] = []
    notifyHealthChanges(
      worker.events,
      async (target, notice, reason) => {
        notices.push(`${target.id} ${notice} ${reason ?? ''}`.trim())
      },
      log,
    )

    await worker.runUntilIdle()
    expect(notices).toEqual(['dst_1 destination.paused The client secret has expired'])
    expect(fake.completions.map((completion) => completion.health?.state)).toEqual(['paused'])

    // The store says paused (the completion wrote it); once the secret is renewed, a probe resumes it.
    secretRenewed = true
    const resumed = new Promise<WorkerEventMap['resumed']>((resolve) => worker.events.on('resumed', resolve))
    worker.start()
    const event = await resumed
    await new Promise((resolve) => worker.events.on('recorded', resolve))
    await worker.stop()
    expect(event.destination.id).toBe('dst_1')
    expect(fake.healthWrites).toEqual(['dst_1:active'])
    expect(notices).toEqual(['dst_1 destination.paused The client secret has expired', 'dst_1 destination.recovered'])
    expect(fake.completions.map((completion) => completion.transition.state)).toEqual(['queued', 'delivered'])
  })

  it('feeds the Prometheus delivery counter and duration histogram through its attempted events', async () => {
    const fake = fakeStore({ deliveries: [delivery({ id: 'dlv_1' }), delivery({ id: 'dlv_2', leadId: 'led_2' })] })
    let calls = 0
    const factory = connectors({
      async deliver() {
        calls++
        if (calls === 2) throw new DeliveryError('rejected', 'Email is not valid', { status: 400 })
        return { status: 201 }
      },
    })
    const { worker, clock } = setUp(fake, factory)
    // The metrics' queue gauges read the store only when scraped; this test reads the counters alone.
    const metrics = createMetrics({ store: {} as Store, clock })
    countAttempts(worker.events, metrics.attempt)

    await worker.runUntilIdle()

    const counter = await metrics.registry.getSingleMetricAsString('leadrelay_deliveries_total')
    expect(counter).toContain('leadrelay_deliveries_total{destination_kind="webhook",outcome="delivered"} 1')
    expect(counter).toContain('leadrelay_deliveries_total{destination_kind="webhook",outcome="rejected"} 1')
    const histogram = await metrics.registry.getSingleMetricAsString('leadrelay_delivery_attempt_duration_seconds')
    expect(histogram).toContain('leadrelay_delivery_attempt_duration_seconds_count{destination_kind="webhook"} 2')
  })

  it('keeps delivering when a subscriber throws', async () => {
    const fake = fakeStore({ deliveries: [delivery()] })
    const { worker } = setUp(fake, connectors({}))
    worker.events.on('attempted', () => {
      throw new Error('a broken subscriber')
    })

    await worker.runUntilIdle()

    expect(fake.completions.map((completion) => completion.transition.state)).toEqual(['delivered'])
  })
})
