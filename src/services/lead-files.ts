/**
 * Lead files: a tenant's leads exported as CSV or JSONL, one row per lead event, and such files imported through
 * the ingest service (merge, routing, delivery), streaming both ways so the size of the file does not matter.
 * The format is described in docs/import-export.md. The import summary and the ordered submit window are shared
 * with the Azure Table import.
 */

import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { customerFields } from '../core/customer.ts'
import { AppError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { isoTime } from '../core/time.ts'
import type { Lead, LeadEvent, LeadFilter, LeadSort, Store } from '../store/types.ts'
import type { IngestResponse, IngestService } from './ingest.ts'

export const leadFileFormats = ['csv', 'jsonl'] as const
export type LeadFileFormat = (typeof leadFileFormats)[number]

/**
 * Every column, in file order. Lead columns (`leadId`, `offerId`, `offerName`) repeat on each of the lead's rows;
 * `stage` and `isTest` are informational (the import derives them again from the event).
 */
export const leadFileColumns = [
  'eventId',
  'leadId',
  'offerId',
  'offerName',
  'occurredAt',
  'leadSource',
  'source',
  'action',
  'stage',
  'offerRef',
  'offerTitle',
  'description',
  'firstName',
  'lastName',
  'email',
  'phone',
  'country',
  'company',
  'title',
  'isTest',
  'extra',
] as const
export type LeadFileColumn = (typeof leadFileColumns)[number]

/** A row as exported: every column, '' for none. */
export type LeadFileRow = Record<LeadFileColumn, string>

/** `.csv` → csv; `.jsonl` / `.ndjson` → jsonl; anything else undefined. */
export function formatOfPath(path: string): LeadFileFormat | undefined {
  const lower = path.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// CSV (RFC 4180)

/** One CSV field: quoted when it holds a comma, quote, line break, or leading/trailing space. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function csvLine(values: readonly string[]): string {
  // A lone empty field would be a blank line, which readers skip.
  if (values.length === 1 && values[0] === '') return '""\r\n'
  return `${values.map(csvField).join(',')}\r\n`
}

/**
 * The fields of one CSV record (which may span lines inside quotes), or a sentence saying why it is malformed.
 * Strict: a quote inside an unquoted field, or text after a closing quote, is malformed rather than guessed at.
 */
export function parseCsvRecord(text: string): string[] | string {
  const fields: string[] = []
  let at = 0
  for (;;) {
    if (text[at] === '"') {
      let value = ''
      let from = at + 1
      for (;;) {
        const quote = text.indexOf('"', from)
        if (quote === -1) return 'a quoted field is not closed'
        value += text.slice(from, quote)
        if (text[quote + 1] === '"') {
          value += '"'
          from = quote + 2
          continue
        }
        at = quote + 1
        break
      }
      fields.push(value)
      if (at < text.length && text[at] !== ',') return `unexpected text after a closing quote in field ${fields.length}`
    } else {
      const comma = text.indexOf(',', at)
      const value = comma === -1 ? text.slice(at) : text.slice(at, comma)
      if (value.includes('"')) return `a quote inside unquoted field ${fields.length + 1} (quote the whole field)`
      fields.push(value)
      at = comma === -1 ? text.length : comma
    }
    if (at >= text.length) return fields
    at++ // past the comma
  }
}

interface SourceLine {
  readonly text: string
  readonly line: number
}

/** Lines split on `\n` only, so a `\r` inside a quoted CSV field survives; numbered from 1. */
async function* linesOf(input: Readable): AsyncGenerator<SourceLine> {
  input.setEncoding('utf8')
  let rest = ''
  let line = 0
  let first = true
  for await (const chunk of input as AsyncIterable<string>) {
    let text = rest + chunk
    if (first) {
      text = text.replace(/^\uFEFF/, '')
      first = false
    }
    let start = 0
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      yield { text: text.slice(start, end), line: ++line }
      start = end + 1
    }
    rest = text.slice(start)
  }
  if (rest !== '') yield { text: rest, line: ++line }
}

/** A record read from a file: its first line's number, and its fields or why it could not be read. */
export interface FileRecord {
  readonly line: number
  readonly fields?: Readonly<Record<string, unknown>>
  readonly error?: string
}

/** How far one record may run on (an unclosed quote otherwise swallows the rest of the file). */
const maxRecordLines = 1000
const maxRecordChars = 1_000_000

function quoteCount(text: string): number {
  let count = 0
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) count++
  return count
}

