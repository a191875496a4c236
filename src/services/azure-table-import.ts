/**
 * Imports the leads Microsoft wrote to an Azure Table (`MarketplaceLeads`) through the ingest service's checks and
 * store method, so they merge, route and deliver like leads received live; the CLI writes them in transactions of
 * thousands (services/bulk-ingest.ts). Idempotent per entity (its table, PartitionKey and RowKey);
 * can follow a table Microsoft keeps writing to, remembering the newest `Timestamp` seen in a state file.
 */

import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TableClient } from '@azure/data-tables'
import { tableSdk } from '../destinations/azure-table/config.ts'
import { unescapeKey } from '../destinations/azure-table/field-map.ts'
import { asBulkIngest, type BulkIngest } from './bulk-ingest.ts'
import {
  countRecorded,
  countSkip,
  emptySummary,
  failureOf,
  type ImportSummary,
  idempotencyKeyOf,
} from './import-summary.ts'
import type { IngestService } from './ingest.ts'

/** Entities Leadrelay's own Azure Table destination wrote carry these; importing them would echo leads back. */
const leadrelayColumns = ['LeadId', 'LeadVersion'] as const

const customerColumns = ['FirstName', 'LastName', 'Email', 'Phone', 'Country', 'Company', 'Title'] as const

export const skipWrittenByLeadrelay = 'written by Leadrelay (has LeadId and LeadVersion columns)'

type Entity = Readonly<Record<string, unknown>> & {
  readonly partitionKey?: string
  readonly rowKey?: string
  readonly timestamp?: string
}

const usDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?\s*([AP]M)?)?$/i

/**
 * Microsoft's `CreatedTime` is a string; its format is not documented. Reads ISO 8601 (UTC unless it says
 * otherwise) and .NET's US format (`9/28/2018 10:23:45 AM`, taken as UTC). Undefined when neither fits.
 */
export function parseCreatedTime(text: string): number | undefined {
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  const us = trimmed.match(usDate)
  if (us) {
    const [, month, day, year, hour = '0', minute = '0', second = '0', fraction = '0', half] = us
    let hours = Number(hour)
    if (half?.toUpperCase() === 'PM' && hours < 12) hours += 12
    if (half?.toUpperCase() === 'AM' && hours === 12) hours = 0
    const ms = Math.round(Number(`0.${fraction}`) * 1000)
    const time = Date.UTC(Number(year), Number(month) - 1, Number(day), hours, Number(minute), Number(second), ms)
    return Number.isFinite(time) ? time : undefined
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined
  const zoned = /[zZ]|[+-]\d{2}:?\d{2}$/.test(trimmed) || !trimmed.includes('T') ? trimmed : `${trimmed}Z`
  const time = Date.parse(zoned)
  return Number.isFinite(time) ? time : undefined
}

/** Values the SDK may hand back for typed columns, as plain JSON values. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'object' && value !== null && 'value' in value && 'type' in value) {
    return (value as { value: unknown }).value
  }
  return value
}

function findKey(object: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const lower = name.toLowerCase()
  return Object.keys(object).find((key) => key.toLowerCase() === lower)
}

export type EntityLead =
  | { readonly body: Record<string, unknown>; readonly idempotencyKey: string; readonly skip?: undefined }
  | { readonly skip: string; readonly body?: undefined; readonly idempotencyKey?: undefined }

/**
 * One entity as an ingest body (format `azure-table`): its columns as they are, `CreatedTime` as an ISO time
 * (from `CreatedTime`, else the entity's `Timestamp`), and where it came from (`PartitionKey` with Microsoft's
 * `:2F` unescaped, `RowKey`), which the ingest keeps with the event.
 */
export function entityToLead(entity: Entity, table: string): EntityLead {
  const { partitionKey = '', rowKey = '', timestamp, etag: _etag, ...columns } = entity
  if (leadrelayColumns.every((column) => findKey(columns, column) !== undefined))
    return { skip: skipWrittenByLeadrelay }
  const body: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(columns)) {
    if (name.startsWith('odata.')) continue
    body[name] = plain(value)
  }
  // Leadrelay's split layout without CustomerInfo: the customer is in one column per field.
  if (findKey(body, 'CustomerInfo') === undefined && customerColumns.some((c) => findKey(body, c) !== undefined)) {
    const customer: Record<string, unknown> = {}
    for (const column of customerColumns) {
      const key = findKey(body, column)
      if (key === undefined) continue
      customer[column] = body[key]
      delete body[key]
    }
    body.CustomerInfo = customer
  }
  const createdKey = findKey(body, 'CreatedTime')
  const createdText = createdKey === undefined ? undefined : body[createdKey]
  if (createdKey !== undefined) delete body[createdKey]
  const created = typeof createdText === 'string' ? parseCreatedTime(createdText) : undefined
  const written = timestamp === undefined ? undefined : Date.parse(timestamp)
  const occurredAt = created ?? (Number.isFinite(written) ? written : undefined)
  if (occurredAt !== undefined) body.CreatedTime = new Date(occurredAt).toISOString()
  if (created === undefined && createdText !== undefined && createdText !== '') body.CreatedTimeAsWritten = createdText
  body.PartitionKey = unescapeKey(partitionKey)
  body.RowKey = rowKey
  // Table names are case-insensitive; the raw keys are unique within the table.
  return { body, idempotencyKey: idempotencyKeyOf('azure-table', `${table.toLowerCase()}:${partitionKey}:${rowKey}`) }
}

