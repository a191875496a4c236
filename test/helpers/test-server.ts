/** An in-process Leadrelay on a real SQLite file, driven with `app.inject` (no port). */

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { loadConfig } from '../../src/config.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { Logger } from '../../src/logger.ts'
import { createServer, type Server } from '../../src/server.ts'
import { type CreatedTenant, createTenant } from '../../src/services/tenants.ts'
import { createPostgresStore } from '../../src/store/postgres/index.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { dropSchema, newSchemaName, postgresUrl, urlWithSchema } from './postgres.ts'
import { createTempDir } from './temp-dir.ts'

export interface TestServer {
  readonly server: Server
  readonly store: Store
  readonly clock: ReturnType<typeof createManualClock>
  readonly tenant: CreatedTenant
  readonly dataDir: string
  addTenant(name: string): Promise<CreatedTenant>
  /** Every byte the store keeps (SQLite file and WAL, or PostgreSQL table contents), to search for plaintext. */
  rawContents(): Promise<Buffer>
  close(): Promise<void>
}

export async function startTestServer(
  env: NodeJS.ProcessEnv = {},
  options: { runWorker?: boolean; log?: Logger; store?: 'sqlite' | 'postgres' } = {},
): Promise<TestServer> {
  const dir = createTempDir()
  const config = loadConfig({ data: dir.path, port: '8080' }, { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true', ...env })
  // LEADRELAY_TEST_STORE=postgres runs the same tests on PostgreSQL (npm run test:postgres).
  const schema =
    (options.store ?? (process.env.LEADRELAY_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite')) === 'postgres'
      ? newSchemaName()
      : undefined
  const store =
    schema === undefined
      ? createSqliteStore({ filename: config.sqliteFile })
      : createPostgresStore({ connectionString: postgresUrl, schema, poolSize: 4 })
  await store.migrate()
  const clock = createManualClock(Date.UTC(2026, 10, 25, 12, 0, 0))
  const ids = createIdGenerator(clock)
  // Jitter at its midpoint, so retry times are exact; the worker runs only when a test says so.
  const server = createServer({
    config,
    store,
    clock,
    ids,
    workerPlacement: options.runWorker ? 'in-process' : 'none',
    saasRelayOnTimers: false,
    random: () => 0.5,
    ...(options.log && { log: options.log }),
  })
  const addTenant = (name: string) => createTenant({ store, clock, ids, publicUrl: config.publicUrl }, name)
  const tenant = await addTenant('contoso')
  return {
    server,
    store,
    clock,
    tenant,
    dataDir: dir.path,
    addTenant,
    async rawContents() {
      if (schema === undefined) {
        const files = ['leadrelay.db', 'leadrelay.db-wal']
          .map((name) => join(dir.path, name))
          .filter((file) => existsSync(file))
        return Buffer.concat(files.map((file) => readFileSync(file)))
      }
      const client = new pg.Client({ connectionString: urlWithSchema(schema) })
      await client.connect()
      try {
        const tables = await client.query<{ table_name: string }>(
          'select table_name from information_schema.tables where table_schema = $1',
          [schema],
        )
        const dumps: string[] = []
        for (const { table_name } of tables.rows) {
          const rows = await client.query(`select row_to_json(t)::text as row from "${table_name}" t`)
          dumps.push(...rows.rows.map((row: { row: string }) => row.row))
        }
        return Buffer.from(dumps.join('\n'))
      } finally {
        await client.end()
      }
    },
    async close() {
      await server.close()
      await store.close()
      if (schema !== undefined) await dropSchema(schema)
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
