/** The shape of a CLI command: its flags, its help, and a run function returning an exit code. */

import type { ParseArgsConfig } from 'node:util'

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }
  readonly env: NodeJS.ProcessEnv
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM). */
  readonly stopSignal: Promise<void>
}

export type Flags = Record<string, string | boolean | undefined>

/** A command's help and behaviour; the words that select it and its one-line summary are in `cli/main.ts`. */
export interface Command {
  readonly usage: string
  readonly options: NonNullable<ParseArgsConfig['options']>
  /** Lines under "Options:" in `--help`. */
  readonly optionHelp: readonly string[]
  run(flags: Flags, positionals: readonly string[], io: CommandIo): Promise<number>
}

/** Every command opens the store, so every command takes these. */
export const storeOptions = {
  data: { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
} as const

export const storeOptionHelp = [
  '--data <dir>          data directory holding leadrelay.db (env LEADRELAY_DATA_DIR, default ./data)',
  '--database-url <url>  use PostgreSQL instead of the embedded SQLite file (env DATABASE_URL)',
  '--log-level <level>   fatal, error, warn, info, debug (env LEADRELAY_LOG_LEVEL, default info)',
]

export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' ? value : undefined
}
