/**
 * The two Marketo REST calls Leadrelay makes: Sync Leads (`POST /rest/v1/leads.json`) and Describe Leads
 * (`GET /rest/v1/leads/describe.json`). Every call carries `Authorization: Bearer` (never the `access_token` query
 * parameter, which Adobe is removing) and goes through the shared HttpClient.
 * https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/leads
 */

import type { HttpClient, HttpResponse } from '../http-client.ts'
import { type TokenSource, withToken } from './auth.ts'
import { type MarketoErrorEntry, toDeliveryError, tokenRejectedError } from './errors.ts'
import type { MarketoRecord } from './field-map.ts'

export interface SyncLeadsBody {
  readonly action: 'createOrUpdate' | 'createOnly' | 'updateOnly'
  readonly lookupField: string
  readonly partitionName?: string
  readonly input: readonly MarketoRecord[]
}

/** One entry of a Sync Leads `result`, in input order. */
export interface SyncLeadResult {
  readonly id?: number
  readonly status?: string
  readonly reasons?: readonly MarketoErrorEntry[]
}

export interface DescribedField {
  readonly name: string
  readonly readOnly: boolean
}

/** A Marketo answer, sorted by the layer that decided it. */
export type MarketoAnswer<T> =
  /** `success: true`. */
  | { readonly kind: 'ok'; readonly status: number; readonly result: T }
  /** `success: false`: the call failed as a whole, nothing was executed. */
  | { readonly kind: 'errors'; readonly status: number; readonly errors: readonly MarketoErrorEntry[] }
  /** Not HTTP 200. */
  | { readonly kind: 'http'; readonly response: HttpResponse }
  /** HTTP 200 but not the JSON Marketo documents. */
  | { readonly kind: 'unreadable'; readonly status: number }

export interface DescribeResult {
  readonly fields: readonly DescribedField[]
  /** False when the answer was longer than the HTTP client reads: fields missing from `fields` may still exist. */
  readonly complete: boolean
}

export interface MarketoClient {
  syncLeads(body: SyncLeadsBody, signal: AbortSignal): Promise<MarketoAnswer<readonly SyncLeadResult[]>>
  describeLeads(signal: AbortSignal): Promise<MarketoAnswer<DescribeResult>>
  /**
   * Delete Leads (`POST /rest/v1/leads/delete.json`, `{"input":[{"id":…}]}`): one result per id, `deleted`, or
   * `skipped` with reason 1004 when no such lead.
   * https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/leads#delete
   */
  deleteLeads(ids: readonly number[], signal: AbortSignal): Promise<MarketoAnswer<readonly SyncLeadResult[]>>
}

export interface MarketoClientOptions {
  readonly http: HttpClient
  readonly tokens: TokenSource
  /** The REST base, e.g. `https://123-ABC-456.mktorest.com` (no `/rest`). */
  readonly baseUrl: string
  readonly timeoutMs: number
}

const tokenCodes = new Set(['601', '602'])

function errorsOf(value: unknown): MarketoErrorEntry[] | undefined {
  if (!Array.isArray(value)) return undefined
  return value.map((entry: { code?: unknown; message?: unknown }) => ({
    code: String(entry?.code ?? ''),
    message: typeof entry?.message === 'string' ? entry.message : '',
  }))
}

/** Sorts an answer by layer; `readResult` turns a `success: true` body's `result` into T (undefined if malformed). */
function readAnswer<T>(
  response: HttpResponse,
  readResult: (body: Record<string, unknown>) => T | undefined,
): MarketoAnswer<T> {
  if (response.status !== 200) return { kind: 'http', response }
  let body: Record<string, unknown>
  try {
    body = JSON.parse(response.body) as Record<string, unknown>
  } catch {
    return { kind: 'unreadable', status: response.status }
  }
  if (typeof body !== 'object' || body === null) return { kind: 'unreadable', status: response.status }
  if (body.success === false) {
    const errors = errorsOf(body.errors)
    return errors && errors.length > 0
      ? { kind: 'errors', status: response.status, errors }
      : { kind: 'unreadable', status: response.status }
  }
  const result = body.success === true ? readResult(body) : undefined
  return result === undefined ? { kind: 'unreadable', status: response.status } : { kind: 'ok', status: 200, result }
}

