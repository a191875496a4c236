/** `leadrelay <command>`: dispatches to one file per command and turns errors into a message and an exit code. */

import { parseArgs } from 'node:util'
import { AppError } from '../core/errors.ts'
import { version } from '../version.ts'
import type { Command, CommandIo } from './command.ts'
import { alertsListCommand, alertsTestCommand } from './commands/alerts.ts'
import { customersEraseCommand } from './commands/customers-erase.ts'
import { deliveriesReplayCommand } from './commands/deliveries-replay.ts'
import {
  destinationsListCommand,
  destinationsPreviewCommand,
  destinationsVerifyCommand,
} from './commands/destinations.ts'
import { doctorCommand } from './commands/doctor.ts'
import { importAzureTableCommand } from './commands/import-azure-table.ts'
import {
  ingestTokenRotateCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  keysRotateCommand,
} from './commands/keys.ts'
import { leadsExportCommand } from './commands/leads-export.ts'
import { leadsImportCommand } from './commands/leads-import.ts'
import { leadsListCommand } from './commands/leads-list.ts'
import { migrateCommand } from './commands/migrate.ts'
import { offersPublishCommand } from './commands/offers-publish.ts'
import { retentionRunCommand } from './commands/retention-run.ts'
import { secretsRotateCommand } from './commands/secrets-rotate.ts'
import { serveCommand } from './commands/serve.ts'
import { subscriptionsPollCommand } from './commands/subscriptions-poll.ts'
import { tenantsCreateCommand } from './commands/tenants-create.ts'
import { workerCommand } from './commands/worker.ts'

export const commands: readonly Command[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  doctorCommand,
  tenantsCreateCommand,
  leadsListCommand,
  leadsExportCommand,
  leadsImportCommand,
  importAzureTableCommand,
  destinationsListCommand,
  destinationsVerifyCommand,
  destinationsPreviewCommand,
  offersPublishCommand,
  deliveriesReplayCommand,
  alertsListCommand,
  alertsTestCommand,
  subscriptionsPollCommand,
  customersEraseCommand,
  retentionRunCommand,
  secretsRotateCommand,
  keysListCommand,
  keysCreateCommand,
  keysRotateCommand,
  keysRevokeCommand,
  ingestTokenRotateCommand,
]

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.join(' ').length))
  return [
    `leadrelay ${version}: receives marketplace leads, merges them per customer, delivers them to your CRM.`,
    '',
    'Usage: leadrelay <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.join(' ').padEnd(width)}  ${command.summary}`),
    '',
    'Run "leadrelay <command> --help" for its options. The embedded store is ./data/leadrelay.db unless --data says otherwise.',
    '',
  ].join('\n')
}

function helpOf(command: Command): string {
  return [
    command.summary,
    '',
    `Usage: ${command.usage}`,
    '',
    'Options:',
    ...command.optionHelp.map((line) => `  ${line}`),
    '  -h, --help            show this help',
    '',
  ].join('\n')
}

function find(words: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const command of commands) {
    if (command.name.every((word, index) => words[index] === word)) {
      return { command, rest: words.slice(command.name.length) }
    }
  }
  return undefined
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(overview())
    return 0
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout.write(`${version}\n`)
    return 0
  }
  const found = find(argv)
  if (!found) {
    io.stderr.write(`Unknown command "${argv.filter((word) => !word.startsWith('-')).join(' ')}".\n\n${overview()}`)
    return 2
  }
  const { command, rest } = found
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
    if (values.help) {
      io.stdout.write(helpOf(command))
      return 0
    }
    return await command.run(values as Record<string, string | boolean | undefined>, positionals, io)
  } catch (error) {
    if (error instanceof AppError) {
      io.stderr.write(`${error.code}: ${error.message}\n`)
      return 1
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`${(error as Error).message}\n\n${helpOf(command)}`)
      return 2
    }
    io.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
    return 1
  }
}