function sinceFilter(since: number | undefined): { filter?: string } {
  return since === undefined ? {} : { filter: tableSdk().odata`Timestamp ge ${new Date(since)}` }
}

/** How many entities an import would read (keys only), for the progress bar. */
export async function countEntities(client: TableClient, since?: number, signal?: AbortSignal): Promise<number> {
  let count = 0
  const pages = client
    .listEntities({
      queryOptions: { select: ['RowKey'], ...sinceFilter(since) },
      ...(signal && { abortSignal: signal }),
    })
    .byPage({ maxPageSize: 1000 })
  for await (const page of pages) count += page.length
  return count
}

export interface AzureTableImportOptions {
  readonly tenantId: string
  readonly client: TableClient
  /** The table's name, as in the idempotency keys. */
  readonly table: string
  /** Only entities written (`Timestamp`) at or after this time (epoch ms). */
  readonly since?: number
  readonly onProgress?: (read: number) => void
  readonly onProblem?: (problem: { key: string; reason: string; message: string }) => void
  /** Ingests in flight at once through the ingest service (default 500); the bulk ingest sets its own pace. */
  readonly window?: number
  readonly signal?: AbortSignal
}

export interface AzureTableImportSummary extends ImportSummary {
  /** The newest `Timestamp` among the entities read (epoch ms). */
  newestTimestamp?: number
}

/** The ingest service (entity by entity, as over HTTP) or the bulk ingest (what the CLI uses). */
export interface AzureTableImportDeps {
  readonly ingest: IngestService | BulkIngest
}

