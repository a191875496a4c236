/** The store the configuration asks for: PostgreSQL when DATABASE_URL is set, the embedded SQLite file otherwise. */

import type { Store } from './types.ts'

/** The part of the configuration that says where the data lives (the store takes it as data, not the whole config). */
export interface StoreLocation {
  /** PostgreSQL connection string; the embedded SQLite file is used when it is absent. */
  readonly databaseUrl?: string | undefined
  readonly sqliteFile: string
  /** Each SQLite connection's page cache bound in MiB (LEADRELAY_SQLITE_CACHE_MB); the default when absent. */
  readonly sqlitePageCacheMiB?: number | undefined
  readonly postgresPoolSize: number
}

/** Loads only the dialect in use: an embedded installation never loads the PostgreSQL driver, and the reverse. */
export async function openStore(config: StoreLocation): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    const { createPostgresStore } = await import('./postgres/index.ts')
    return createPostgresStore({ connectionString: config.databaseUrl, poolSize: config.postgresPoolSize })
  }
  const { createSqliteStore } = await import('./sqlite/index.ts')
  return createSqliteStore({ filename: config.sqliteFile, ingestThread: true, pageCacheMiB: config.sqlitePageCacheMiB })
}

/** Where the data lives, for messages: never the password. */
export function describeStore(config: StoreLocation): string {
  if (config.databaseUrl === undefined) return config.sqliteFile
  const url = new URL(config.databaseUrl)
  return `postgres://${url.host}${url.pathname}`
}
