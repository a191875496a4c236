import { createReadStream, existsSync, statSync } from 'node:fs'
import { AppError } from '../../core/errors.ts'
import { createBulkIngest } from '../../services/bulk-ingest.ts'
import { importSummaryText, problemCount } from '../../services/import-summary.ts'
import { importLeadFile } from '../../services/lead-files/import-lead-file.ts'
import { leadFileFormats } from '../../services/lead-files/lead-file-columns.ts'
import { countLines } from '../../services/lead-files/read-lead-file.ts'
import { bulkImportProgress, indexesOptionHelp, indexModeFlag } from '../bulk-import-plan.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { createProgress } from '../progress.ts'
import { resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'
import { formatFlag } from './leads-export.ts'

/** Problems printed one by one; past this many, only counted (the summary has them all). */
const maxProblemLines = 100

export const leadsImportCommand: Command = {
  usage: 'leadrelay leads import <file> [--format csv|jsonl] [--tenant <id>] [--indexes auto|during|after] [--json]',
  options: {
    ...storeOptions,
    tenant: { type: 'string' },
    format: { type: 'string' },
    indexes: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: [
    `--format <format>     ${leadFileFormats.join(' or ')} (default: from the file's extension, .csv or .jsonl)`,
    ...indexesOptionHelp,
    '--json                print the summary as one JSON object',
    tenantOptionHelp,
    ...storeOptionHelp,
    'Exit code 0 when every row was imported (now or before), 1 when rows were skipped for a problem.',
  ],
  async run(flags, positionals, io) {
    const path = positionals[0]
    if (path === undefined || positionals.length > 1) {
      throw new AppError('VALIDATION_FAILED', 'Name one file to import', { field: 'file' })
    }
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new AppError('VALIDATION_FAILED', `No such file: ${path}`, { field: 'file' })
    }
    const format = formatFlag(stringFlag(flags, 'format'), path)
    if (format === undefined) {
      throw new AppError('VALIDATION_FAILED', 'Say --format csv or --format jsonl (the extension does not tell)', {
        field: 'format',
      })
    }
    const indexes = indexModeFlag(stringFlag(flags, 'indexes'))
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      // Thousands of rows per transaction, through the same store method as every ingest (services/bulk-ingest.ts).
      const ingest = createBulkIngest({
        store: context.store,
        clock: context.clock,
        ids: context.ids,
        dedupeWindowMs: context.config.dedupeWindowMs,
        actionStages: context.config.actionStages,
      })
      const lines = await countLines(createReadStream(path))
      const progress = createProgress(io.stderr, 'Importing rows', lines)
      let lastShown = 0
      let problems = 0
      const bulk = bulkImportProgress(io, context.clock, progress, lines, indexes)
      const summary = await context.store.runBulkImport(bulk.plan, () =>
        importLeadFile(
          { store: context.store, ingest, clock: context.clock },
          {
            tenantId: tenant.id,
            input: createReadStream(path),
            format,
            onProgress: (line) => {
              if (line - lastShown < 1000) return
              lastShown = line
              progress.update(line)
            },
            onProblem: ({ line, reason, message }) => {
              problems++
              if (problems > maxProblemLines) return
              io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}line ${line}: ${reason}: ${message}\n`)
            },
          },
        ),
      )
      if (problems > maxProblemLines) io.stderr.write(`… and ${problems - maxProblemLines} more problem rows.\n`)
      bulk.finish(importSummaryText(summary, 'rows'))
      if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`)
      return problemCount(summary) > 0 ? 1 : 0
    } finally {
      await context.store.close()
    }
  },
}
