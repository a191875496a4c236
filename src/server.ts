/** Wires the HTTP service from a store and config. Used by `leadrelay serve` and by tests. */

import type { FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import type { IdGenerator } from './core/ids.ts'
import type { Clock } from './core/ports.ts'
import { createApp } from './http/app.ts'
import { createAuthenticator } from './http/auth.ts'
import type { Logger } from './logger.ts'
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
}

export interface Server {
  readonly app: FastifyInstance
  readonly ingest: IngestService
  /** Stops taking requests, commits what was accepted. Does not close the store. */
  close(): Promise<void>
}

export function createServer(deps: ServerDeps): Server {
  const ingest = createIngestService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    dedupeWindowMs: deps.config.dedupeWindowMs,
    actionStages: deps.config.actionStages,
  })
  const app = createApp(
    {
      store: deps.store,
      clock: deps.clock,
      ids: deps.ids,
      ingest,
      auth: createAuthenticator(deps.store, deps.clock),
      publicUrl: deps.config.publicUrl,
    },
    { bodyLimitBytes: deps.config.bodyLimitBytes, version, logger: deps.log ?? false },
  )
  return {
    app,
    ingest,
    async close() {
      await app.close()
      await ingest.drain()
    },
  }
}
