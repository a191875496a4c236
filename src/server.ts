/** Wires Leadrelay from a store and config: HTTP app, ingest, destinations, the delivery worker. Used by the CLI and tests. */

import type { FastifyInstance } from 'fastify'
import type { AlertDispatcher } from './alerts/alert-dispatcher.ts'
import type { SecretSealer } from './core/ports.ts'
import { createDeliveryRuntime, type DeliveryRuntimeDeps } from './delivery/delivery-runtime.ts'
import { startDeliveryThread } from './delivery/delivery-thread.ts'
import type { DeliveryWorker } from './delivery/worker.ts'
import { createNodeHttpClient } from './destinations/http-client-node.ts'
import { createApp } from './http/app.ts'
import { createAuthenticator } from './http/auth.ts'
import { registerMetricsRoute } from './http/routes/metrics.ts'
import { createLogger, type Logger } from './logger.ts'
import { createMetrics } from './metrics/metrics.ts'
import { createInvitationMailer } from './notifications/invitation-mailer.ts'
import { createDestinationService, type DestinationService } from './services/destinations.ts'
import { createIngestService, type IngestService } from './services/ingest.ts'
import { createSaasWebhookService } from './services/saas-webhook.ts'
import { createSubscriptionService, type SubscriptionService } from './services/subscriptions.ts'
import { createFulfillmentClient } from './subscriptions/fulfillment-client.ts'
import { createSaasRelay, type SaasRelay } from './subscriptions/saas-relay.ts'
import { createSubscriptionPoller } from './subscriptions/subscription-poller.ts'
import { createWebhookTokenVerifier } from './subscriptions/webhook-token.ts'
import type { Tracing } from './tracing/tracing.ts'
import { version } from './version.ts'

/**
 * Where the delivery worker runs: on this event loop (tests drive it there with their clock), on a thread of its own
 * with its own store connection (`serve`), or nowhere (`serve --no-worker`, with `leadrelay worker` processes).
 */
export type WorkerPlacement = 'in-process' | 'thread' | 'none'

export interface ServerDeps extends Omit<DeliveryRuntimeDeps, 'log'> {
  /** Omit for no logs. */
  readonly log?: Logger
  /** Default `in-process`. */
  readonly workerPlacement?: WorkerPlacement
  /** Relay stored SaaS webhook calls on timers; default: unless the placement is `in-process`. Tests drive it instead. */
  readonly saasRelayOnTimers?: boolean
  /**
   * Spans of ingests (and of attempts made in this process), when traces are on; the caller loads it (loadTracing)
   * and shuts it down after `close`. The delivery thread loads its own from the config.
   */
  readonly tracing?: Tracing
}

export interface Server {
  readonly app: FastifyInstance
  readonly ingest: IngestService
  readonly destinations: DestinationService
  /** The in-process worker: running only with placement `in-process`; tests drive it with their clock. */
  readonly worker: DeliveryWorker
  readonly sealer: SecretSealer
  /** The in-process alert dispatcher: running with placement `in-process`; tests drive it with their clock. */
  readonly alerts: AlertDispatcher
  /** Marketplace subscriptions; polled on the schedule only in `serve` (placement `thread`), on demand everywhere. */
  readonly subscriptions: SubscriptionService
  /**
   * Relays stored SaaS webhook calls to publishers' fulfillment services: on timers in `serve` (placements `thread`
   * and `none`); tests (placement `in-process`) call `runOnce` with their clock.
   */
  readonly saasRelay: SaasRelay
  /** Stops taking requests, commits what was accepted, stops the worker. Does not close the store. */
  close(): Promise<void>
}

