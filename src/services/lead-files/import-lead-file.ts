/**
 * Importing a lead file: each row becomes an ingest request (format `file`), merged into its customer's lead with
 * deliveries queued for routed offers exactly as for a lead received over HTTP, either one by one through the
 * ingest service or in large transactions through the bulk ingest (`leads import`). Malformed rows are reported with
 * their line number and skipped; offers the rows name are created when missing.
 */

import type { Readable } from 'node:stream'
import { AppError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { Store } from '../../store/types.ts'
import { asBulkIngest, type BulkIngest, type BulkResult } from '../bulk-ingest.ts'
import {
  countRecorded,
  countSkip,
  emptySummary,
  failureOf,
  type ImportSummary,
  skipReasons,
} from '../import-summary.ts'
import type { IngestService } from '../ingest.ts'
import type { LeadFileFormat } from './lead-file-columns.ts'
import { readLeadFile } from './read-lead-file.ts'
import { type ParsedRow, RowProblem, rowToLead } from './row-mapping.ts'

export interface ImportFileOptions {
  readonly tenantId: string
  readonly input: Readable
  readonly format: LeadFileFormat
  /** Called with the line number reached, as rows are read. */
  readonly onProgress?: (line: number) => void
  /** Called for every row that is skipped for a problem (not for rows imported before). */
  readonly onProblem?: (problem: { line: number; reason: string; message: string }) => void
  /** Ingests in flight at once through the ingest service (default 500); the bulk ingest sets its own pace. */
  readonly window?: number
}

export interface ImportFileDeps {
  readonly store: Store
  /** The ingest service (row by row, as over HTTP) or the bulk ingest (services/bulk-ingest.ts). */
  readonly ingest: IngestService | BulkIngest
  readonly clock: Clock
}

/**
 * Imports a lead file row by row, in file order. Each row is one lead event, recorded whole or not at all, and
 * answered like an ingest: new lead, merged, or already imported.
 */
export async function importLeadFile(deps: ImportFileDeps, options: ImportFileOptions): Promise<ImportSummary> {
  const summary = emptySummary()
  const rows = asBulkIngest(deps.ingest, options.window ?? 500)
  const offersChecked = new Set<string>()
  const problem = (line: number, reason: string, message: string) => {
    countSkip(summary, reason)
    options.onProblem?.({ line, reason, message })
  }

  async function ensureOffer(offer: NonNullable<ParsedRow['offer']>): Promise<void> {
    if (offersChecked.has(offer.id)) return
    offersChecked.add(offer.id)
    if (await deps.store.getOffer(options.tenantId, offer.id)) return
    try {
      await deps.store.putOffer(
        options.tenantId,
        { id: offer.id, ...(offer.title !== undefined && { title: offer.title }), aliases: [] },
        deps.clock.now(),
      )
      summary.offersCreated++
    } catch (error) {
      // The id already names another offer here: the rows resolve to that one.
      if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error
    }
  }

  for await (const record of readLeadFile(options.input, options.format)) {
    summary.read++
    options.onProgress?.(record.line)
    if (!record.fields) {
      problem(record.line, skipReasons.malformed, record.error ?? 'unreadable')
      continue
    }
    let parsed: ParsedRow
    try {
      parsed = rowToLead(record.fields)
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error
      problem(record.line, skipReasons.malformed, error.message)
      continue
    }
    if (parsed.offer) await ensureOffer(parsed.offer)
    const line = record.line
    await rows.add(
      { tenantId: options.tenantId, format: 'file', body: parsed.body, idempotencyKey: parsed.idempotencyKey },
      (result: BulkResult) => {
        if ('response' in result) return countRecorded(summary, result.response)
        const failure = failureOf(result.error)
        problem(line, failure.reason, failure.message)
      },
    )
  }
  await rows.finish()
  return summary
}
