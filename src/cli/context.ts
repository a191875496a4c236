/** Opens what every command needs: config, a migrated store, a clock, ids. The embedded store is created on first use. */

import { type Config, type ConfigFlags, loadConfig } from '../config.ts'
import { createIdGenerator, type IdGenerator } from '../core/ids.ts'
import { type Clock, systemClock } from '../core/ports.ts'
import { openStore } from '../store/open-store.ts'
import type { MigrationReport, Store } from '../store/types.ts'
import { type Flags, stringFlag } from './command.ts'

export interface CommandContext {
  readonly config: Config
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly migrations: MigrationReport
}

/**
 * The settings a command's flags give: `--data`, `--database-url`, `--public-url`, `--log-level`, `--host`, `--port`.
 * Flags are parsed strictly against the command's options, so one it does not declare is never set here.
 */
function configFlagsOf(flags: Flags): ConfigFlags {
  return {
    host: stringFlag(flags, 'host'),
    port: stringFlag(flags, 'port'),
    data: stringFlag(flags, 'data'),
    databaseUrl: stringFlag(flags, 'database-url'),
    publicUrl: stringFlag(flags, 'public-url'),
    logLevel: stringFlag(flags, 'log-level'),
  }
}

/** Config from the command's flags over the environment, and a migrated store. */
export async function openContext(flags: Flags, env: NodeJS.ProcessEnv): Promise<CommandContext> {
  const config = loadConfig(configFlagsOf(flags), env)
  const store = await openStore(config)
  const migrations = await store.migrate()
  const clock = systemClock
  return { config, store, clock, ids: createIdGenerator(clock), migrations }
}
