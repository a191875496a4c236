/** The scale-out store: PostgreSQL shared by any number of `serve` and `worker` processes. */

import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { createKyselyStore } from '../kysely-store.ts'
import type { Database } from '../schema.ts'
import type { Store, StoreCapabilities } from '../types.ts'
import { postgresMigrations } from './migrations/index.ts'

export interface PostgresStoreOptions {
  readonly connectionString: string
  /** Connections per process. */
  readonly poolSize?: number
  /** Schema to use instead of `public` (tests get a fresh one per run). */
  readonly schema?: string
}

/** An arbitrary constant: the key of the advisory lock that lets one node at a time run migrations. */
const migrationLockKey = 7_304_611_981
const workChannel = 'leadrelay_work'

// Epoch milliseconds live in bigint columns; they fit a JavaScript number for the next 280,000 years.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

/** How PostgreSQL differs (types.ts `StoreCapabilities`). */
export const postgresCapabilities: StoreCapabilities = {
  rowLocks: true,
  plannerStatistics: true,
  prefixCollation: 'C',
  secureDelete: false,
  ingestBatchesInFlight: 1,
}

export function createPostgresStore(options: PostgresStoreOptions): Store {
  const connection = {
    connectionString: options.connectionString,
    ...(options.schema !== undefined && { options: `-c search_path=${options.schema}` }),
  }
  const pool = new pg.Pool({ ...connection, max: options.poolSize ?? 10 })
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const listeners = new Set<pg.Client>()

  return createKyselyStore({
    db,
    capabilities: postgresCapabilities,
    migrations: postgresMigrations,
    async withMigrationLock(work) {
      const client = await pool.connect()
      try {
        if (options.schema !== undefined)
          await client.query(`create schema if not exists "${options.schema.replace(/"/g, '')}"`)
        // Nodes starting together wait here; the first migrates, the others then find nothing to do.
        await client.query('select pg_advisory_lock($1)', [migrationLockKey])
        try {
          return await work()
        } finally {
          await client.query('select pg_advisory_unlock($1)', [migrationLockKey])
        }
      } finally {
        client.release()
      }
    },
    claimLocking: {
      rowLock: 'for update of d skip locked',
      async lockPairs(trx, pairKeys) {
        const { rows } = await sql<{ key: string }>`
          select key from unnest(cast(${[...pairKeys]} as text[])) as key
          where pg_try_advisory_xact_lock(hashtextextended(key, 0))`.execute(trx)
        return new Set(rows.map((row) => row.key))
      },
    },
    async refreshStatistics() {
      // The tables a bulk import fills and the reads plan on (lists, searches, the delivery queue, the funnel). VACUUM
      // as well: it marks the new rows' pages all-visible, so index-only scans need not visit the table; outside any
      // transaction, as VACUUM must be.
      await sql`vacuum (analyze) leads, lead_events, deliveries, funnel_counts, funnel_all_offers,
        funnel_offer_months, funnel_offer_days`.execute(db)
    },
    async notifyWork(trx) {
      // Delivered when the transaction commits, never before: a woken worker always finds the rows.
      await sql`select pg_notify(${workChannel}, '')`.execute(trx)
    },
    async listenForWork(onWork) {
      const client = new pg.Client(connection)
      client.on('error', () => {})
      await client.connect()
      client.on('notification', () => onWork())
      await client.query(`listen ${workChannel}`)
      listeners.add(client)
      return async () => {
        listeners.delete(client)
        await client.end().catch(() => {})
      }
    },
    async onClose() {
      for (const client of listeners) await client.end().catch(() => {})
    },
  })
}
