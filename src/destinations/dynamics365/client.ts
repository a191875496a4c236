/**
 * The few Dataverse Web API v9.2 calls the connector makes, over the `HttpClient` port. Every call carries the OData
 * headers Microsoft documents, and a 401 refreshes the token once per operation before it counts as a failure.
 */

import { DeliveryError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient, HttpRequest, HttpResponse } from '../http-client.ts'
import type { TokenSource } from './auth.ts'
import { classifyDataverse, type DataverseSignal, signalFailure, toDeliveryError } from './errors.ts'

export const apiVersion = 'v9.2'

/** `{environmentUrl}/api/data/v9.2`, without a trailing slash. */
export function apiBaseOf(environmentUrl: string): string {
  return `${new URL(environmentUrl).origin}/api/data/${apiVersion}`
}

/** An OData string literal's content: a single quote is written twice. */
export function odataString(value: string): string {
  return value.replaceAll("'", "''")
}

/** A lead addressed by its primary key or by an alternate key on one column. */
export type LeadTarget = { readonly id: string } | { readonly column: string; readonly value: string }

export function leadUrl(apiBase: string, target: LeadTarget): string {
  if ('id' in target) return `${apiBase}/leads(${target.id})`
  return `${apiBase}/leads(${target.column}='${encodeURIComponent(odataString(target.value))}')`
}

/** The oldest two leads with this email: one to update, and a second one tells us there are duplicates. */
export function findByEmailUrl(apiBase: string, email: string): string {
  const filter = encodeURIComponent(`emailaddress1 eq '${odataString(email)}'`)
  return `${apiBase}/leads?$select=leadid&$filter=${filter}&$orderby=${encodeURIComponent('createdon asc')}&$top=2`
}

export const odataHeaders: Readonly<Record<string, string>> = {
  accept: 'application/json',
  'odata-maxversion': '4.0',
  'odata-version': '4.0',
}

export const jsonContentType = 'application/json; charset=utf-8'

/** `create`: only if no record has the key (`If-None-Match: *`); `update`: only if one does (`If-Match: *`). */
export type WriteMode = 'create' | 'update'

export function writeHeaders(mode: WriteMode): Record<string, string> {
  return {
    'content-type': jsonContentType,
    prefer: 'return=representation',
    ...(mode === 'create' ? { 'if-none-match': '*' } : { 'if-match': '*' }),
  }
}

/** One deliver or verify: a 401 refreshes the token at most once within it. */
export interface DataverseOperation {
  readonly signal: AbortSignal
  refreshed: boolean
}

export interface LeadKeyDefinition {
  readonly logicalName: string
  readonly keyAttributes: readonly string[]
  /** `Active`, `Pending`, `InProgress` or `Failed`: only an Active key can address records. */
  readonly indexStatus: string
}

export type WriteResult =
  | { readonly outcome: 'written'; readonly id: string | undefined; readonly status: number }
  | { readonly outcome: 'exists' | 'missing'; readonly status: number }

export interface DataverseClient {
  readonly apiBase: string
  /** `GET /WhoAmI`: proves the token and the application user. */
  whoAmI(operation: DataverseOperation): Promise<{ userId: string | undefined }>
  /** `GET /leads?$select=leadid&$top=1`: proves read access to the lead table. */
  readOneLead(operation: DataverseOperation): Promise<void>
  /** `GET /EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='…')`; false when there is no such column. */
  leadColumnExists(column: string, operation: DataverseOperation): Promise<boolean>
  /** `GET /EntityDefinitions(LogicalName='lead')/Keys`. */
  leadKeys(operation: DataverseOperation): Promise<LeadKeyDefinition[]>
  /** Ids of the (at most two) oldest leads whose emailaddress1 is `email`. */
  findLeadIdsByEmail(email: string, operation: DataverseOperation): Promise<string[]>
  /** `POST /leads`; the new id comes from the `OData-EntityId` header. */
  createLead(body: Readonly<Record<string, unknown>>, operation: DataverseOperation): Promise<WriteResult>
  /** `PATCH /leads(…)` with `If-None-Match: *` (create) or `If-Match: *` (update). */
  writeLead(
    target: LeadTarget,
    body: Readonly<Record<string, unknown>>,
    mode: WriteMode,
    operation: DataverseOperation,
  ): Promise<WriteResult>
  /**
   * `DELETE /leads(…)`: 204, or `missing` (404) when no such lead is left.
   * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#basic-delete
   */
  deleteLead(target: LeadTarget, operation: DataverseOperation): Promise<{ deleted: boolean; status: number }>
}

export interface DataverseClientOptions {
  readonly http: HttpClient
  readonly clock: Clock
  readonly tokens: TokenSource
  readonly environmentUrl: string
  readonly timeoutMs: number
}

function jsonOf(response: HttpResponse): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(response.body) as unknown
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const guidInParens = /\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)\s*$/i

/** The record id a write answered with: `leadid` in the body, else the `OData-EntityId` header. */
export function writtenId(response: HttpResponse): string | undefined {
  const leadid = jsonOf(response)?.leadid
  if (typeof leadid === 'string') return leadid
  return guidInParens.exec(response.headers['odata-entityid'] ?? '')?.[1]
}

