/** The delivery side of Leadrelay, as `serve`, its delivery thread and `worker` build it. */

import { createDigestScheduler } from '../alerts/alert-digest.ts'
import { type AlertDispatcher, createAlertDispatcher } from '../alerts/alert-dispatcher.ts'
import type { Config } from '../config.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock, SecretSealer } from '../core/ports.ts'
import type { HttpClient } from '../destinations/http-client.ts'
import { createNodeHttpClient } from '../destinations/http-client-node.ts'
import { type DestinationRegistry, destinationRegistry } from '../destinations/registry.ts'
import type { Logger } from '../logger.ts'
import { createMailer } from '../notifications/mailer.ts'
import { createNotifier } from '../notifications/notifier.ts'
import { loadKeyring } from '../secrets/keyring.ts'
import { createSecretBox } from '../secrets/secret-box.ts'
import type { Store } from '../store/types.ts'
import type { Tracing } from '../tracing/tracing.ts'
import { type ConnectorFactory, createConnectorFactory } from './connectors.ts'
import { createExchangeRecorder } from './exchange-recorder.ts'
import { createRetentionTask, type RetentionTask } from './retention-task.ts'
import { createDeliveryWorker, type DeliveryWorker } from './worker.ts'
import { countAttempts, logWorkerEvents, notifyHealthChanges } from './worker-subscribers.ts'

export interface DeliveryRuntimeDeps {
  readonly config: Config
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly log: Logger
  /** Replaces the SSRF-guarded client (tests). */
  readonly http?: HttpClient
  readonly registry?: DestinationRegistry
  readonly random?: () => number
  /** Told of each delivery attempt (metrics). */
  readonly onAttempt?: (destinationKind: string, outcome: string, seconds: number) => void
  /** Traces each attempt, linked to the ingest that queued its delivery (traces on). */
  readonly tracing?: Pick<Tracing, 'traceAttempts'>
}

export interface DeliveryRuntime {
  readonly sealer: SecretSealer
  readonly connectors: ConnectorFactory
  readonly worker: DeliveryWorker
  readonly registry: DestinationRegistry
  /** Sends queued alerts (docs/decisions/0007-alerts.md); started and stopped with the worker. */
  readonly alerts: AlertDispatcher
  /** Deletes and reduces what each tenant's retention settings say to (docs/privacy.md); started with the worker. */
  readonly retention: RetentionTask
}

/** The parts `serve` and `worker` share: secrets, connectors and a worker with notifications wired in. */
export function createDeliveryRuntime(deps: DeliveryRuntimeDeps): DeliveryRuntime {
  const { config, store, clock, log } = deps
  const sealer = createSecretBox(loadKeyring({ dataDir: config.dataDir, secretKeyEnv: config.secretKey }))
  const http = deps.http ?? createNodeHttpClient({ allowPrivateNetworks: config.allowPrivateNetworks })
  const registry = deps.registry ?? destinationRegistry
  // What connectors send and receive while delivering is kept in the attempt log (secrets removed, bodies capped).
  const exchanges = createExchangeRecorder()
  const connectors = createConnectorFactory({
    registry,
    sealer,
    connectorDeps: { http: exchanges.wrap(http), clock, log },
  })
  const notifier = createNotifier({ http, ...(config.smtp && { smtp: config.smtp }), log, clock })
  const worker = createDeliveryWorker({
    store,
    connectors,
    clock,
    ids: deps.ids,
    log,
    workerId: `${process.pid}-${deps.ids.next('key').slice(-8)}`,
    ...(deps.random && { random: deps.random }),
    exchanges,
    options: {
      ...config.worker,
      retryPolicy: config.retryPolicy,
    },
  })
  logWorkerEvents(worker.events, log)
  if (deps.onAttempt) countAttempts(worker.events, deps.onAttempt)
  deps.tracing?.traceAttempts(worker.events)
  notifyHealthChanges(
    worker.events,
    async (destination, notice, reason) => {
      const [tenant, contacts] = await Promise.all([
        store.getTenant(destination.tenantId),
        store.getTenantContacts(destination.tenantId),
      ])
      await notifier.notify(contacts, {
        kind: notice,
        tenantId: destination.tenantId,
        tenantName: tenant?.name ?? destination.tenantId,
        destinationId: destination.id,
        destinationName: destination.name,
        destinationKind: destination.kind,
        ...(reason !== undefined && { reason }),
        at: clock.now(),
      })
    },
    log,
  )
  const mailer = config.smtp && createMailer(config.smtp)
  const alerts = createAlertDispatcher({
    store,
    clock,
    ids: deps.ids,
    log,
    sealer,
    http,
    ...(mailer && { mailer }),
    publicUrl: config.publicUrl,
    retryPolicy: config.retryPolicy,
    digests: createDigestScheduler({ store, clock, log, publicUrl: config.publicUrl, ...(mailer && { mailer }) }),
    // The same lease as deliveries: an alert a killed process held is sent again once it runs out.
    leaseMs: config.worker.leaseMs,
    ...(deps.random && { random: deps.random }),
  })
  const retention = createRetentionTask({ store, clock, log: log.child({ task: 'retention' }) })
  return { sealer, connectors, worker, registry, alerts, retention }
}