/** Imports the table's entities in the order the table lists them; answers once every one is recorded or refused. */
export async function importAzureTable(
  deps: AzureTableImportDeps,
  options: AzureTableImportOptions,
): Promise<AzureTableImportSummary> {
  const summary: AzureTableImportSummary = emptySummary()
  const rows = asBulkIngest(deps.ingest, options.window ?? 500)
  // Entities read before a failure to read the next page are still recorded.
  try {
    const pages = options.client
      .listEntities({
        queryOptions: sinceFilter(options.since),
        ...(options.signal && { abortSignal: options.signal }),
      })
      .byPage({ maxPageSize: 1000 })
    for await (const page of pages) {
      for (const entity of page as Entity[]) {
        summary.read++
        const written = entity.timestamp === undefined ? Number.NaN : Date.parse(entity.timestamp)
        if (Number.isFinite(written) && (summary.newestTimestamp === undefined || written > summary.newestTimestamp)) {
          summary.newestTimestamp = written
        }
        const key = `${entity.partitionKey ?? ''}/${entity.rowKey ?? ''}`
        const lead = entityToLead(entity, options.table)
        if (lead.skip !== undefined) {
          countSkip(summary, lead.skip)
          continue
        }
        await rows.add(
          { tenantId: options.tenantId, format: 'azure-table', body: lead.body, idempotencyKey: lead.idempotencyKey },
          (result) => {
            if ('response' in result) return countRecorded(summary, result.response)
            const failure = failureOf(result.error)
            countSkip(summary, failure.reason)
            options.onProblem?.({ key, ...failure })
          },
        )
      }
      options.onProgress?.(summary.read)
      if (options.signal?.aborted) break
    }
  } finally {
    await rows.finish()
  }
  return summary
}

/** Where a follow remembers the newest `Timestamp` it has seen: one small JSON file per tenant, table and account. */
export function followStatePath(dataDir: string, tenantId: string, endpoint: string, table: string): string {
  const id = createHash('sha256').update(`${tenantId}\n${endpoint}\n${table.toLowerCase()}`).digest('hex').slice(0, 16)
  return join(dataDir, 'imports', `azure-table-${id}.json`)
}

export interface FollowState {
  readonly endpoint: string
  readonly table: string
  readonly tenantId: string
  /** ISO time of the newest `Timestamp` imported. */
  readonly newestTimestamp: string
  readonly updatedAt: string
}

export function readFollowState(path: string): FollowState | undefined {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as FollowState
    return Number.isFinite(Date.parse(state.newestTimestamp)) ? state : undefined
  } catch {
    return undefined
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
export function writeFollowState(path: string, state: FollowState): void {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`)
  renameSync(temporary, path)
}

/**
 * Entities are re-read from this long before the newest `Timestamp` seen: a write committed a moment late with
 * an earlier time is still found. Re-read entities are recognised by their idempotency key.
 */
export const followOverlapMs = 5 * 60_000

export interface FollowOptions extends Omit<AzureTableImportOptions, 'since' | 'signal'> {
  readonly intervalMs: number
  /** Where the newest `Timestamp` is kept between passes and runs. */
  readonly statePath: string
  readonly endpoint: string
  /** Used when there is no state yet. */
  readonly since?: number
  readonly stopSignal: AbortSignal
  readonly now: () => number
  readonly onPass?: (summary: AzureTableImportSummary, since: number | undefined) => void
  /** A pass that failed (network, credentials); the follow goes on at the next interval. */
  readonly onError?: (error: unknown) => void
}

/** Imports, waits `intervalMs`, imports what was written since, … until `stopSignal` aborts. */
export async function followAzureTable(deps: AzureTableImportDeps, options: FollowOptions): Promise<void> {
  const stored = readFollowState(options.statePath)
  let newest = stored ? Date.parse(stored.newestTimestamp) : undefined
  while (!options.stopSignal.aborted) {
    const since = newest === undefined ? options.since : newest - followOverlapMs
    try {
      const summary = await importAzureTable(deps, {
        ...options,
        ...(since !== undefined && { since }),
        signal: options.stopSignal,
      })
      if (summary.newestTimestamp !== undefined && (newest === undefined || summary.newestTimestamp > newest)) {
        newest = summary.newestTimestamp
        writeFollowState(options.statePath, {
          endpoint: options.endpoint,
          table: options.table,
          tenantId: options.tenantId,
          newestTimestamp: new Date(newest).toISOString(),
          updatedAt: new Date(options.now()).toISOString(),
        })
      }
      options.onPass?.(summary, since)
    } catch (error) {
      if (options.stopSignal.aborted) break
      options.onError?.(error)
    }
    try {
      await sleep(options.intervalMs, undefined, { signal: options.stopSignal })
    } catch {
      break
    }
  }
}
