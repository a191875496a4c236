/**
 * A `TableClient` of `@azure/data-tables` whose requests go through Leadrelay's `HttpClient` port (the SSRF guard,
 * timeouts, no redirects), and the credentials a destination or an import is configured with.
 */

import type { TableClient, TableServiceClientOptions } from '@azure/data-tables'
import type { HttpClient as LeadrelayHttpClient } from '../http-client.ts'
import { type AzureTableCredentials, connectionStringParts, tableSdk } from './config.ts'

/** The SDK pipeline's HTTP client interface (from @azure/core-rest-pipeline, reached through the SDK's options). */
export type PipelineHttpClient = NonNullable<TableServiceClientOptions['httpClient']>
type PipelineRequest = Parameters<PipelineHttpClient['sendRequest']>[0]
type PipelineResponse = Awaited<ReturnType<PipelineHttpClient['sendRequest']>>
type PipelineHeaders = PipelineResponse['headers']

/** The SDK's `HttpHeaders`: case-insensitive names, iteration in insertion order. */
class Headers implements PipelineHeaders {
  private readonly entries = new Map<string, { name: string; value: string }>()
  constructor(raw: Readonly<Record<string, string>> = {}) {
    for (const [name, value] of Object.entries(raw)) this.set(name, value)
  }
  get(name: string): string | undefined {
    return this.entries.get(name.toLowerCase())?.value
  }
  has(name: string): boolean {
    return this.entries.has(name.toLowerCase())
  }
  set(name: string, value: string | number | boolean): void {
    this.entries.set(name.toLowerCase(), { name, value: String(value) })
  }
  delete(name: string): void {
    this.entries.delete(name.toLowerCase())
  }
  toJSON(options: { preserveCase?: boolean } = {}): Record<string, string> {
    const result: Record<string, string> = {}
    for (const [key, entry] of this.entries) result[options.preserveCase ? entry.name : key] = entry.value
    return result
  }
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (const [key, entry] of this.entries) yield [key, entry.value]
  }
}

/** The SDK passes an `AbortSignalLike`; the port wants a real `AbortSignal`. */
function abortSignalOf(like: NonNullable<PipelineRequest['abortSignal']>): AbortSignal {
  if (like instanceof AbortSignal) return like
  const controller = new AbortController()
  if (like.aborted) controller.abort()
  else like.addEventListener('abort', () => controller.abort(), { once: true })
  return controller.signal
}

const methods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])

/** A request body as the port takes it. The table SDK only ever sends JSON or multipart text. */
function bodyOf(body: PipelineRequest['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  throw new Error('The Azure Table client sent a streamed body, which Leadrelay does not relay')
}

/**
 * Adapts Leadrelay's `HttpClient` to the SDK pipeline: every request the SDK makes (create table, upsert,
 * transactions, queries) passes the SSRF guard, the response cap and the timeout of `http`.
 */
export function createPipelineHttpClient(http: LeadrelayHttpClient): PipelineHttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      if (!methods.has(request.method)) throw new Error(`Unsupported method ${request.method}`)
      const headers = new Headers(request.headers.toJSON({ preserveCase: true }))
      // Our client reads bodies as text and does not decompress; the table service answers uncompressed anyway.
      headers.delete('accept-encoding')
      const body = bodyOf(request.body)
      const response = await http.send({
        method: request.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
        url: request.url,
        headers: headers.toJSON({ preserveCase: true }),
        ...(body !== undefined && { body }),
        ...(request.timeout > 0 && { timeoutMs: request.timeout }),
        ...(request.abortSignal && { signal: abortSignalOf(request.abortSignal) }),
      })
      if (response.truncated) {
        throw new Error('The table service answered with more data than Leadrelay reads from one response')
      }
      return { request, status: response.status, headers: new Headers(response.headers), bodyAsText: response.body }
    },
  }
}

/** The table service endpoint a credential points at (no secret in it), for messages and state files. */
export function endpointOf(credentials: AzureTableCredentials): string {
  if (credentials.sasUrl !== undefined) {
    const url = new URL(credentials.sasUrl)
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  }
  const parts = connectionStringParts(credentials.connectionString)
  if (parts.get('usedevelopmentstorage') === 'true') return 'http://127.0.0.1:10002/devstoreaccount1'
  const endpoint = parts.get('tableendpoint')
  if (endpoint) return endpoint.replace(/\/+$/, '')
  const protocol = parts.get('defaultendpointsprotocol') ?? 'https'
  return `${protocol}://${parts.get('accountname') ?? '?'}.table.${parts.get('endpointsuffix') ?? 'core.windows.net'}`
}

export interface OpenTableOptions {
  /** Route requests through this client (the destination's SSRF-guarded one); the SDK's own stack otherwise. */
  readonly http?: LeadrelayHttpClient
  /** SDK-level retries; the delivery worker retries itself, so destinations pass 0. */
  readonly maxRetries?: number
}

/** A `TableClient` for one table. Does no I/O. Throws if the credentials cannot be parsed. */
export function openTableClient(
  credentials: AzureTableCredentials,
  tableName: string,
  options: OpenTableOptions = {},
): TableClient {
  const { AzureSASCredential, TableClient } = tableSdk()
  const insecure = endpointOf(credentials).startsWith('http:')
  const clientOptions: TableServiceClientOptions = {
    allowInsecureConnection: insecure,
    retryOptions: { maxRetries: options.maxRetries ?? 3 },
    // Redirects are never followed (a redirect could lead the SDK's signed request anywhere).
    redirectOptions: { maxRetries: 0 },
    ...(options.http && { httpClient: createPipelineHttpClient(options.http) }),
  }
  if (credentials.connectionString !== undefined) {
    return TableClient.fromConnectionString(credentials.connectionString, tableName, clientOptions)
  }
  const url = new URL(credentials.sasUrl)
  const token = url.search.replace(/^\?/, '')
  // A table-level SAS URL ends in the table's name; the client wants the service URL.
  const segments = url.pathname.split('/').filter(Boolean)
  if (segments.length > 0 && segments.at(-1)?.toLowerCase() === tableName.toLowerCase()) segments.pop()
  const endpoint = `${url.origin}${segments.length > 0 ? `/${segments.join('/')}` : ''}`
  return new TableClient(endpoint, tableName, new AzureSASCredential(token), clientOptions)
}
