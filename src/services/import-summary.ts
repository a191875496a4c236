/**
 * What every import (lead files, Azure Table) counts and reports: the summary, the skip reasons, the sentence
 * printed at the end, and the idempotency key an imported row is stored under.
 */

import { createHash } from 'node:crypto'
import { AppError } from '../core/errors.ts'
import type { IngestResponse } from './ingest.ts'

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
