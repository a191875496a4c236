/**
 * The CSV dialect of lead files (RFC 4180, docs/import-export.md). Writing goes through `csv-stringify`; reading is
 * ours, because it resumes on the line after a malformed record and reads four times as fast as `csv-parse`
 * (docs/decisions/0011-lead-file-csv-reader.md).
 */

import type { Readable } from 'node:stream'
import { stringify } from 'csv-stringify/sync'

const writeOptions = {
  record_delimiter: 'windows',
  // csv-stringify quotes commas, quotes and its own record delimiter; a lone CR or LF and edge spaces (which
  // spreadsheets would trim) need asking for.
  quoted_match: /[\r\n]|^\s|\s$/,
} as const

/** Records as CSV text, each ended by CRLF; fields quoted when they hold a comma, quote, line break or edge space. */
export function csvText(records: readonly (readonly string[])[]): string {
  // A lone empty field would be a blank line, which readers skip.
  const lone = records.some((record) => record.length === 1 && record[0] === '')
  return stringify(records as string[][], lone ? { ...writeOptions, quoted_empty: true } : writeOptions)
}

/** One record as a CSV line (CRLF included). */
export function csvLine(values: readonly string[]): string {
  return csvText([values])
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

/** A line of the file, numbered from 1. */
export interface SourceLine {
  readonly text: string
  readonly line: number
}

/** Lines split on `\n` only, so a `\r` inside a quoted CSV field survives; a leading BOM is dropped. */
export async function* linesOf(input: Readable): AsyncGenerator<SourceLine> {
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

/** How far one record may run on (an unclosed quote otherwise swallows the rest of the file). */
const maxRecordLines = 1000
const maxRecordChars = 1_000_000

function quoteCount(text: string): number {
  let count = 0
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) count++
  return count
}

/** A CSV record: its first line's number, and its fields or why it could not be read. */
export interface CsvRecord {
  readonly line: number
  readonly fields?: string[]
  readonly error?: string
}

/** CSV records with their line numbers; a malformed record is reported and reading resumes on its next line. */
export async function* csvRecords(lines: AsyncGenerator<SourceLine>): AsyncGenerator<CsvRecord> {
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
