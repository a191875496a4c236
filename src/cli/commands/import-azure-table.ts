import { parseDuration } from '../../config.ts'
import { AppError } from '../../core/errors.ts'
import { endpointOf, openTableClient } from '../../destinations/azure-table/client.ts'
import {
  type AzureTableCredentials,
  credentialsOf,
  defaultTableName,
  prepareAzureTableSecrets,
  tableNameProblem,
} from '../../destinations/azure-table/config.ts'
import { toDeliveryError } from '../../destinations/azure-table/errors.ts'
import {
  countEntities,
  followAzureTable,
  followStatePath,
  importAzureTable,
  readFollowState,
  writeFollowState,
} from '../../services/azure-table-import.ts'
import { createBulkIngest } from '../../services/bulk-ingest.ts'
import { importSummaryText, problemCount } from '../../services/import-summary.ts'
import { bulkImportProgress, indexesOptionHelp, indexModeFlag } from '../bulk-import-plan.ts'
import { type Command, type Flags, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { createProgress } from '../progress.ts'
import { resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'
import { dateFlag } from './leads-export.ts'

/** Problem entities printed one by one; past this many, only counted. */
const maxProblemLines = 100

/** Read when neither --connection-string nor --sas-url is given, so the secret stays out of the process list. */
export const connectionStringEnv = 'LEADRELAY_IMPORT_CONNECTION_STRING'

function credentialsFrom(flags: Flags, env: NodeJS.ProcessEnv): AzureTableCredentials {
  const connectionString = stringFlag(flags, 'connection-string') ?? env[connectionStringEnv]
  const sasUrl = stringFlag(flags, 'sas-url')
  try {
    const secrets = prepareAzureTableSecrets({
      ...(connectionString && { connectionString }),
      ...(sasUrl && { sasUrl }),
    })
    return credentialsOf(secrets)!
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    const message = error.message
      .replace(/^secrets\.connectionString/, '--connection-string')
      .replace(/^secrets\.sasUrl/, '--sas-url')
      .replace(/\(or sasUrl\)/, `(or --sas-url, or env ${connectionStringEnv})`)
    throw new AppError('VALIDATION_FAILED', message, { field: 'connection-string' })
  }
}

export const importAzureTableCommand: Command = {
  usage:
    'leadrelay import azure-table (--connection-string <cs> | --sas-url <url>) [--table MarketplaceLeads] [--since <date>] [--follow [--interval 60s]] [--indexes auto|during|after] [--tenant <id>] [--json]',
  options: {
    ...storeOptions,
    tenant: { type: 'string' },
    'connection-string': { type: 'string' },
    'sas-url': { type: 'string' },
    table: { type: 'string' },
    since: { type: 'string' },
    follow: { type: 'boolean' },
    interval: { type: 'string' },
    indexes: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: [
    `--connection-string <cs>  the storage account's connection string (or env ${connectionStringEnv})`,
    '--sas-url <url>       or a table service SAS URL with Query (and List) permission',
    `--table <name>        the table to read (default ${defaultTableName})`,
    '--since <date>        only entities written (Timestamp) at or after this time',
    '--follow              keep importing what is written, every --interval, until stopped (Ctrl-C)',
    '--interval <duration> how often --follow polls (default 60s; e.g. 30s, 5m)',
    ...indexesOptionHelp,
    '                      (a --follow keeps them up: it does not end)',
    '--json                print the summary as one JSON object',
    tenantOptionHelp,
    ...storeOptionHelp,
    'Every entity is imported once (keyed by table, PartitionKey and RowKey): running it again imports only new ones.',
  ],
  async run(flags, _positionals, io) {
    const credentials = credentialsFrom(flags, io.env)
    const table = stringFlag(flags, 'table') ?? defaultTableName
    const problem = tableNameProblem(table)
    if (problem) throw new AppError('VALIDATION_FAILED', `--table: ${problem}`, { field: 'table' })
    const since = dateFlag('since', stringFlag(flags, 'since'))
    const intervalMs = parseDuration('--interval', stringFlag(flags, 'interval') ?? '60s')
    if (intervalMs < 1000)
      throw new AppError('VALIDATION_FAILED', '--interval must be at least 1s', { field: 'interval' })
    const indexes = indexModeFlag(stringFlag(flags, 'indexes'))
    if (flags.follow && indexes === 'after') {
      throw new AppError('VALIDATION_FAILED', '--indexes after needs an import that ends, not --follow', {
        field: 'indexes',
      })
    }
    const endpoint = endpointOf(credentials)
    const context = await openContext(flags, io.env)
    const stop = new AbortController()
    void io.stopSignal.then(() => stop.abort())
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      // Thousands of entities per transaction, through the same store method as every ingest (services/bulk-ingest.ts).
      const ingest = createBulkIngest({
        store: context.store,
        clock: context.clock,
        ids: context.ids,
        dedupeWindowMs: context.config.dedupeWindowMs,
        actionStages: context.config.actionStages,
      })
      // The operator names this account on the command line, so the SDK's own HTTP stack (and retries) is used.
      const client = openTableClient(credentials, table, { maxRetries: 3 })
      const statePath = followStatePath(context.config.dataDir, tenant.id, endpoint, table)
      const where = `${endpoint}/${table}`
      const describeFailure = (error: unknown) => toDeliveryError(error, table, context.clock.now()).message
      let problems = 0
      // A follow re-reads recent entities each pass: report a problem entity once.
      const reported = new Set<string>()
      const onProblem = ({ key, reason, message }: { key: string; reason: string; message: string }) => {
        if (reported.has(key)) return
        if (reported.size < 100_000) reported.add(key)
        problems++
        if (problems <= maxProblemLines) {
          io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}${key}: ${reason}: ${message}\n`)
        } else if (problems === maxProblemLines + 1) {
          io.stderr.write('… more problem entities are counted in the summary only.\n')
        }
      }

      if (flags.follow) {
        const stored = readFollowState(statePath)
        let problemsBefore = 0
        io.stderr.write(
          `Following ${where} every ${intervalMs / 1000}s${stored ? ` from ${stored.newestTimestamp}` : ''}; state in ${statePath}. Stop with Ctrl-C.\n`,
        )
        await followAzureTable(
          { ingest },
          {
            tenantId: tenant.id,
            client,
            table,
            endpoint,
            statePath,
            intervalMs,
            ...(since !== undefined && { since }),
            stopSignal: stop.signal,
            now: () => context.clock.now(),
            onProblem,
            onPass: (summary) => {
              const fresh = problems - problemsBefore
              problemsBefore = problems
              if (summary.new + summary.merged + fresh === 0) return
              const line = flags.json
                ? JSON.stringify({ at: new Date(context.clock.now()).toISOString(), ...summary })
                : `${new Date(context.clock.now()).toISOString()} ${importSummaryText(summary, 'entities')}`
              io.stdout.write(`${line}\n`)
            },
            onError: (error) => io.stderr.write(`Reading ${where} failed: ${describeFailure(error)}\n`),
          },
        )
        io.stderr.write('Stopped following.\n')
        return 0
      }

      let total: number
      try {
        total = await countEntities(client, since, stop.signal)
      } catch (error) {
        io.stderr.write(`Reading ${where} failed: ${describeFailure(error)}\n`)
        return 1
      }
      const progress = createProgress(io.stderr, 'Importing entities', total)
      const bulk = bulkImportProgress(io, context.clock, progress, total, indexes)
      let summary: Awaited<ReturnType<typeof importAzureTable>>
      try {
        summary = await context.store.runBulkImport(bulk.plan, () =>
          importAzureTable(
            { ingest },
            {
              tenantId: tenant.id,
              client,
              table,
              ...(since !== undefined && { since }),
              signal: stop.signal,
              onProgress: (read) => progress.update(read),
              onProblem,
            },
          ),
        )
      } catch (error) {
        io.stderr.write(`\nReading ${where} failed: ${describeFailure(error)}\n`)
        return 1
      }
      // A later --follow starts where this import ended.
      const previous = readFollowState(statePath)
      if (
        summary.newestTimestamp !== undefined &&
        (!previous || Date.parse(previous.newestTimestamp) < summary.newestTimestamp)
      ) {
        writeFollowState(statePath, {
          endpoint,
          table,
          tenantId: tenant.id,
          newestTimestamp: new Date(summary.newestTimestamp).toISOString(),
          updatedAt: new Date(context.clock.now()).toISOString(),
        })
      }
      bulk.finish(importSummaryText(summary, 'entities'))
      if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`)
      return problemCount(summary) > 0 ? 1 : 0
    } finally {
      await context.store.close()
    }
  },
}
