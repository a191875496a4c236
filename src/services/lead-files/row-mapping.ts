/**
 * Lead file rows both ways: one event of a lead as a row (export), and a row as an ingest body with its idempotency
 * key and offer (import). The columns are described in docs/import-export.md.
 */

import { createHash } from 'node:crypto'
import { customerFields } from '../../core/customer.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { isoTime } from '../../core/time.ts'
import { idempotencyKeyOf } from '../import-summary.ts'
import { csvLine } from './csv-dialect.ts'
import {
  type LeadFileColumn,
  type LeadFileFormat,
  type LeadFileRow,
  leadFileColumnOf,
  leadFileColumns,
} from './lead-file-columns.ts'

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
    occurredAt: isoTime(event.occurredAt),
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

/** A row as a record of the JSONL format: empty columns left out, `isTest` a boolean and `extra` an object. */
function jsonRecord(row: LeadFileRow): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (const column of leadFileColumns) {
    const value = row[column]
    if (value === '') continue
    if (column === 'extra') record.extra = JSON.parse(value)
    else if (column === 'isTest') record.isTest = value === 'true'
    else record[column] = value
  }
  return record
}

/** Rows as the text of the file's format, in order. */
export function formatRows(rows: readonly LeadFileRow[], format: LeadFileFormat): string {
  if (format === 'jsonl') return rows.map((row) => `${JSON.stringify(jsonRecord(row))}\n`).join('')
  return rows.map((row) => csvLine(leadFileColumns.map((column) => row[column]))).join('')
}

/** The header line of a CSV export; JSONL has none. */
export function fileHeader(format: LeadFileFormat): string {
  return format === 'csv' ? csvLine(leadFileColumns) : ''
}

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

function extraOf(raw: unknown): Record<string, unknown> {
  let extra: unknown = {}
  if (typeof raw === 'string' && raw.trim() !== '') {
    try {
      extra = JSON.parse(raw)
    } catch {
      throw new RowProblem('extra is not JSON')
    }
  } else if (raw !== undefined && raw !== null && raw !== '') {
    extra = raw
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new RowProblem('extra must be a JSON object')
  }
  return extra as Record<string, unknown>
}

/**
 * A file row as an ingest body. The offer is the lead's (when it had one), so the row joins the same lead again;
 * the idempotency key comes from `eventId`, or from the row's content when there is none.
 */
export function rowToLead(fields: Readonly<Record<string, unknown>>): ParsedRow {
  const get = (column: LeadFileColumn) => textOf(fields[column], column)
  const extra = extraOf(fields.extra)
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
    if (leadFileColumnOf(name) === undefined && value !== '' && value !== undefined) body[name] = value
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
