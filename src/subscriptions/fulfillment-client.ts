/**
 * Reads a publisher's SaaS subscriptions from Microsoft's SaaS Fulfillment API v2 with its Entra app: client
 * credentials for the marketplace resource, then `GET /api/saas/subscriptions` page by page. Read only: this module
 * sends nothing but the token request and GETs (docs/decisions/0010-marketplace-subscriptions.md).
 */

import { createHash } from 'node:crypto'
import type { Clock } from '../core/ports.ts'
import type { HttpClient, HttpResponse } from '../destinations/http-client.ts'
import { type CertificateCredential, createClientAssertion, jwtBearerAssertionType } from './client-assertion.ts'

/** The marketplace API's Entra resource (application) id, from Microsoft's "Register a SaaS application" page. */
export const marketplaceResourceId = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7'
export const fulfillmentApiVersion = '2018-08-31'

/** The publisher's Entra app, with a client secret or a certificate (its private key signs a client assertion). */
export interface EntraApp {
  readonly entraTenantId: string
  readonly clientId: string
  readonly clientSecret?: string
  readonly certificate?: CertificateCredential
}

/** One cache entry per app and credential: a changed secret or certificate never reuses the old one's token. */
function tokenKeyOf(app: EntraApp): string {
  const credential = app.certificate ? app.certificate.certificatePem : (app.clientSecret ?? '')
  return createHash('sha256').update(`${app.entraTenantId}\n${app.clientId}\n${credential}`).digest('base64url')
}

export interface FulfillmentClientDeps {
  readonly http: HttpClient
  readonly clock: Clock
  /** `https://login.microsoftonline.com` unless a test points elsewhere. */
  readonly loginUrl: string
  /** `https://marketplaceapi.microsoft.com` unless a test points elsewhere. */
  readonly apiUrl: string
  /** Waits between throttled retries; tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>
  readonly timeoutMs?: number
  /** Retries of one page after 429 or a network failure before the poll gives up. */
  readonly maxRetries?: number
  /** The longest `Retry-After` honoured; longer asks end the poll (the next scheduled one resumes). */
  readonly maxRetryAfterMs?: number
}

export class FulfillmentError extends Error {
  override readonly name = 'FulfillmentError'
  readonly status?: number
  constructor(message: string, status?: number) {
    super(message)
    if (status !== undefined) this.status = status
  }
}

export interface FulfillmentClient {
  /** Every subscription the app can see, as the API's JSON objects, following `@nextLink` to the last page. */
  listSubscriptions(app: EntraApp, onPage?: (subscriptions: readonly unknown[]) => Promise<void>): Promise<unknown[]>
}

interface CachedToken {
  readonly value: string
  readonly expiresAt: number
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** `Retry-After` in seconds or as an HTTP date, in ms from now; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number {
  if (header === undefined) return 1000
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now)
}

function parseJson(response: HttpResponse, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(response.body) as unknown
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // Reported below with the status.
  }
  throw new FulfillmentError(`${what} answered ${response.status} without a JSON object`, response.status)
}

