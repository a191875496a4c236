/** The store the configuration asks for: PostgreSQL when DATABASE_URL is set, the embedded SQLite file otherwise. */

import type { Config } from '../config.ts'
import { createPostgresStore } from './postgres/index.ts'
import { createSqliteStore } from './sqlite/index.ts'
import type { Store } from './types.ts'

export function openStore(config: Config): Store {
  if (config.databaseUrl !== undefined) {
    return createPostgresStore({ connectionString: config.databaseUrl, poolSize: config.postgresPoolSize })
  }
  return createSqliteStore({ filename: config.sqliteFile, ingestThread: true })
}

/** Where the data lives, for messages: never the password. */
export function describeStore(config: Config): string {
  if (config.databaseUrl === undefined) return config.sqliteFile
  const url = new URL(config.databaseUrl)
  return `postgres://${url.host}${url.pathname}`
}
