/**
 * What an attempt sent and what came back, as Leadrelay keeps it in the attempt log: never a secret (credentials,
 * tokens, signatures, custom auth headers) and never more than `exchangeBodyLimitBytes` of either body. Pure: the
 * delivery side captures the raw exchange, this decides what of it may be stored.
 */

/** Each body is kept up to this many bytes of UTF-8 (8 KiB); a longer one is cut and marked `bodyTruncated`. */
export const exchangeBodyLimitBytes = 8 * 1024

export const redacted = '[redacted]'

export interface ExchangeRequest {
  readonly method: string
  /** Without credentials in the user part or secret query values. */
  readonly url: string
  /** Lower-case names; values of headers that may carry a credential are `[redacted]`. */
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  readonly bodyTruncated?: boolean
}

export interface ExchangeResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  readonly bodyTruncated?: boolean
}

/** The last request of an attempt's call (after any token request) and its answer, when one came. */
export interface AttemptExchange {
  readonly request: ExchangeRequest
  readonly response?: ExchangeResponse
}

/** A raw exchange as the HTTP client saw it, before anything is removed. */
export interface RawExchange {
  readonly request: {
    readonly method: string
    readonly url: string
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: string | Uint8Array
  }
  readonly response?: {
    readonly status: number
    readonly headers: Readonly<Record<string, string>>
    readonly body: string
  }
}

/**
 * Request headers whose values are kept: the ones a receiver needs to read the payload and that never authenticate.
 * Every other header (Authorization, api keys, a webhook's custom secret headers, signatures) keeps its name only.
 */
const safeRequestHeaders = new Set([
  'accept',
  'content-type',
  'content-length',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'idempotency-key',
  'if-match',
  'if-none-match',
  'prefer',
  'odata-version',
  'odata-maxversion',
  'x-ms-version',
  'x-ms-date',
  'dataserviceversion',
  'maxdataserviceversion',
])

/** Response headers that authenticate or set state: named, never kept. */
const secretResponseHeaders = new Set(['set-cookie', 'set-cookie2', 'www-authenticate', 'proxy-authenticate'])

/** Names of JSON fields, form fields and query parameters whose values are credentials (OAuth, SAS, api keys). */
const secretName =
  /token$|secret|password|passwd|assertion|signature|credential|api[-_]?key|authorization|^sig$|^code$/i

function headersOf(
  headers: Readonly<Record<string, string>> | undefined,
  keep: (name: string) => boolean,
): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase()
    result[lower] = keep(lower) ? value : redacted
  }
  return result
}

/**
 * Redacted URLs by the URL given: a destination sends every attempt to the same few URLs, and parsing one costs more
 * than the rest of an attempt's capture. Bounded, so URLs that differ per call (a record id in the path) cannot grow it.
 */
const redactedUrls = new Map<string, string>()
const redactedUrlsLimit = 512

function redactUrl(url: string): string {
  const known = redactedUrls.get(url)
  if (known !== undefined) return known
  const result = redactUrlNow(url)
  if (redactedUrls.size >= redactedUrlsLimit) redactedUrls.clear()
  redactedUrls.set(url, result)
  return result
}

function redactUrlNow(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url.replace(/\?.*$/s, '')
  }
  parsed.username = ''
  parsed.password = ''
  for (const name of [...parsed.searchParams.keys()]) {
    if (secretName.test(name)) parsed.searchParams.set(name, redacted)
  }
  return parsed.toString()
}

function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, secretName.test(key) ? redacted : redactJson(inner)]),
  )
}

/**
 * Text in which a field matching `secretName` may be named: every such JSON key or form field contains one of these
 * words (`sig` and `code` only as whole words), unless it is escaped (`\u`, `%`), which sends the text the slow way.
 * A body without any is stored as the bytes sent, with no parse and no second serialisation.
 */
const mayNameSecret =
  /token|secret|passw|assertion|signature|credential|api[-_]?key|authorization|\bsig\b|\bcode\b|\\u|%/i

/** JSON and form bodies lose their secret fields; anything else is kept as text (a lead payload, an XML answer). */
function redactBody(body: string): string {
  if (!mayNameSecret.test(body)) return body
  const trimmed = body.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactJson(JSON.parse(body)))
    } catch {
      // Not JSON after all (or cut by the client's response cap): kept as the text it is.
    }
  }
  if (/^[\w.%-]+=[^&\s]*(&[\w.%-]+=[^&\s]*)*$/.test(body)) {
    const form = new URLSearchParams(body)
    for (const name of [...form.keys()]) if (secretName.test(name)) form.set(name, redacted)
    return form.toString()
  }
  return body
}

const utf8 = new TextEncoder()

/** Cuts `text` to at most `limit` bytes of UTF-8, never inside a character. */
function capped(text: string, limit: number): { body: string; bodyTruncated?: true } {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a text this short fits without being encoded.
  if (text.length * 3 <= limit) return { body: text }
  const bytes = utf8.encode(text)
  if (bytes.length <= limit) return { body: text }
  let end = limit
  // Step back over continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
  return { body: new TextDecoder().decode(bytes.subarray(0, end)), bodyTruncated: true }
}

function bodyOf(body: string | Uint8Array | undefined, cut: boolean): { body?: string; bodyTruncated?: true } {
  if (body === undefined) return {}
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body)
  if (text === '') return {}
  const kept = capped(redactBody(text), exchangeBodyLimitBytes)
  return cut && !kept.bodyTruncated ? { ...kept, bodyTruncated: true } : kept
}

/**
 * What of a raw exchange may be stored. `responseCut` says the HTTP client already cut the answer at its own cap, so
 * the body is marked truncated even when it fits here.
 */
export function storableExchange(raw: RawExchange, responseCut = false): AttemptExchange {
  const request: ExchangeRequest = {
    method: raw.request.method,
    url: redactUrl(raw.request.url),
    headers: headersOf(raw.request.headers, (name) => safeRequestHeaders.has(name)),
    ...bodyOf(raw.request.body, false),
  }
  if (!raw.response) return { request }
  return {
    request,
    response: {
      status: raw.response.status,
      headers: headersOf(raw.response.headers, (name) => !secretResponseHeaders.has(name) && !secretName.test(name)),
      ...bodyOf(raw.response.body, responseCut),
    },
  }
}
