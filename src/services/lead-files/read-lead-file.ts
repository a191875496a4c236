/** Reading a lead file: its records as objects under the canonical column names, with their line numbers. */

import type { Readable } from 'node:stream'
import { AppError } from '../../core/errors.ts'
import { csvRecords, linesOf } from './csv-dialect.ts'
import { type LeadFileFormat, leadFileColumnOf } from './lead-file-columns.ts'

/** A record read from a file: its first line's number, and its fields or why it could not be read. */
export interface FileRecord {
  readonly line: number
  readonly fields?: Readonly<Record<string, unknown>>
  readonly error?: string
}

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
      for (const [name, field] of Object.entries(value)) fields[leadFileColumnOf(name) ?? name] = field
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
      header = record.fields.map((name) => leadFileColumnOf(name) ?? name.trim())
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
