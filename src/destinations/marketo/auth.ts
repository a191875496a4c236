/**
 * Marketo access tokens: client credentials against the identity service, cached in the connector until shortly
 * before `expires_in` runs out, fetched again once when Marketo rejects a token (601/602).
 * https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
 */

import { DeliveryError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient, HttpResponse } from '../http-client.ts'
import { classifyHttpStatus, responseExcerpt } from '../http-errors.ts'
import { toDeliveryError } from './errors.ts'

/** A token is used until this long before Marketo says it expires, so a call never races its expiry. */
export const tokenMarginMs = 60_000

export interface TokenSourceOptions {
  readonly http: HttpClient
  readonly clock: Clock
  /** `<base>/identity`, without a trailing slash. */
  readonly identityUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly timeoutMs: number
}

export interface TokenSource {
  /** A token valid for a while yet: the cached one, or a new one from the identity service. */
  token(signal: AbortSignal): Promise<string>
  /** Forgets `token` (when it is still the cached one): the next `token()` asks the identity service. */
  invalidate(token: string): void
}

function identityFailure(response: HttpResponse, identityUrl: string, now: number): DeliveryError {
  const { status } = response
  const where = new URL(identityUrl).host
  if (status === 400 || status === 401 || status === 403) {
    const excerpt = responseExcerpt(response)
    return new DeliveryError(
      'auth',
      `Marketo's identity service refused the Client ID and Client Secret (HTTP ${status}${excerpt ? ` "${excerpt}"` : ''}). Copy both again from Admin > Integration > LaunchPoint > your custom service > View Details, check that the service and its API-only user are active, and update the destination's secrets.`,
      { status },
    )
  }
  if (status === 404 || (status >= 300 && status <= 399)) {
    return new DeliveryError(
      'misconfigured',
      `There is no Marketo identity service at ${where}/identity (HTTP ${status}). Check munchkinId, or restUrl against the Identity URL in Admin > Web Services > REST API.`,
      { status },
    )
  }
  return (
    classifyHttpStatus(response, now) ??
    new DeliveryError('retryable', `Marketo's identity service answered HTTP ${status}; will retry.`, { status })
  )
}

interface IdentityAnswer {
  readonly access_token?: unknown
  readonly expires_in?: unknown
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const { http, clock } = options
  let cached: { token: string; validUntil: number } | undefined
  /** The identity call in progress: concurrent deliveries share it rather than each asking for a token. */
  let pending: Promise<string> | undefined

  async function fetchToken(signal: AbortSignal): Promise<string> {
    const query = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: options.clientSecret,
    })
    let response: HttpResponse
    try {
      response = await http.send({
        method: 'GET',
        url: `${options.identityUrl}/oauth/token?${query}`,
        headers: { accept: 'application/json' },
        timeoutMs: options.timeoutMs,
        signal,
      })
    } catch (error) {
      throw toDeliveryError(error)
    }
    if (response.status !== 200) throw identityFailure(response, options.identityUrl, clock.now())
    let answer: IdentityAnswer
    try {
      answer = JSON.parse(response.body) as IdentityAnswer
    } catch {
      throw new DeliveryError(
        'misconfigured',
        `${new URL(options.identityUrl).host}/identity did not answer like Marketo's identity service (no JSON). Check munchkinId or restUrl.`,
        { status: response.status },
      )
    }
    const token = answer?.access_token
    const expiresIn = answer?.expires_in
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn >= 0)) {
      throw new DeliveryError(
        'retryable',
        "Marketo's identity service answered without an access token and its lifetime; will retry.",
        { status: response.status },
      )
    }
    // Marketo hands back the token it already issued, with what is left of its life: a fixed margin would refetch on
    // every call in its last minute. Half the remaining life caps it; a 602 after all fetches a new one (withToken).
    const lifetimeMs = expiresIn * 1000
    cached = { token, validUntil: clock.now() + lifetimeMs - Math.min(tokenMarginMs, lifetimeMs / 2) }
    return token
  }

  return {
    async token(signal) {
      if (cached && clock.now() < cached.validUntil) return cached.token
      if (!pending) {
        const request = fetchToken(signal)
        pending = request
        request
          .finally(() => {
            if (pending === request) pending = undefined
          })
          .catch(() => {})
      }
      return pending
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined
    },
  }
}

/**
 * Runs `call` with a token; when Marketo rejects the token (`rejectedBy` finds 601/602 in the answer), fetches a new
 * token once and runs `call` again. A second rejection is `onSecondRejection`'s error (an auth failure).
 */
export async function withToken<T>(
  tokens: TokenSource,
  signal: AbortSignal,
  call: (token: string) => Promise<T>,
  rejectedBy: (answer: T) => boolean,
  onSecondRejection: (answer: T) => DeliveryError,
): Promise<T> {
  const first = await tokens.token(signal)
  const answer = await call(first)
  if (!rejectedBy(answer)) return answer
  tokens.invalidate(first)
  const again = await call(await tokens.token(signal))
  if (rejectedBy(again)) throw onSecondRejection(again)
  return again
}