interface SendOptions {
  readonly body?: Readonly<Record<string, unknown>>
  readonly headers?: Readonly<Record<string, string>>
  /** Signals the caller handles itself; any other signal fails the call. */
  readonly signals?: readonly DataverseSignal[]
  /** Statuses returned as they are, unclassified (a 401 still refreshes the token first). */
  readonly passthrough?: readonly number[]
}

export function createDataverseClient(options: DataverseClientOptions): DataverseClient {
  const { http, clock, tokens, timeoutMs } = options
  const apiBase = apiBaseOf(options.environmentUrl)

  async function send(
    method: HttpRequest['method'],
    url: string,
    operation: DataverseOperation,
    sendOptions: SendOptions = {},
  ): Promise<{ response: HttpResponse; signal?: DataverseSignal }> {
    for (;;) {
      const token = await tokens.get(operation.signal)
      let response: HttpResponse
      try {
        response = await http.send({
          method,
          url,
          headers: {
            ...odataHeaders,
            ...(method === 'GET' && { 'if-none-match': 'null' }),
            ...sendOptions.headers,
            ...(sendOptions.body && !sendOptions.headers?.['content-type'] && { 'content-type': jsonContentType }),
            authorization: `Bearer ${token}`,
          },
          ...(sendOptions.body && { body: JSON.stringify(sendOptions.body) }),
          timeoutMs,
          signal: operation.signal,
        })
      } catch (error) {
        throw toDeliveryError(error, 'Dataverse')
      }
      const now = clock.now()
      if (response.status !== 401 && sendOptions.passthrough?.includes(response.status)) return { response }
      const verdict = classifyDataverse(response, now)
      if (verdict.ok) return { response }
      if ('error' in verdict) throw verdict.error
      if (verdict.signal === 'unauthorized') {
        if (operation.refreshed) throw signalFailure('auth', verdict.rule, response, now)
        operation.refreshed = true
        tokens.invalidate(token)
        continue
      }
      if (sendOptions.signals?.includes(verdict.signal)) return { response, signal: verdict.signal }
      throw unexpectedSignal(verdict.signal, response)
    }
  }

  return {
    apiBase,

    async whoAmI(operation) {
      const { response } = await send('GET', `${apiBase}/WhoAmI`, operation)
      const userId = jsonOf(response)?.UserId
      return { userId: typeof userId === 'string' ? userId : undefined }
    },

    async readOneLead(operation) {
      await send('GET', `${apiBase}/leads?$select=leadid&$top=1`, operation)
    },

    async leadColumnExists(column, operation) {
      const url = `${apiBase}/EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='${odataString(column)}')?$select=LogicalName`
      const { response } = await send('GET', url, operation, { passthrough: [404] })
      return response.status !== 404
    },

    async leadKeys(operation) {
      const url = `${apiBase}/EntityDefinitions(LogicalName='lead')/Keys?$select=LogicalName,KeyAttributes,EntityKeyIndexStatus`
      const { response } = await send('GET', url, operation)
      const value = jsonOf(response)?.value
      if (!Array.isArray(value)) return []
      return value.map((entry: Record<string, unknown>) => ({
        logicalName: String(entry.LogicalName ?? ''),
        keyAttributes: Array.isArray(entry.KeyAttributes) ? entry.KeyAttributes.map(String) : [],
        indexStatus: String(entry.EntityKeyIndexStatus ?? ''),
      }))
    },

    async findLeadIdsByEmail(email, operation) {
      const { response } = await send('GET', findByEmailUrl(apiBase, email), operation)
      const value = jsonOf(response)?.value
      if (!Array.isArray(value)) return []
      return value
        .map((row: Record<string, unknown>) => row?.leadid)
        .filter((id): id is string => typeof id === 'string')
    },

    async createLead(body, operation) {
      const { response } = await send('POST', `${apiBase}/leads`, operation, { body })
      return { outcome: 'written', id: writtenId(response), status: response.status }
    },

    async writeLead(target, body, mode, operation) {
      const { response, signal } = await send('PATCH', `${leadUrl(apiBase, target)}?$select=leadid`, operation, {
        body,
        headers: writeHeaders(mode),
        signals: [mode === 'create' ? 'exists' : 'missing'],
      })
      if (signal === 'exists' || signal === 'missing') return { outcome: signal, status: response.status }
      return { outcome: 'written', id: writtenId(response), status: response.status }
    },

    async deleteLead(target, operation) {
      const { response } = await send('DELETE', leadUrl(apiBase, target), operation, { passthrough: [404] })
      return { deleted: response.status !== 404, status: response.status }
    },
  }
}

function unexpectedSignal(signal: DataverseSignal, response: HttpResponse): DeliveryError {
  if (signal === 'exists') {
    return new DeliveryError(
      'rejected',
      `Dataverse refused to create the lead because another lead already has the same value in a column with an alternate key (HTTP ${response.status}). If the lead table has an alternate key on a mapped column such as emailaddress1, set matchBy to "alternateKey" on that column or remove the key, then replay the delivery.`,
      { status: response.status },
    )
  }
  return new DeliveryError(
    'retryable',
    `Dataverse answered that the record does not exist (HTTP ${response.status}) where one was expected; will retry.`,
    { status: response.status },
  )
}