export function createServer(deps: ServerDeps): Server {
  const log = deps.log ?? createLogger('silent')
  // Before the thread starts: on first use this creates the secret-key file, which the thread then reads.
  const metrics = deps.config.metrics.enabled ? createMetrics({ store: deps.store, clock: deps.clock }) : undefined
  const runtime = createDeliveryRuntime({ ...deps, log, ...(metrics && { onAttempt: metrics.attempt }) })
  const placement = deps.workerPlacement ?? 'in-process'
  const thread =
    placement === 'thread'
      ? startDeliveryThread({ config: deps.config, log, ...(metrics && { onAttempts: metrics.observeAttempts }) })
      : undefined
  const wakeWorker = thread ? () => thread.wake() : () => runtime.worker.wake()
  const ingest = createIngestService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    dedupeWindowMs: deps.config.dedupeWindowMs,
    actionStages: deps.config.actionStages,
    onCommitted: wakeWorker,
    ...(metrics && { metrics }),
    ...(deps.tracing && { tracing: deps.tracing }),
  })
  const destinations = createDestinationService({
    store: deps.store,
    registry: runtime.registry,
    sealer: runtime.sealer,
    connectors: runtime.connectors,
    clock: deps.clock,
    ids: deps.ids,
    checkTimeoutMs: deps.config.worker.attemptTimeoutMs,
    onReplay: wakeWorker,
  })
  const http = deps.http ?? createNodeHttpClient({ allowPrivateNetworks: deps.config.allowPrivateNetworks })
  const subscriptions = createSubscriptionService({
    store: deps.store,
    ingest,
    sealer: runtime.sealer,
    clock: deps.clock,
    client: createFulfillmentClient({
      http,
      clock: deps.clock,
      loginUrl: deps.config.subscriptions.loginUrl,
      apiUrl: deps.config.subscriptions.apiUrl,
    }),
    log,
  })
  // Beside the ingest service it records through; tests (other placements) poll on demand with their clock.
  const subscriptionPoller = createSubscriptionPoller({
    service: subscriptions,
    intervalMs: placement === 'thread' ? deps.config.subscriptions.pollIntervalMs : 0,
    log,
  })
  // The delivery worker's lease and attempt timeout: a relay attempt is one more outbound call of the same kind.
  const saasRelay = createSaasRelay({
    store: deps.store,
    http,
    clock: deps.clock,
    log,
    leaseMs: deps.config.worker.leaseMs,
    timeoutMs: deps.config.worker.attemptTimeoutMs,
  })
  const saasWebhook = createSaasWebhookService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    verifier: createWebhookTokenVerifier({
      jwksUrl: deps.config.subscriptions.webhookJwksUrl,
      issuers: deps.config.subscriptions.webhookIssuers,
      clock: deps.clock,
    }),
    subscriptions,
    onStored: () => saasRelay.wake(),
    log,
  })
  const app = createApp(
    {
      store: deps.store,
      clock: deps.clock,
      ids: deps.ids,
      ingest,
      destinations,
      auth: createAuthenticator(deps.store, deps.clock, {
        publicUrl: deps.config.publicUrl,
        idleMs: deps.config.signIn.sessionIdleMs,
        maxMs: deps.config.signIn.sessionMaxMs,
      }),
      publicUrl: deps.config.publicUrl,
      signIn: deps.config.signIn,
      sealer: runtime.sealer,
      ...(deps.config.smtp && { sendInvitation: createInvitationMailer(deps.config.smtp, log) }),
      alertDispatcher: runtime.alerts,
      subscriptions,
      saasWebhook,
      deliveryWindows: thread ? () => thread.windows() : () => runtime.worker.windows(),
    },
    {
      bodyLimitBytes: deps.config.bodyLimitBytes,
      version,
      logger: deps.log ?? false,
      trustProxy: deps.config.trustProxy,
    },
  )
  if (metrics) {
    registerMetricsRoute(app, {
      registry: metrics.registry,
      ...(deps.config.metrics.token !== undefined && { token: deps.config.metrics.token }),
    })
  }
  let closing = false
  // Answers sent while closing end their connection: an idle keep-alive connection would hold the close open.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
  if (deps.saasRelayOnTimers ?? placement !== 'in-process') saasRelay.start()
  if (placement === 'in-process') {
    runtime.worker.start()
    runtime.alerts.start()
    runtime.retention.start()
  }
  return {
    app,
    ingest,
    destinations,
    worker: runtime.worker,
    sealer: runtime.sealer,
    alerts: runtime.alerts,
    subscriptions,
    saasRelay,
    async close() {
      closing = true
      await subscriptionPoller.stop()
      await app.close()
      await saasRelay.stop()
      await ingest.drain()
      await runtime.worker.stop()
      await runtime.alerts.stop()
      await runtime.retention.stop()
      await thread?.stop()
    },
  }
}
