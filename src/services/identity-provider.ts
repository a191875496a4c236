/**
 * An OpenID Connect provider through `openid-client`: the authorization URL (code flow, PKCE S256, state, nonce), the
 * callback, whose ID token is checked for signature (against the provider's JWKS, `alg: none` refused), issuer (for
 * Entra multi-tenant apps the `{tenantid}` template filled with the token's `tid`), audience, expiry, nonce and state,
 * and RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0: the `end_session_endpoint` discovery names, with
 * `id_token_hint` and `post_logout_redirect_uri`). Discovery happens on first use and is retried after a failure.
 * `openid-client` itself loads on first use too: an installation without sign-in never holds it.
 */

import type * as oidc from 'openid-client'
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

/** A finished sign-in: the checked claims, and the ID token itself (the hint sign-out hands back to the provider). */
export interface SignedIn {
  readonly claims: IdentityClaims
  readonly idToken: string
}

export interface IdentityProvider {
  /** A fresh state, nonce and PKCE verifier and the provider URL that asks for a sign-in with them. */
  startSignIn(redirectUri: string): Promise<{ readonly url: URL; readonly checks: LoginChecks }>
  /** Redeems the code in `callbackUrl` and answers the checked ID token and its claims; SIGN_IN_REFUSED otherwise. */
  finishSignIn(callbackUrl: URL, checks: LoginChecks): Promise<SignedIn>
  /**
   * Where the browser ends the person's session at the provider too, then comes back to `postLogoutRedirectUri`;
   * undefined when the provider publishes no `end_session_endpoint` or cannot be reached (the local sign-out stands).
   */
  endSessionUrl(idTokenHint: string | undefined, postLogoutRedirectUri: string): Promise<URL | undefined>
}

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)

const loadOpenIdClient = () => import('openid-client')

export function createIdentityProvider(settings: OidcConfig): IdentityProvider {
  let configuration: Promise<oidc.Configuration> | undefined
  const issuerUrl = new URL(settings.issuer)

  function configured(): Promise<oidc.Configuration> {
    configuration ??= loadOpenIdClient()
      .then((client) =>
        client.discovery(issuerUrl, settings.clientId, settings.clientSecret, undefined, {
          // A provider on this machine (tests, development) may speak plain http; config.ts allows nothing else.
          execute: [
            client.enableNonRepudiationChecks,
            ...(issuerUrl.protocol === 'http:' && isLoopback(issuerUrl) ? [client.allowInsecureRequests] : []),
          ],
        }),
      )
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
      const oidc = await loadOpenIdClient()
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
      const oidc = await loadOpenIdClient()
      let claims: oidc.IDToken | undefined
      let idToken: string | undefined
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        })
        claims = tokens.claims()
        idToken = tokens.id_token
      } catch (error) {
        throw new AppError('SIGN_IN_REFUSED', `The identity provider's answer was refused: ${describe(error)}`)
      }
      if (!claims || idToken === undefined)
        throw new AppError('SIGN_IN_REFUSED', 'The identity provider sent no ID token')
      const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
      const email = text(claims.email)
      const preferredUsername = text(claims.preferred_username)
      const name = text(claims.name)
      const tid = text(claims.tid)
      return {
        idToken,
        claims: {
          iss: claims.iss,
          sub: claims.sub,
          ...(email !== undefined && { email }),
          ...(typeof claims.email_verified === 'boolean' && { emailVerified: claims.email_verified }),
          ...(preferredUsername !== undefined && { preferredUsername }),
          ...(name !== undefined && { name }),
          ...(tid !== undefined && { tid: tid.toLowerCase() }),
        },
      }
    },

    async endSessionUrl(idTokenHint, postLogoutRedirectUri) {
      let config: oidc.Configuration
      try {
        config = await configured()
      } catch {
        return undefined
      }
      if (config.serverMetadata().end_session_endpoint === undefined) return undefined
      // client_id rides along too (openid-client adds it): with an expired hint, the provider still knows the app.
      return (await loadOpenIdClient()).buildEndSessionUrl(config, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(idTokenHint !== undefined && { id_token_hint: idTokenHint }),
      })
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
