/** Exporting a tenant's leads as a lead file, one row per event, streamed a page of leads at a time. */

import { once } from 'node:events'
import type { LeadFilter, LeadSort, Store } from '../../store/types.ts'
import type { LeadFileFormat, LeadFileRow } from './lead-file-columns.ts'
import { eventRow, fileHeader, formatRows } from './row-mapping.ts'

export interface ExportOptions {
  readonly tenantId: string
  readonly format: LeadFileFormat
  /** Which leads (any filter of the leads list). Each selected lead is written with its whole history. */
  readonly filter?: LeadFilter
  readonly output: NodeJS.WritableStream
  /** Called after each page of leads with the totals so far. */
  readonly onProgress?: (leads: number, rows: number) => void
}

export interface ExportSummary {
  readonly leads: number
  readonly rows: number
}

const pageSize = 500
const exportOrder: LeadSort = { by: 'createdAt', direction: 'desc' }

async function write(output: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (chunk === '') return
  if (!output.write(chunk)) await once(output, 'drain')
}

/**
 * Writes the leads page by page (a keyset page of leads, then their events and offer titles in a few queries),
 * waiting for the output to drain, so memory stays flat whatever the number of leads.
 */
export async function exportLeads(store: Store, options: ExportOptions): Promise<ExportSummary> {
  const { tenantId, format, output } = options
  const filter: LeadFilter = { ...options.filter }
  let leads = 0
  let rows = 0
  await write(output, fileHeader(format))
  let cursor: string | undefined
  do {
    // By creation, which no later event changes: a lead active during the export is neither skipped nor repeated.
    const page = await store.listLeads(tenantId, filter, {
      limit: pageSize,
      sort: exportOrder,
      ...(cursor !== undefined && { cursor }),
    })
    const histories = await store.loadLeadHistories(page.items.map((lead) => ({ tenantId, leadId: lead.id })))
    const pageRows: LeadFileRow[] = []
    for (const lead of page.items) {
      const history = histories.get(lead.id)
      if (!history) continue
      // The order Leadrelay received them in: it decides ties when events of one lead carry the same time.
      const events = [...history.events].sort((a, b) => a.receivedAt - b.receivedAt)
      for (const event of events) pageRows.push(eventRow(lead, event, lead.offerId && history.offerTitle))
      rows += events.length
      leads++
    }
    await write(output, formatRows(pageRows, format))
    options.onProgress?.(leads, rows)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return { leads, rows }
}

/** How many leads an export with this filter writes (a counting pass, for the progress bar). */
export async function countExportedLeads(
  store: Store,
  tenantId: string,
  filter: Pick<LeadFilter, 'offerId' | 'since' | 'until'> = {},
): Promise<number> {
  let count = 0
  let cursor: string | undefined
  do {
    const page = await store.listLeads(tenantId, filter, {
      limit: 1000,
      sort: exportOrder,
      ...(cursor !== undefined && { cursor }),
    })
    count += page.items.length
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return count
}
