/** The outbound HTTP port every connector uses. The implementation (http-client-node.ts) guards against SSRF. */

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array
  /** Whole-request deadline in ms (connect + send + response). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** Read at most this much of the answer (default: the client's cap). Metadata reads (describe) need more. */
  readonly maxResponseBytes?: number
}

export interface HttpResponse {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** At most the client's response cap; longer bodies are cut (see `truncated`). */
  readonly body: string
  readonly truncated: boolean
}

/**
 * Sends one request; never follows redirects (a 3xx is returned as is). Rejects with `HttpClientError` for
 * network failures, timeouts and refused (non-public) addresses; any HTTP status resolves.
 */
export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>
}

export type HttpClientErrorKind = 'timeout' | 'network' | 'blocked_address' | 'invalid_url' | 'aborted'

export class HttpClientError extends Error {
  override readonly name = 'HttpClientError'
  readonly kind: HttpClientErrorKind
  constructor(kind: HttpClientErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.kind = kind
  }
}
