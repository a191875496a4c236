import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import { AppError } from '../../core/errors.ts'
import { countExportedLeads, exportLeads } from '../../services/lead-files/export-leads.ts'
import { formatOfPath, type LeadFileFormat, leadFileFormats } from '../../services/lead-files/lead-file-columns.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { createProgress } from '../progress.ts'
import { resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

export function dateFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const time = Date.parse(value)
  if (!Number.isFinite(time)) {
    throw new AppError('VALIDATION_FAILED', `--${name} must be a date or ISO date-time`, { field: name })
  }
  return time
}

export function formatFlag(value: string | undefined, path: string | undefined): LeadFileFormat | undefined {
  if (value === undefined) return path === undefined ? undefined : formatOfPath(path)
  if (!(leadFileFormats as readonly string[]).includes(value)) {
    throw new AppError('VALIDATION_FAILED', `--format must be one of ${leadFileFormats.join(', ')}`, {
      field: 'format',
    })
  }
  return value as LeadFileFormat
}

export const leadsExportCommand: Command = {
  usage:
    'leadrelay leads export [--format csv|jsonl] [--offer <id>] [--since <date>] [--output <file>] [--tenant <id>]',
  options: {
    ...storeOptions,
    tenant: { type: 'string' },
    format: { type: 'string' },
    offer: { type: 'string' },
    since: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  optionHelp: [
    '--format <format>     csv (default, with a header) or jsonl; --output file.jsonl implies jsonl',
    '--offer <id>          only leads of this offer',
    '--since <date>        only leads with an event at or after this time (each with its whole history)',
    '-o, --output <file>   write here (default: standard output); written as <file>.partial, renamed when done',
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const path = stringFlag(flags, 'output')
    const format = formatFlag(stringFlag(flags, 'format'), path) ?? 'csv'
    const since = dateFlag('since', stringFlag(flags, 'since'))
    const offerId = stringFlag(flags, 'offer')
    const context = await openContext(flags, io.env)
    const partial = path === undefined ? undefined : `${path}.partial`
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const filter = { ...(offerId !== undefined && { offerId }), ...(since !== undefined && { since }) }
      const total = await countExportedLeads(context.store, tenant.id, filter)
      const progress = createProgress(io.stderr, 'Exporting leads', total)
      const file = partial === undefined ? undefined : createWriteStream(partial, { flags: 'w' })
      const summary = await exportLeads(context.store, {
        tenantId: tenant.id,
        format,
        filter,
        output: file ?? io.stdout,
        onProgress: (leads) => progress.update(leads),
      })
      if (file && path !== undefined && partial !== undefined) {
        file.end()
        await finished(file)
        await rename(partial, path)
      }
      progress.finish(
        `Exported ${summary.leads} leads (${summary.rows} events) as ${format} to ${path ?? 'standard output'}.`,
      )
      return 0
    } catch (error) {
      if (partial !== undefined) await rm(partial, { force: true })
      throw error
    } finally {
      await context.store.close()
    }
  },
}
