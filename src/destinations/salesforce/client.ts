/**
 * The Salesforce calls Leadrelay makes, and nothing else: the token request, five REST calls on Lead and the
 * Web-to-Lead form post. Requests are built as plain data first, so `preview` shows exactly what is sent.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/
 */

import type { HttpClient, HttpResponse } from '../http-client.ts'
import type { SalesforceSession } from './auth.ts'

export const salesforceUserAgent = 'Leadrelay-Salesforce/1'

/** A REST call relative to the instance URL. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Path and query, e.g. `/services/data/v60.0/sobjects/Lead/describe`. */
  readonly path: string
  readonly body?: unknown
}

export type LeadFields = Readonly<Record<string, string | number | boolean>>

function dataPath(version: string, rest: string): string {
  return `/services/data/v${version}${rest}`
}

/**
 * A SOQL string literal: backslash and both quotes escaped, and the control characters SOQL has escapes for.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm
 */
export function soqlString(value: string): string {
  const escaped = value.replace(/[\\'"\n\r\t\b\f]/g, (char) => {
    switch (char) {
      case '\n':
        return '\\n'
      case '\r':
        return '\\r'
      case '\t':
        return '\\t'
      case '\b':
        return '\\b'
      case '\f':
        return '\\f'
      default:
        return `\\${char}`
    }
  })
  return `'${escaped}'`
}

/** The SOQL that finds the Lead to update in `matchBy: email` mode: the oldest unconverted Lead with the email. */
export function findByEmailSoql(email: string): string {
  return `SELECT Id FROM Lead WHERE Email = ${soqlString(email)} AND IsConverted = false ORDER BY CreatedDate ASC LIMIT 1`
}

export const leadRequests = {
  /** Upsert by external id: 201 created, 200 (204 before v46) updated, 300 several matches. */
  upsert(version: string, externalIdField: string, value: string, fields: LeadFields): ApiRequest {
    return {
      method: 'PATCH',
      path: dataPath(version, `/sobjects/Lead/${externalIdField}/${encodeURIComponent(value)}`),
      body: fields,
    }
  },
  /** sObject Collections upsert, at most 200 records; always 200 with one result per record, in order. */
  upsertMany(version: string, externalIdField: string, records: readonly LeadFields[]): ApiRequest {
    return {
      method: 'PATCH',
      path: dataPath(version, `/composite/sobjects/Lead/${externalIdField}`),
      body: { allOrNone: false, records: records.map((record) => ({ attributes: { type: 'Lead' }, ...record })) },
    }
  },
  query(version: string, soql: string): ApiRequest {
    return { method: 'GET', path: dataPath(version, `/query?q=${encodeURIComponent(soql)}`) }
  },
  /** Update by record id: 204. */
  update(version: string, id: string, fields: LeadFields): ApiRequest {
    return { method: 'PATCH', path: dataPath(version, `/sobjects/Lead/${encodeURIComponent(id)}`), body: fields }
  },
  /** Create: 201 `{ id, success, errors }`. */
  create(version: string, fields: LeadFields): ApiRequest {
    return { method: 'POST', path: dataPath(version, '/sobjects/Lead'), body: fields }
  },
  /**
   * Delete by record id, or by External ID (`/sobjects/Lead/{field}/{value}`): 204, or 404 when already gone.
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_delete_record.htm
   */
  delete(version: string, id: string, externalIdField?: string): ApiRequest {
    const key = externalIdField === undefined ? '' : `${externalIdField}/`
    return { method: 'DELETE', path: dataPath(version, `/sobjects/Lead/${key}${encodeURIComponent(id)}`) }
  },
  describe(version: string): ApiRequest {
    return { method: 'GET', path: dataPath(version, '/sobjects/Lead/describe') }
  },
}

/** Sends one REST call with the session's bearer token; rejects only with `HttpClientError`. */
export function sendApi(
  http: HttpClient,
  session: SalesforceSession,
  request: ApiRequest,
  options: { signal: AbortSignal; timeoutMs: number; headers?: Readonly<Record<string, string>> },
): Promise<HttpResponse> {
  const hasBody = request.body !== undefined
  return http.send({
    method: request.method,
    url: `${session.instanceUrl}${request.path}`,
    headers: {
      'user-agent': salesforceUserAgent,
      accept: 'application/json',
      ...(hasBody && { 'content-type': 'application/json' }),
      ...options.headers,
      authorization: `Bearer ${session.accessToken}`,
    },
    ...(hasBody && { body: JSON.stringify(request.body) }),
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    // A Lead describe lists every field with its metadata: often several hundred KiB.
    ...(request.method === 'GET' && { maxResponseBytes: 8 * 1024 * 1024 }),
  })
}

/** `POST {loginUrl}/services/oauth2/token` with a form body; client credentials go in the body, not Basic auth. */
export function requestToken(
  http: HttpClient,
  options: { loginUrl: string; form: Readonly<Record<string, string>>; signal: AbortSignal; timeoutMs: number },
): Promise<HttpResponse> {
  return http.send({
    method: 'POST',
    url: `${options.loginUrl}/services/oauth2/token`,
    headers: {
      'user-agent': salesforceUserAgent,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(options.form).toString(),
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  })
}

/** The Web-to-Lead form post: no credentials, the org is named by `oid`. */
export function postWebToLead(
  http: HttpClient,
  options: { url: string; body: string; signal: AbortSignal; timeoutMs: number },
): Promise<HttpResponse> {
  return http.send({
    method: 'POST',
    url: options.url,
    headers: { 'user-agent': salesforceUserAgent, 'content-type': 'application/x-www-form-urlencoded' },
    body: options.body,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  })
}

/** A plain GET, for checking that the Web-to-Lead servlet answers. */
export function getUrl(
  http: HttpClient,
  options: { url: string; signal: AbortSignal; timeoutMs: number },
): Promise<HttpResponse> {
  return http.send({
    method: 'GET',
    url: options.url,
    headers: { 'user-agent': salesforceUserAgent },
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  })
}
