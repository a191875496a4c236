/** The store implementations the contract suite runs against. */

import { createPostgresStore } from '../../src/store/postgres/index.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from './postgres.ts'
import { createTempDir } from './temp-dir.ts'

export interface StoreFactory {
  readonly name: string
  /** Why this store cannot run here, or undefined when it can. */
  readonly skipReason?: string
  create(): Promise<{ store: Store; dispose(): Promise<void> }>
}

function sqliteStoreFactory(name: string, ingestThread: boolean): StoreFactory {
  return {
    name,
    async create() {
      const dir = createTempDir()
      const store = createSqliteStore({ filename: `${dir.path}/leadrelay.db`, ingestThread })
      await store.migrate()
      return {
        store,
        async dispose() {
          await store.close()
          dir.remove()
        },
      }
    },
  }
}

export const sqliteFactory = sqliteStoreFactory('sqlite', false)

/** SQLite as `serve` opens it: lead events committed on the ingest thread. */
export const sqliteIngestThreadFactory = sqliteStoreFactory('sqlite (ingest thread)', true)

export const postgresFactory: StoreFactory = {
  name: 'postgres',
  ...(postgresSkipReason !== undefined && { skipReason: postgresSkipReason }),
  async create() {
    const schema = newSchemaName()
    const store = createPostgresStore({ connectionString: postgresUrl, schema, poolSize: 4 })
    await store.migrate()
    return {
      store,
      async dispose() {
        await store.close()
        await dropSchema(schema)
      },
    }
  },
}

export const storeFactories: readonly StoreFactory[] = [sqliteFactory, sqliteIngestThreadFactory, postgresFactory]
