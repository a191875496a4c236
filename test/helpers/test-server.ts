/** An in-process Leadrelay on a real SQLite file, driven with `app.inject` (no port). */

import { loadConfig } from '../../src/config.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createServer, type Server } from '../../src/server.ts'
import { type CreatedTenant, createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { createTempDir } from './temp-dir.ts'

export interface TestServer {
  readonly server: Server
  readonly store: Store
  readonly clock: ReturnType<typeof createManualClock>
  readonly tenant: CreatedTenant
  readonly dataDir: string
  addTenant(name: string): Promise<CreatedTenant>
  close(): Promise<void>
}

export async function startTestServer(
  env: NodeJS.ProcessEnv = {},
  options: { runWorker?: boolean } = {},
): Promise<TestServer> {
  const dir = createTempDir()
  const config = loadConfig({ data: dir.path, port: '8080' }, { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true', ...env })
  const store = createSqliteStore({ filename: config.sqliteFile })
  await store.migrate()
  const clock = createManualClock(Date.UTC(2026, 10, 25, 12, 0, 0))
  const ids = createIdGenerator(clock)
  // Jitter at its midpoint, so retry times are exact; the worker runs only when a test says so.
  const server = createServer({ config, store, clock, ids, runWorker: options.runWorker ?? false, random: () => 0.5 })
  const addTenant = (name: string) => createTenant({ store, clock, ids, publicUrl: config.publicUrl }, name)
  const tenant = await addTenant('contoso')
  return {
    server,
    store,
    clock,
    tenant,
    dataDir: dir.path,
    addTenant,
    async close() {
      await server.close()
      await store.close()
      dir.remove()
    },
  }
}

export function bearer(tenant: CreatedTenant): Record<string, string> {
  return { authorization: `Bearer ${tenant.apiKey}` }
}

/** The path part of a tenant's Microsoft ingest URL. */
export function ingestPath(tenant: CreatedTenant): string {
  return new URL(tenant.ingestUrl).pathname
}
