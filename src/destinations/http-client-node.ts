/**
 * The `HttpClient` over node:http and node:https. Not fetch: the SSRF guard has to see the very addresses the socket
 * connects to (a custom `lookup`, so DNS rebinding cannot slip past a check made earlier), and redirects are
 * never followed.
 */

import type { LookupAddress } from 'node:dns'
import { lookup as dnsLookup } from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { type HttpClient, HttpClientError, type HttpRequest, type HttpResponse } from './http-client.ts'
import { isPublicAddress } from './public-address.ts'

export { isPublicAddress } from './public-address.ts'

/** Resolves a host name to every address it has, like `dns.lookup(host, { all: true })`. */
export type Resolver = (hostname: string, options: { family: 0 | 4 | 6; hints?: number }) => Promise<LookupAddress[]>

export interface NodeHttpClientOptions {
  /** Turns the SSRF guard off: for tests and for installations that deliver inside their own network on purpose. */
  readonly allowPrivateNetworks: boolean
  /** Response bodies are cut after this many bytes (default 64 KiB). */
  readonly maxResponseBytes?: number
  /** Whole-request deadline when the request names none (default 15 s). */
  readonly defaultTimeoutMs?: number
  /** Sent unless the request sets its own `user-agent`. */
  readonly userAgent?: string
  /** Replaces the system resolver; tests use it to make a name resolve to chosen addresses. */
  readonly resolve?: Resolver
}

export interface NodeHttpClient extends HttpClient {
  /** Closes the pooled keep-alive connections. */
  close(): void
}

const systemResolver: Resolver = (hostname, options) => dnsLookup(hostname, { ...options, all: true })

function familyOf(family: unknown): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4
  if (family === 6 || family === 'IPv6') return 6
  return 0
}

function blockedError(hostname: string, address: string): HttpClientError {
  const resolved = hostname === address ? '' : ` (it resolves to ${address})`
  return new HttpClientError('blocked_address', `Refused to connect to ${hostname}${resolved}: not a public address`)
}

/** Answers `lookup` from `resolve`; with `guard`, fails if any address of the host is not public. */
function createLookup(resolve: Resolver, guard: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const query = { family: familyOf(options.family), ...(options.hints !== undefined && { hints: options.hints }) }
    resolve(hostname, query).then(
      (addresses) => {
        const refused = guard ? addresses.find((entry) => !isPublicAddress(entry.address)) : undefined
        const first = addresses[0]
        if (refused) callback(blockedError(hostname, refused.address), '', 0)
        else if (!first) callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0)
        else if (options.all) callback(null, addresses)
        else callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    )
  }
}

/**
 * A socket `lookup` that resolves every address of the host and fails if any of them is not public, so a name
 * cannot mix a public address with a private one and let the connection pick the private one.
 */
export function createGuardedLookup(resolve: Resolver = systemResolver): LookupFunction {
  return createLookup(resolve, true)
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    return code ? `${code} (${error.message})` : error.message
  }
  return String(error)
}

function headersOf(response: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(response.headersDistinct)) {
    if (values !== undefined) headers[name.toLowerCase()] = values.join(', ')
  }
  return headers
}

export function createNodeHttpClient(options: NodeHttpClientOptions): NodeHttpClient {
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 15_000
  const userAgent = options.userAgent ?? 'Leadrelay'
  const guard = !options.allowPrivateNetworks
  const lookup = guard || options.resolve ? createLookup(options.resolve ?? systemResolver, guard) : undefined
  // Agents of our own: a pooled socket is only ever one this client's guard let through.
  const agents = {
    http: new http.Agent({ keepAlive: true, ...(lookup && { lookup }) }),
    https: new https.Agent({ keepAlive: true, ...(lookup && { lookup }) }),
  }

  async function send(request: HttpRequest): Promise<HttpResponse> {
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      throw new HttpClientError('invalid_url', 'The destination URL is not a valid URL')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpClientError('invalid_url', `The destination URL must be http or https, not ${url.protocol}`)
    }
    // URL has already turned `2130706433` and `0x7f.1` into `127.0.0.1`; literals skip `lookup`, so check them here.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    if (guard && isIP(host) !== 0 && !isPublicAddress(host)) throw blockedError(host, host)
    if (request.signal?.aborted) throw new HttpClientError('aborted', 'The request was aborted before it started')

    const headers: Record<string, string> = { 'user-agent': userAgent }
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body
    if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = `${body.byteLength}`
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs
    const signal = request.signal

    return new Promise<HttpResponse>((resolve, reject) => {
      const secure = url.protocol === 'https:'
      const outgoing = (secure ? https : http).request(url, {
        method: request.method,
        headers,
        agent: secure ? agents.https : agents.http,
      })
      let settled = false
      const settle = (action: () => void) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        action()
      }
      const fail = (error: HttpClientError) =>
        settle(() => {
          reject(error)
          outgoing.destroy()
        })
      const timer = setTimeout(
        () => fail(new HttpClientError('timeout', `${url.host} did not answer completely within ${timeoutMs} ms`)),
        timeoutMs,
      )
      const onAbort = () => fail(new HttpClientError('aborted', 'The request was aborted'))
      signal?.addEventListener('abort', onAbort, { once: true })

      outgoing.on('error', (error) => {
        if (error instanceof HttpClientError) fail(error)
        else
          fail(
            new HttpClientError('network', `Request to ${url.host} failed: ${describeError(error)}`, { cause: error }),
          )
      })
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = []
        let size = 0
        const done = (truncated: boolean) =>
          settle(() => {
            resolve({
              status: response.statusCode ?? 0,
              headers: headersOf(response),
              body: Buffer.concat(chunks).toString('utf8'),
              truncated,
            })
            // The rest of an oversized body is not worth reading; the socket cannot be reused without reading it.
            if (truncated) outgoing.destroy()
          })
        response.on('data', (chunk: Buffer) => {
          if (settled) return
          const room = (request.maxResponseBytes ?? maxResponseBytes) - size
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room))
            size = request.maxResponseBytes ?? maxResponseBytes
            done(true)
          } else {
            chunks.push(chunk)
            size += chunk.length
          }
        })
        response.on('end', () => done(false))
        const cutOff = (error?: unknown) =>
          fail(
            new HttpClientError('network', `${url.host} closed the connection before the response was complete`, {
              cause: error,
            }),
          )
        response.on('error', cutOff)
        response.on('close', () => {
          if (!response.complete) cutOff()
        })
      })
      outgoing.end(body)
    })
  }

  return {
    send,
    close() {
      agents.http.destroy()
      agents.https.destroy()
    },
  }
}
