/** The store implementations the contract suite runs against. */

import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { createTempDir } from './temp-dir.ts'

export interface StoreFactory {
  readonly name: string
  /** Why this store cannot run here, or undefined when it can. */
  readonly skipReason?: string
  create(): Promise<{ store: Store; dispose(): Promise<void> }>
}

export const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  async create() {
    const dir = createTempDir()
    const store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
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

export const storeFactories: readonly StoreFactory[] = [sqliteFactory]