/** CSV records with their line numbers; a malformed record is reported and reading resumes on its next line. */
async function* csvRecords(
  lines: AsyncGenerator<SourceLine>,
): AsyncGenerator<{ line: number; fields?: string[]; error?: string }> {
  const replay: SourceLine[] = []
  const next = async (): Promise<SourceLine | undefined> => {
    const replayed = replay.shift()
    if (replayed) return replayed
    const result = await lines.next()
    return result.done ? undefined : result.value
  }
  for (;;) {
    const first = await next()
    if (!first) return
    if (first.text.trim() === '') continue
    const parts = [first]
    let quotes = quoteCount(first.text)
    let size = first.text.length
    while (quotes % 2 === 1 && parts.length < maxRecordLines && size < maxRecordChars) {
      const more = await next()
      if (!more) break
      parts.push(more)
      quotes += quoteCount(more.text)
      size += more.text.length + 1
    }
    // The record's own line break may be CRLF; a CR inside quotes belongs to the value.
    const text = parts
      .map((part) => part.text)
      .join('\n')
      .replace(/\r$/, '')
    const parsed = quotes % 2 === 1 ? 'a quoted field is not closed' : parseCsvRecord(text)
    if (typeof parsed === 'string') {
      yield { line: first.line, error: parsed }
      replay.unshift(...parts.slice(1))
      continue
    }
    yield { line: first.line, fields: parsed }
  }
}

/** Lower-case, no separators: `Event ID`, `event_id` and `eventId` are one column. */
function columnKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '')
}

const columnsByKey = new Map<string, LeadFileColumn>(leadFileColumns.map((column) => [columnKey(column), column]))

