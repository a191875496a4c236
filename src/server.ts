/** Wires Leadrelay from a store and config: HTTP app, ingest, destinations, the delivery worker. Used by the CLI and tests. */

import type { FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import type { IdGenerator } from './core/ids.ts'
import type { Clock, SecretSealer } from './core/ports.ts'
import { type ConnectorFactory, createConnectorFactory } from './delivery/connectors.ts'
import { createDeliveryWorker, type DeliveryWorker } from './delivery/worker.ts'
import type { HttpClient } from './destinations/http-client.ts'
import { createNodeHttpClient } from './destinations/http-client-node.ts'
import { type DestinationRegistry, destinationRegistry } from './destinations/registry.ts'
import { createApp } from './http/app.ts'
import { createAuthenticator } from './http/auth.ts'
import { createLogger, type Logger } from './logger.ts'
import { createNotifier } from './notifications/notifier.ts'
import { loadKeyring } from './secrets/keyring.ts'
import { createSecretBox } from './secrets/secret-box.ts'
import { createDestinationService, type DestinationService } from './services/destinations.ts'
import { createIngestService, type IngestService } from './services/ingest.ts'
import type { Store } from './store/types.ts'
import { version } from './version.ts'

export interface ServerDeps {
  readonly config: Config
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  /** Omit for no logs. */
  readonly log?: Logger
  /** Run the delivery worker in this process (default true). */
  readonly runWorker?: boolean
  /** Replaces the SSRF-guarded client (tests). */
  readonly http?: HttpClient
  readonly registry?: DestinationRegistry
  readonly random?: () => number
}

export interface Server {
  readonly app: FastifyInstance
  readonly ingest: IngestService
  readonly destinations: DestinationService
  readonly worker: DeliveryWorker
  readonly sealer: SecretSealer
  /** Stops taking requests, commits what was accepted, stops the worker. Does not close the store. */
  close(): Promise<void>
}

export interface DeliveryRuntime {
  readonly sealer: SecretSealer
  readonly connectors: ConnectorFactory
  readonly worker: DeliveryWorker
  readonly registry: DestinationRegistry
}

/** The parts `serve` and `worker` share: secrets, connectors and a worker with notifications wired in. */
export function createDeliveryRuntime(deps: ServerDeps & { log: Logger }): DeliveryRuntime {
  const { config, store, clock, log } = deps
  const sealer = createSecretBox(loadKeyring({ dataDir: config.dataDir, secretKeyEnv: config.secretKey }))
  const http = deps.http ?? createNodeHttpClient({ allowPrivateNetworks: config.allowPrivateNetworks })
  const registry = deps.registry ?? destinationRegistry
  const connectors = createConnectorFactory({ registry, sealer, connectorDeps: { http, clock, log } })
  const notifier = createNotifier({ http, ...(config.smtp && { smtp: config.smtp }), log, clock })
  const worker = createDeliveryWorker({
    store,
    connectors,
    clock,
    ids: deps.ids,
    log,
    workerId: `${process.pid}-${deps.ids.next('key').slice(-8)}`,
    ...(deps.random && { random: deps.random }),
    options: {
      ...config.worker,
      retryPolicy: config.retryPolicy,
    },
    async onHealthChange(destination, notice, reason) {
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
  })
  return { sealer, connectors, worker, registry }
}

export function createServer(deps: ServerDeps): Server {
  const log = deps.log ?? createLogger('silent')
  const runtime = createDeliveryRuntime({ ...deps, log })
  const runWorker = deps.runWorker ?? true
  const ingest = createIngestService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    dedupeWindowMs: deps.config.dedupeWindowMs,
    actionStages: deps.config.actionStages,
    onCommitted: () => runtime.worker.wake(),
  })
  const destinations = createDestinationService({
    store: deps.store,
    registry: runtime.registry,
    sealer: runtime.sealer,
    connectors: runtime.connectors,
    clock: deps.clock,
    ids: deps.ids,
    checkTimeoutMs: deps.config.worker.attemptTimeoutMs,
    onReplay: () => runtime.worker.wake(),
  })
  const app = createApp(
    {
      store: deps.store,
      clock: deps.clock,
      ids: deps.ids,
      ingest,
      destinations,
      auth: createAuthenticator(deps.store, deps.clock),
      publicUrl: deps.config.publicUrl,
    },
    { bodyLimitBytes: deps.config.bodyLimitBytes, version, logger: deps.log ?? false },
  )
  if (runWorker) runtime.worker.start()
  return {
    app,
    ingest,
    destinations,
    worker: runtime.worker,
    sealer: runtime.sealer,
    async close() {
      await app.close()
      await ingest.drain()
      await runtime.worker.stop()
    },
  }
}