function readSyncResult(body: Record<string, unknown>): SyncLeadResult[] | undefined {
  if (!Array.isArray(body.result)) return undefined
  return body.result.map((entry: { id?: unknown; status?: unknown; reasons?: unknown }) => ({
    ...(typeof entry?.id === 'number' && { id: entry.id }),
    ...(typeof entry?.status === 'string' && { status: entry.status }),
    ...(errorsOf(entry?.reasons) && { reasons: errorsOf(entry?.reasons)! }),
  }))
}

function readDescribedFields(result: unknown): DescribedField[] | undefined {
  if (!Array.isArray(result)) return undefined
  return result.flatMap((field: { rest?: { name?: unknown; readOnly?: unknown } }) =>
    typeof field?.rest?.name === 'string' ? [{ name: field.rest.name, readOnly: field.rest.readOnly === true }] : [],
  )
}

/**
 * A describe answer cut by the HTTP client's size cap is not valid JSON any more; the fields it does hold are still
 * worth reading, so they are picked out of the text.
 */
function scanDescribedFields(text: string): DescribedField[] {
  const fields: DescribedField[] = []
  for (const match of text.matchAll(
    /"rest"\s*:\s*\{\s*"name"\s*:\s*"([^"]+)"\s*(?:,\s*"readOnly"\s*:\s*(true|false))?/g,
  )) {
    fields.push({ name: match[1]!, readOnly: match[2] === 'true' })
  }
  return fields
}

export function createMarketoClient(options: MarketoClientOptions): MarketoClient {
  const { http, tokens, baseUrl, timeoutMs } = options

  async function send(
    token: string,
    method: 'GET' | 'POST',
    path: string,
    signal: AbortSignal,
    body?: string,
  ): Promise<HttpResponse> {
    try {
      return await http.send({
        method,
        url: `${baseUrl}${path}`,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body }),
        timeoutMs,
        signal,
        // A real instance describes hundreds of fields: far more than a sync answer.
        ...(method === 'GET' && { maxResponseBytes: 4 * 1024 * 1024 }),
      })
    } catch (error) {
      throw toDeliveryError(error)
    }
  }

  /** Runs one call; a 601/602 answer gets one new token and one repeat, a second one is an auth failure. */
  function authorised<T>(signal: AbortSignal, call: (token: string) => Promise<MarketoAnswer<T>>) {
    const tokenRejection = (answer: MarketoAnswer<T>) =>
      answer.kind === 'errors' ? answer.errors.find((error) => tokenCodes.has(error.code)) : undefined
    return withToken(
      tokens,
      signal,
      call,
      (answer) => tokenRejection(answer) !== undefined,
      (answer) => tokenRejectedError(tokenRejection(answer)!, answer.kind === 'errors' ? answer.status : undefined),
    )
  }

  return {
    syncLeads(body, signal) {
      const json = JSON.stringify(body)
      return authorised(signal, async (token) =>
        readAnswer(await send(token, 'POST', '/rest/v1/leads.json', signal, json), readSyncResult),
      )
    },
    deleteLeads(ids, signal) {
      const json = JSON.stringify({ input: ids.map((id) => ({ id })) })
      return authorised(signal, async (token) =>
        readAnswer(await send(token, 'POST', '/rest/v1/leads/delete.json', signal, json), readSyncResult),
      )
    },
    describeLeads(signal) {
      return authorised(signal, async (token): Promise<MarketoAnswer<DescribeResult>> => {
        const response = await send(token, 'GET', '/rest/v1/leads/describe.json', signal)
        if (response.truncated && response.status === 200 && /"success"\s*:\s*true/.test(response.body)) {
          return { kind: 'ok', status: 200, result: { fields: scanDescribedFields(response.body), complete: false } }
        }
        return readAnswer(response, (parsed): DescribeResult | undefined => {
          const fields = readDescribedFields(parsed.result)
          return fields && { fields, complete: true }
        })
      })
    },
  }
}
