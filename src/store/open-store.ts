/** The store the configuration asks for: PostgreSQL when DATABASE_URL is set, the embedded SQLite file otherwise. */

import type { Config } from '../config.ts'
import type { Store } from './types.ts'

/** Loads only the dialect in use: an embedded installation never loads the PostgreSQL driver, and the reverse. */
export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    const { createPostgresStore } = await import('./postgres/index.ts')
    return createPostgresStore({ connectionString: config.databaseUrl, poolSize: config.postgresPoolSize })
  }
  const { createSqliteStore } = await import('./sqlite/index.ts')
  return createSqliteStore({ filename: config.sqliteFile, ingestThread: true })
}

/** Where the data lives, for messages: never the password. */
export function describeStore(config: Config): string {
  if (config.databaseUrl === undefined) return config.sqliteFile
  const url = new URL(config.databaseUrl)
  return `postgres://${url.host}${url.pathname}`
}