/** The file's rows as objects: known columns under their canonical names, other columns as they are named. */
export async function* readLeadFile(input: Readable, format: LeadFileFormat): AsyncGenerator<FileRecord> {
  const lines = linesOf(input)
  if (format === 'jsonl') {
    for await (const { text, line } of lines) {
      const trimmed = text.trim()
      if (trimmed === '') continue
      let value: unknown
      try {
        value = JSON.parse(trimmed)
      } catch (error) {
        yield { line, error: `not JSON (${(error as Error).message})` }
        continue
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { line, error: 'not a JSON object' }
        continue
      }
      const fields: Record<string, unknown> = {}
      for (const [name, field] of Object.entries(value)) fields[columnsByKey.get(columnKey(name)) ?? name] = field
      yield { line, fields }
    }
    return
  }
  let header: string[] | undefined
  for await (const record of csvRecords(lines)) {
    if (!header) {
      if (!record.fields) {
        throw new AppError('VALIDATION_FAILED', `Line ${record.line}: the CSV header cannot be read: ${record.error}`, {
          field: 'file',
        })
      }
      header = record.fields.map((name) => columnsByKey.get(columnKey(name)) ?? name.trim())
      continue
    }
    if (!record.fields) {
      yield { line: record.line, error: `malformed CSV: ${record.error}` }
      continue
    }
    if (record.fields.length !== header.length) {
      yield {
        line: record.line,
        error: `malformed CSV: ${record.fields.length} fields where the header has ${header.length}`,
      }
      continue
    }
    const fields: Record<string, unknown> = {}
    for (const [index, name] of header.entries()) fields[name] = record.fields[index]
    yield { line: record.line, fields }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Export

const iso = isoTime

/** One event of a lead as a file row. A customer value that was sent but unusable is written as it was sent. */
export function eventRow(lead: Lead, event: LeadEvent, offerName: string | undefined): LeadFileRow {
  const customer = event.customer as Readonly<Record<string, string | undefined>>
  const value = (field: string) => customer[field] ?? event.invalid?.[field] ?? ''
  const extra = event.extra && Object.keys(event.extra).length > 0 ? JSON.stringify(event.extra) : ''
  return {
    eventId: event.id,
    leadId: lead.id,
    offerId: lead.offerId ?? '',
    offerName: offerName ?? '',
    occurredAt: iso(event.occurredAt),
    leadSource: event.leadSource ?? '',
    source: event.source ?? '',
    action: event.action ?? '',
    stage: event.stage,
    offerRef: event.offerRef ?? '',
    offerTitle: event.offerTitle ?? '',
    description: event.description ?? '',
    firstName: value('firstName'),
    lastName: value('lastName'),
    email: value('email'),
    phone: value('phone'),
    country: value('country'),
    company: value('company'),
    title: value('title'),
    isTest: event.isTest ? 'true' : 'false',
    extra,
  }
}

function formatRow(row: LeadFileRow, format: LeadFileFormat): string {
  if (format === 'csv') return csvLine(leadFileColumns.map((column) => row[column]))
  const object: Record<string, unknown> = {}
  for (const column of leadFileColumns) {
    const value = row[column]
    if (value === '') continue
    if (column === 'extra') object.extra = JSON.parse(value)
    else if (column === 'isTest') object.isTest = value === 'true'
    else object[column] = value
  }
  return `${JSON.stringify(object)}\n`
}

/** The header line of a CSV export; JSONL has none. */
export function fileHeader(format: LeadFileFormat): string {
  return format === 'csv' ? csvLine(leadFileColumns) : ''
}

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
 * Writes the leads page by page (a page of leads, then their events), waiting for the output to drain, so memory
 * stays flat whatever the number of leads.
 */
export async function exportLeads(store: Store, options: ExportOptions): Promise<ExportSummary> {
  const { tenantId, format, output } = options
  const filter: LeadFilter = { ...options.filter }
  const offerNames = new Map<string, string | undefined>()
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
    let chunk = ''
    for (const lead of page.items) {
      let offerName: string | undefined
      if (lead.offerId !== undefined) {
        if (!offerNames.has(lead.offerId))
          offerNames.set(lead.offerId, (await store.getOffer(tenantId, lead.offerId))?.title)
        offerName = offerNames.get(lead.offerId)
      }
      // The order Leadrelay received them in: it decides ties when events of one lead carry the same time.
      const events = [...(await store.listLeadEvents(tenantId, lead.id))].sort((a, b) => a.receivedAt - b.receivedAt)
      for (const event of events) chunk += formatRow(eventRow(lead, event, offerName), format)
      rows += events.length
      leads++
    }
    await write(output, chunk)
    options.onProgress?.(leads, rows)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return { leads, rows }
}

/** How many leads an export with this filter writes (a counting pass, for the progress bar). */
export async function countLeads(
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

// ---------------------------------------------------------------------------------------------------------------
// Import: shared with the Azure Table import

/** What an import did. `skipped` counts every row not recorded now; `reasons` says why, per reason. */
export interface ImportSummary {
  read: number
  /** Rows that started a new lead. */
  new: number
  /** Rows merged into an existing lead. */
  merged: number
  skipped: number
  reasons: Record<string, number>
  /** Offers the import created because rows named them (file imports only). */
  offersCreated: number
}

export const skipReasons = {
  duplicate: 'already imported',
  changed: 'already imported, changed since',
  malformed: 'malformed row',
  empty: 'no lead source, offer or customer',
  invalid: 'invalid value',
  failed: 'could not be stored',
  erased: 'erased customer',
} as const

export function emptySummary(): ImportSummary {
  return { read: 0, new: 0, merged: 0, skipped: 0, reasons: {}, offersCreated: 0 }
}

export function countSkip(summary: ImportSummary, reason: string): void {
  summary.skipped++
  summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1
}

export function countRecorded(summary: ImportSummary, response: IngestResponse): void {
  if (response.duplicate) countSkip(summary, skipReasons.duplicate)
  else if (response.receipt.newLead) summary.new++
  else summary.merged++
}

/** The skip reason an ingest failure stands for, and the sentence to report. */
export function failureOf(error: unknown): { reason: string; message: string } {
  if (error instanceof AppError) {
    if (error.code === 'IDEMPOTENCY_KEY_REUSED') {
      return { reason: skipReasons.changed, message: 'imported before with different content; kept as it was' }
    }
    if (error.code === 'LEAD_EMPTY') return { reason: skipReasons.empty, message: error.message }
    if (error.extra?.reason === 'customer_erased') return { reason: skipReasons.erased, message: error.message }
    return { reason: skipReasons.invalid, message: `${error.code}: ${error.message}` }
  }
  return { reason: skipReasons.failed, message: (error as Error)?.message ?? String(error) }
}

/**
 * Submits in order with at most `size` ingests in flight, so the group commit can batch them while memory stays
 * bounded. Rows of one lead are submitted in file order, and group commit keeps that order.
 */
export function createSubmitWindow(size: number) {
  const inFlight: Promise<void>[] = []
  return {
    async add(task: Promise<void>): Promise<void> {
      inFlight.push(task)
      if (inFlight.length >= size) await inFlight.shift()
    },
    async finish(): Promise<void> {
      await Promise.all(inFlight.splice(0))
    },
  }
}

/** An idempotency key from `prefix` and an id; ids the key format cannot carry are hashed. */
export function idempotencyKeyOf(prefix: string, id: string): string {
  const key = `${prefix}:${id}`
  if (/^[\x21-\x7e]{1,200}$/.test(key)) return key
  return `${prefix}:#${createHash('sha256').update(id).digest('base64url')}`
}

// ---------------------------------------------------------------------------------------------------------------
// Import: lead files

/** A row that cannot become a lead event; the sentence says why. */
export class RowProblem extends Error {
  override readonly name = 'RowProblem'
}

function textOf(value: unknown, column: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new RowProblem(`${column} must be text`)
}

export interface ParsedRow {
  /** The body for the ingest service (format `file`). */
  readonly body: Record<string, unknown>
  readonly idempotencyKey: string
  /** The offer the lead belonged to, to create when the store does not know it. */
  readonly offer?: { readonly id: string; readonly title?: string }
}

const customerColumns: Readonly<Record<(typeof customerFields)[number], string>> = {
  firstName: 'FirstName',
  lastName: 'LastName',
  email: 'Email',
  phone: 'Phone',
  country: 'Country',
  company: 'Company',
  title: 'Title',
}

/**
 * A file row as an ingest body. The offer is the lead's (when it had one), so the row joins the same lead again;
 * the idempotency key comes from `eventId`, or from the row's content when there is none.
 */
export function rowToLead(fields: Readonly<Record<string, unknown>>): ParsedRow {
  const get = (column: LeadFileColumn) => textOf(fields[column], column)
  let extra: Record<string, unknown> = {}
  const rawExtra = fields.extra
  if (typeof rawExtra === 'string' && rawExtra.trim() !== '') {
    try {
      extra = JSON.parse(rawExtra) as Record<string, unknown>
    } catch {
      throw new RowProblem('extra is not JSON')
    }
  } else if (rawExtra !== undefined && rawExtra !== null && rawExtra !== '') {
    extra = rawExtra as Record<string, unknown>
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new RowProblem('extra must be a JSON object')
  }
  const occurredText = get('occurredAt')
  let occurredAt: string | undefined
  if (occurredText !== undefined) {
    const time = Date.parse(occurredText)
    if (!Number.isFinite(time)) throw new RowProblem(`occurredAt "${occurredText.slice(0, 40)}" is not a date`)
    occurredAt = new Date(time).toISOString()
  }
  const customer: Record<string, string> = {}
  for (const field of customerFields) {
    const value = get(field)
    if (value !== undefined) customer[customerColumns[field]] = value
  }
  const offerId = get('offerId')
  const offerRef = get('offerRef')
  const product = offerId ?? offerRef
  const body: Record<string, unknown> = { ...extra }
  // Columns the file has beyond Leadrelay's go to the ingest as they are (it keeps what it does not know).
  for (const [name, value] of Object.entries(fields)) {
    if (!columnsByKey.has(columnKey(name)) && value !== '' && value !== undefined) body[name] = value
  }
  const set = (name: string, value: unknown) => {
    if (value !== undefined) body[name] = value
  }
  set('LeadSource', get('leadSource'))
  set('Source', get('source'))
  set('ActionCode', get('action'))
  set('ProductId', product)
  set('OfferTitle', get('offerTitle'))
  set('Description', get('description'))
  set('CreatedTime', occurredAt)
  if (Object.keys(customer).length > 0) body.CustomerInfo = customer
  const eventId = get('eventId')
  const idempotencyKey =
    eventId !== undefined
      ? idempotencyKeyOf('file', eventId)
      : `file:#${createHash('sha256').update(JSON.stringify(body)).digest('base64url')}`
  const offerName = get('offerName')
  return {
    body,
    idempotencyKey,
    ...(offerId !== undefined && { offer: { id: offerId, ...(offerName !== undefined && { title: offerName }) } }),
  }
}

export interface ImportFileOptions {
  readonly tenantId: string
  readonly input: Readable
  readonly format: LeadFileFormat
  /** Called with the line number reached, as rows are read. */
  readonly onProgress?: (line: number) => void
  /** Called for every row that is skipped for a problem (not for rows imported before). */
  readonly onProblem?: (problem: { line: number; reason: string; message: string }) => void
  /** Ingests in flight at once (default 500). */
  readonly window?: number
}

export interface ImportFileDeps {
  readonly store: Store
  readonly ingest: IngestService
  readonly clock: Clock
}

/**
 * Imports a lead file row by row. Each row is one lead event, stored in one transaction, so a row is imported
 * whole or not at all; malformed rows are reported with their line number and skipped.
 */
export async function importLeadFile(deps: ImportFileDeps, options: ImportFileOptions): Promise<ImportSummary> {
  const summary = emptySummary()
  const window = createSubmitWindow(options.window ?? 500)
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
    await window.add(
      deps.ingest
        .ingest({
          tenantId: options.tenantId,
          format: 'file',
          body: parsed.body,
          idempotencyKey: parsed.idempotencyKey,
        })
        .then(
          (response) => countRecorded(summary, response),
          (error: unknown) => {
            const failure = failureOf(error)
            problem(line, failure.reason, failure.message)
          },
        ),
    )
  }
  await window.finish()
  return summary
}

/** Lines in a file (a quick pass for the progress bar; records spanning lines make it an upper bound). */
export async function countLines(input: Readable): Promise<number> {
  let count = 0
  let last = -1
  for await (const chunk of input as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++
    last = chunk.at(-1) ?? last
  }
  return last !== -1 && last !== 10 ? count + 1 : count
}

/** Skip reasons that are not a problem: the row was there before. */
const harmless = new Set<string>([skipReasons.duplicate, skipReasons.changed])

/** Rows skipped for a problem (malformed, invalid, not stored), as opposed to rows imported before. */
export function problemCount(summary: ImportSummary): number {
  return Object.entries(summary.reasons)
    .filter(([reason]) => !harmless.has(reason))
    .reduce((total, [, count]) => total + count, 0)
}

/** `Read 12 rows: 3 new leads, 7 merged into existing leads, 2 skipped (1 already imported, 1 malformed row).` */
export function importSummaryText(summary: ImportSummary, noun: string): string {
  const reasons = Object.entries(summary.reasons)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ')
  const offers = summary.offersCreated > 0 ? ` ${summary.offersCreated} offers created.` : ''
  return `Read ${summary.read} ${noun}: ${summary.new} new leads, ${summary.merged} merged into existing leads, ${summary.skipped} skipped${reasons ? ` (${reasons})` : ''}.${offers}`
}