export function createFulfillmentClient(deps: FulfillmentClientDeps): FulfillmentClient {
  const sleep = deps.sleep ?? defaultSleep
  const timeoutMs = deps.timeoutMs ?? 30_000
  const maxRetries = deps.maxRetries ?? 5
  const maxRetryAfterMs = deps.maxRetryAfterMs ?? 120_000
  const tokens = new Map<string, CachedToken>()
  const loginBase = deps.loginUrl.replace(/\/+$/, '')
  const apiBase = deps.apiUrl.replace(/\/+$/, '')

  async function fetchToken(app: EntraApp): Promise<string> {
    const key = tokenKeyOf(app)
    const cached = tokens.get(key)
    // A minute's margin: a token that expires mid-page would cost a 401 and a retry.
    if (cached && cached.expiresAt - 60_000 > deps.clock.now()) return cached.value
    const tokenEndpoint = `${loginBase}/${encodeURIComponent(app.entraTenantId)}/oauth2/token`
    const credential: Record<string, string> = app.certificate
      ? {
          client_assertion_type: jwtBearerAssertionType,
          client_assertion: await createClientAssertion(app.certificate, {
            clientId: app.clientId,
            tokenEndpoint,
            now: deps.clock.now(),
          }),
        }
      : { client_secret: app.clientSecret ?? '' }
    const response = await deps.http.send({
      method: 'POST',
      url: tokenEndpoint,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        ...credential,
        resource: marketplaceResourceId,
      }).toString(),
      timeoutMs,
    })
    if (response.status !== 200) {
      const detail = response.status < 500 ? tokenErrorOf(response) : ''
      throw new FulfillmentError(
        `Microsoft Entra refused the token request (${response.status})${detail}`,
        response.status,
      )
    }
    const body = parseJson(response, 'The token endpoint')
    if (typeof body.access_token !== 'string') throw new FulfillmentError('The token answer has no access_token')
    const expiresOn = Number(body.expires_on)
    const expiresIn = Number(body.expires_in)
    const expiresAt = Number.isFinite(expiresOn)
      ? expiresOn * 1000
      : deps.clock.now() + (Number.isFinite(expiresIn) ? expiresIn * 1000 : 3_600_000)
    tokens.set(key, { value: body.access_token, expiresAt })
    return body.access_token
  }

  function forgetToken(app: EntraApp): void {
    tokens.delete(tokenKeyOf(app))
  }

  async function getPage(app: EntraApp, url: string): Promise<Record<string, unknown>> {
    let refreshed = false
    let retries = 0
    for (;;) {
      const token = await fetchToken(app)
      let response: HttpResponse
      try {
        response = await deps.http.send({
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          timeoutMs,
          // A page holds up to a hundred subscriptions of about a kilobyte each.
          maxResponseBytes: 8 * 1024 * 1024,
        })
      } catch (error) {
        if (retries++ >= maxRetries) throw error
        await sleep(1000 * 2 ** Math.min(retries, 5))
        continue
      }
      if (response.status === 200) {
        if (response.truncated) throw new FulfillmentError('A page of subscriptions was larger than 8 MiB')
        return parseJson(response, 'The subscriptions API')
      }
      if (response.status === 401 && !refreshed) {
        // The token expired or was revoked early: one fresh token, then the same page again.
        refreshed = true
        forgetToken(app)
        continue
      }
      if (response.status === 429 || response.status >= 500) {
        const wait = retryAfterMs(response.headers['retry-after'], deps.clock.now())
        if (retries++ >= maxRetries || wait > maxRetryAfterMs) {
          throw new FulfillmentError(
            `The subscriptions API answered ${response.status} ${retries} times`,
            response.status,
          )
        }
        await sleep(wait)
        continue
      }
      throw new FulfillmentError(`The subscriptions API answered ${response.status}`, response.status)
    }
  }

  return {
    async listSubscriptions(app, onPage) {
      const all: unknown[] = []
      let url: string | undefined =
        `${apiBase}/api/saas/subscriptions?api-version=${encodeURIComponent(fulfillmentApiVersion)}`
      const visited = new Set<string>()
      while (url !== undefined) {
        if (visited.has(url)) throw new FulfillmentError('The subscriptions API sent a @nextLink already followed')
        visited.add(url)
        const page = await getPage(app, url)
        const subscriptions = Array.isArray(page.subscriptions) ? (page.subscriptions as unknown[]) : []
        await onPage?.(subscriptions)
        all.push(...subscriptions)
        const next = page['@nextLink']
        url = typeof next === 'string' && next !== '' ? next : undefined
        // The bearer token goes only to the API it was issued for.
        if (url !== undefined && new URL(url, apiBase).origin !== new URL(apiBase).origin) {
          throw new FulfillmentError('The subscriptions API sent a @nextLink to another host')
        }
        if (url !== undefined) url = new URL(url, apiBase).toString()
      }
      return all
    },
  }
}

function tokenErrorOf(response: HttpResponse): string {
  try {
    const body = JSON.parse(response.body) as { error?: unknown; error_description?: unknown }
    return typeof body.error === 'string' ? `: ${body.error}` : ''
  } catch {
    return ''
  }
}
