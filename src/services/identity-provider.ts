/**
 * An OpenID Connect provider through `openid-client`: the authorization URL (code flow, PKCE S256, state, nonce) and
 * the callback, whose ID token is checked for signature (against the provider's JWKS, `alg: none` refused), issuer
 * (for Entra multi-tenant apps the `{tenantid}` template filled with the token's `tid`), audience, expiry, nonce and
 * state. Discovery happens on first use and is retried after a failure.
 */

import * as oidc from 'openid-client'
import type { OidcConfig } from '../config.ts'
import { AppError } from '../core/errors.ts'

/** The claims Leadrelay uses from a checked ID token. */
export interface IdentityClaims {
  readonly iss: string
  readonly sub: string
  readonly email?: string
  readonly emailVerified?: boolean
  /** Entra's sign-in name, usually the work email. */
  readonly preferredUsername?: string
  readonly name?: string
  /** Entra tenant id. */
  readonly tid?: string
}

/** What the callback must match: kept in the login cookie between the redirect and the callback. */
export interface LoginChecks {
  readonly state: string
  readonly nonce: string
  readonly codeVerifier: string
}

export interface IdentityProvider {
  /** A fresh state, nonce and PKCE verifier and the provider URL that asks for a sign-in with them. */
  startSignIn(redirectUri: string): Promise<{ readonly url: URL; readonly checks: LoginChecks }>
  /** Redeems the code in `callbackUrl` and answers the checked ID token's claims; SIGN_IN_REFUSED otherwise. */
  finishSignIn(callbackUrl: URL, checks: LoginChecks): Promise<IdentityClaims>
}

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)

export function createIdentityProvider(settings: OidcConfig): IdentityProvider {
  let configuration: Promise<oidc.Configuration> | undefined
  const issuerUrl = new URL(settings.issuer)

  function configured(): Promise<oidc.Configuration> {
    configuration ??= oidc
      .discovery(issuerUrl, settings.clientId, settings.clientSecret, undefined, {
        // A provider on this machine (tests, development) may speak plain http; config.ts allows nothing else.
        execute: [
          oidc.enableNonRepudiationChecks,
          ...(issuerUrl.protocol === 'http:' && isLoopback(issuerUrl) ? [oidc.allowInsecureRequests] : []),
        ],
      })
      .catch((error: unknown) => {
        configuration = undefined
        throw new AppError(
          'SIGN_IN_REFUSED',
          `The identity provider at ${settings.issuer} could not be reached: ${String((error as Error).message)}`,
        )
      })
    return configuration
  }

  return {
    async startSignIn(redirectUri) {
      const config = await configured()
      const checks = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
      }
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        response_type: 'code',
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
      })
      return { url, checks }
    },

    async finishSignIn(callbackUrl, checks) {
      const config = await configured()
      let claims: oidc.IDToken | undefined
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        })
        claims = tokens.claims()
      } catch (error) {
        throw new AppError('SIGN_IN_REFUSED', `The identity provider's answer was refused: ${describe(error)}`)
      }
      if (!claims) throw new AppError('SIGN_IN_REFUSED', 'The identity provider sent no ID token')
      const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
      const email = text(claims.email)
      const preferredUsername = text(claims.preferred_username)
      const name = text(claims.name)
      const tid = text(claims.tid)
      return {
        iss: claims.iss,
        sub: claims.sub,
        ...(email !== undefined && { email }),
        ...(typeof claims.email_verified === 'boolean' && { emailVerified: claims.email_verified }),
        ...(preferredUsername !== undefined && { preferredUsername }),
        ...(name !== undefined && { name }),
        ...(tid !== undefined && { tid: tid.toLowerCase() }),
      }
    },
  }
}

/** openid-client's message and, for a claim check, which claim; never the token itself. */
function describe(error: unknown): string {
  const messages: string[] = []
  let claim: string | undefined
  let alg: string | undefined
  // openid-client wraps oauth4webapi's error, whose own cause names the claim (or the algorithm) that failed.
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (current instanceof Error && !messages.includes(current.message)) messages.push(current.message)
    type Cause = { claim?: unknown; alg?: unknown; header?: { alg?: unknown } } | undefined
    const cause = (current as { cause?: Cause }).cause
    if (typeof cause?.claim === 'string') claim ??= cause.claim
    if (typeof cause?.alg === 'string') alg ??= cause.alg
    if (typeof cause?.header?.alg === 'string') alg ??= cause.header.alg
    current = cause
  }
  return [messages.join(': '), claim && `claim "${claim}"`, alg && `algorithm "${alg}"`].filter(Boolean).join(', ')
}
