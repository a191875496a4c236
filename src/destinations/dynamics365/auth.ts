/**
 * Microsoft Entra ID client credentials, with our own token client: MSAL refuses non-https authorities (so no local
 * fakes) and brings its own HTTP stack past our SSRF guard. One token per connector, shared by concurrent calls,
 * renewed a few minutes before it expires or when Dataverse refuses it.
 */

import { DeliveryError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient } from '../http-client.ts'
import type { DynamicsConfig } from './config.ts'
import { classifyTokenAnswer, toDeliveryError } from './errors.ts'

/** Tokens are renewed this long before Entra ID says they expire (they live about an hour). */
const renewEarlyMs = 5 * 60_000

export interface AccessToken {
  readonly value: string
  readonly expiresAt: number
}

export interface TokenSource {
  /** A valid token: the cached one, or a new one from Entra ID. Throws `DeliveryError`. */
  get(signal: AbortSignal): Promise<string>
  /** Forgets `stale` (a token Dataverse refused) so the next `get` fetches a new one; a newer token is kept. */
  invalidate(stale: string): void
}

export interface TokenSourceOptions {
  readonly http: HttpClient
  readonly clock: Clock
  readonly config: Pick<DynamicsConfig, 'authorityHost' | 'tenantId' | 'clientId' | 'environmentUrl' | 'timeoutMs'>
  readonly clientSecret: string | undefined
}

export function tokenEndpoint(config: Pick<DynamicsConfig, 'authorityHost' | 'tenantId'>): string {
  return `${new URL(config.authorityHost).origin}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`
}

/** The one scope a client-credentials token for Dataverse asks for: the environment itself. */
export function dataverseScope(config: Pick<DynamicsConfig, 'environmentUrl'>): string {
  return `${new URL(config.environmentUrl).origin}/.default`
}

/** The exact form body of the token request (the secret included: never log it). */
export function tokenRequestBody(
  config: Pick<DynamicsConfig, 'clientId' | 'environmentUrl'>,
  clientSecret: string,
): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: config.clientId,
    client_secret: clientSecret,
    scope: dataverseScope(config),
  }).toString()
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const { http, clock, config, clientSecret } = options
  let cached: AccessToken | undefined
  let pending: Promise<AccessToken> | undefined

  async function fetchToken(signal: AbortSignal): Promise<AccessToken> {
    if (clientSecret === undefined) {
      throw new DeliveryError(
        'misconfigured',
        'This destination has no client secret stored. Set secrets.clientSecret (PATCH /v1/destinations/:id) to the Value of a client secret of the app registration.',
      )
    }
    let response: Awaited<ReturnType<HttpClient['send']>>
    try {
      response = await http.send({
        method: 'POST',
        url: tokenEndpoint(config),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: tokenRequestBody(config, clientSecret),
        timeoutMs: config.timeoutMs,
        signal,
      })
    } catch (error) {
      throw toDeliveryError(error, 'Microsoft Entra ID')
    }
    const now = clock.now()
    if (response.status !== 200) throw classifyTokenAnswer(response, now)
    let parsed: { access_token?: unknown; expires_in?: unknown }
    try {
      parsed = JSON.parse(response.body) as typeof parsed
    } catch {
      parsed = {}
    }
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '') {
      throw new DeliveryError(
        'misconfigured',
        'The token endpoint answered 200 without an access_token. Check authorityHost (normally https://login.microsoftonline.com).',
        { status: response.status },
      )
    }
    // v2.0 sends a number; older endpoints sent a string.
    const lifetimeSeconds = Number(parsed.expires_in)
    const lifetimeMs = Number.isFinite(lifetimeSeconds) && lifetimeSeconds > 0 ? lifetimeSeconds * 1000 : 3_600_000
    const early = Math.min(renewEarlyMs, lifetimeMs / 2)
    return { value: parsed.access_token, expiresAt: now + lifetimeMs - early }
  }

  return {
    async get(signal) {
      if (cached && clock.now() < cached.expiresAt) return cached.value
      if (!pending) {
        const request = fetchToken(signal)
        pending = request
        request.then(
          (token) => {
            cached = token
          },
          () => {},
        )
        request
          .finally(() => {
            if (pending === request) pending = undefined
          })
          .catch(() => {})
      }
      return (await pending).value
    },
    invalidate(stale) {
      if (cached?.value === stale) cached = undefined
    },
  }
}
