/** Opens what every command needs: config, a migrated store, a clock, ids. The embedded store is created on first use. */

import { type Config, type ConfigFlags, loadConfig } from '../config.ts'
import { createIdGenerator, type IdGenerator } from '../core/ids.ts'
import { type Clock, systemClock } from '../core/ports.ts'
import { openStore } from '../store/open-store.ts'
import type { MigrationReport, Store } from '../store/types.ts'

export interface CommandContext {
  readonly config: Config
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly migrations: MigrationReport
}

export async function openContext(flags: ConfigFlags, env: NodeJS.ProcessEnv): Promise<CommandContext> {
  const config = loadConfig(flags, env)
  const store = await openStore(config)
  const migrations = await store.migrate()
  const clock = systemClock
  return { config, store, clock, ids: createIdGenerator(clock), migrations }
}
