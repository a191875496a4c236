/** `leadrelay <command>`: dispatches to one file per command and turns errors into a message and an exit code. */

import { parseArgs } from 'node:util'
import { AppError } from '../core/errors.ts'
import { version } from '../version.ts'
import type { Command, CommandIo } from './command.ts'

/**
 * Every command, by the words that select it. A command's module (and what it imports: the store, the HTTP server,
 * the connectors) loads only when it runs, so `leadrelay leads list` does not pay for `serve`.
 */
interface CommandEntry {
  readonly name: readonly string[]
  readonly summary: string
  load(): Promise<Command>
}

export const commands: readonly CommandEntry[] = [
  {
    name: ['serve'],
    summary: 'Run the HTTP service (creates the store and a default tenant on first start)',
    load: async () => (await import('./commands/serve.ts')).serveCommand,
  },
  {
    name: ['worker'],
    summary: 'Run only the delivery worker (serve runs one too)',
    load: async () => (await import('./commands/worker.ts')).workerCommand,
  },
  {
    name: ['migrate'],
    summary: 'Create or upgrade the store (every command also does this on start)',
    load: async () => (await import('./commands/migrate.ts')).migrateCommand,
  },
  {
    name: ['doctor'],
    summary: 'Check the installation: store, migrations, secret key, public URL, clock, destinations, SMTP',
    load: async () => (await import('./commands/doctor.ts')).doctorCommand,
  },
  {
    name: ['tenants', 'create'],
    summary: 'Create a tenant (publisher) and print its API key and Microsoft ingest URL',
    load: async () => (await import('./commands/tenants-create.ts')).tenantsCreateCommand,
  },
  {
    name: ['leads', 'list'],
    summary: "List a tenant's leads, most recent activity first",
    load: async () => (await import('./commands/leads-list.ts')).leadsListCommand,
  },
  {
    name: ['leads', 'export'],
    summary: "Write a tenant's leads to a CSV or JSONL file, one row per lead event (streamed, any size)",
    load: async () => (await import('./commands/leads-export.ts')).leadsExportCommand,
  },
  {
    name: ['leads', 'import'],
    summary: 'Import leads from a CSV or JSONL file (as written by leads export); each row is ingested like a new lead',
    load: async () => (await import('./commands/leads-import.ts')).leadsImportCommand,
  },
  {
    name: ['import', 'azure-table'],
    summary: 'Import the leads Microsoft wrote to an Azure Table (MarketplaceLeads); --follow keeps polling it',
    load: async () => (await import('./commands/import-azure-table.ts')).importAzureTableCommand,
  },
  {
    name: ['destinations', 'list'],
    summary: "List a tenant's destinations with their health",
    load: async () => (await import('./commands/destinations.ts')).destinationsListCommand,
  },
  {
    name: ['destinations', 'verify'],
    summary: 'Test a destination: an authenticated check, then one test lead; resumes it when it passes',
    load: async () => (await import('./commands/destinations.ts')).destinationsVerifyCommand,
  },
  {
    name: ['destinations', 'preview'],
    summary: 'Show exactly what a destination would receive for a lead (field map applied), without sending it',
    load: async () => (await import('./commands/destinations.ts')).destinationsPreviewCommand,
  },
  {
    name: ['offers', 'publish'],
    summary: "Verify each of an offer's destinations and send it a test lead; the offer goes live if all pass",
    load: async () => (await import('./commands/offers-publish.ts')).offersPublishCommand,
  },
  {
    name: ['deliveries', 'replay'],
    summary: 'Queue failed (or any final) deliveries again, e.g. after fixing a destination',
    load: async () => (await import('./commands/deliveries-replay.ts')).deliveriesReplayCommand,
  },
  {
    name: ['alerts', 'list'],
    summary: "List a tenant's alert rules and channels",
    load: async () => (await import('./commands/alerts.ts')).alertsListCommand,
  },
  {
    name: ['alerts', 'test'],
    summary: "Send a test alert (a made-up lead) through each of a rule's channels now; says what each answered",
    load: async () => (await import('./commands/alerts.ts')).alertsTestCommand,
  },
  {
    name: ['subscriptions', 'poll'],
    summary: "Read the tenant's marketplace SaaS subscriptions now and record what changed as lead events",
    load: async () => (await import('./commands/subscriptions-poll.ts')).subscriptionsPollCommand,
  },
  {
    name: ['customers', 'erase'],
    summary: "Erase a customer's personal data everywhere in a tenant (GDPR Art. 17) and ask destinations to delete it",
    load: async () => (await import('./commands/customers-erase.ts')).customersEraseCommand,
  },
  {
    name: ['retention', 'run'],
    summary: "Apply each tenant's retention now (the worker does it every hour), with progress",
    load: async () => (await import('./commands/retention-run.ts')).retentionRunCommand,
  },
  {
    name: ['secrets', 'rotate'],
    summary: 'Make a new encryption key current and re-encrypt every stored destination secret with it',
    load: async () => (await import('./commands/secrets-rotate.ts')).secretsRotateCommand,
  },
  {
    name: ['keys', 'list'],
    summary: "List a tenant's working API keys: id, name, scopes, the first characters (never the secret)",
    load: async () => (await import('./commands/keys.ts')).keysListCommand,
  },
  {
    name: ['keys', 'create'],
    summary: 'Create a named API key with scopes and print it (shown once)',
    load: async () => (await import('./commands/keys.ts')).keysCreateCommand,
  },
  {
    name: ['keys', 'rotate'],
    summary: 'Give an API key a new secret (same name and scopes) and print it; the old secret stops',
    load: async () => (await import('./commands/keys.ts')).keysRotateCommand,
  },
  {
    name: ['keys', 'revoke'],
    summary: 'Revoke an API key now; a running serve refuses it within a second',
    load: async () => (await import('./commands/keys.ts')).keysRevokeCommand,
  },
  {
    name: ['ingest-token', 'rotate'],
    summary: 'Make a new Microsoft ingest URL and print it (shown once); the old URL keeps working for an overlap',
    load: async () => (await import('./commands/keys.ts')).ingestTokenRotateCommand,
  },
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

function helpOf(entry: CommandEntry, command: Command): string {
  return [
    entry.summary,
    '',
    `Usage: ${command.usage}`,
    '',
    'Options:',
    ...command.optionHelp.map((line) => `  ${line}`),
    '  -h, --help            show this help',
    '',
  ].join('\n')
}

function find(words: readonly string[]): { entry: CommandEntry; rest: string[] } | undefined {
  for (const entry of commands) {
    if (entry.name.every((word, index) => words[index] === word)) {
      return { entry, rest: words.slice(entry.name.length) }
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
  const { entry, rest } = found
  const command = await entry.load()
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
    if (values.help) {
      io.stdout.write(helpOf(entry, command))
      return 0
    }
    return await command.run(values as Record<string, string | boolean | undefined>, positionals, io)
  } catch (error) {
    if (error instanceof AppError) {
      io.stderr.write(`${error.code}: ${error.message}\n`)
      return 1
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`${(error as Error).message}\n\n${helpOf(entry, command)}`)
      return 2
    }
    io.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
    return 1
  }
}
