/**
 * A minimal OpenID Connect provider shaped like Microsoft Entra ID, for checking how Leadrelay validates what a
 * provider answers. It follows:
 * - OpenID Connect Discovery 1.0 §3-4 (https://openid.net/specs/openid-connect-discovery-1_0.html): the metadata at
 *   `<issuer>/.well-known/openid-configuration`, the JWKS at `jwks_uri`;
 * - OpenID Connect Core 1.0 §3.1 (https://openid.net/specs/openid-connect-core-1_0.html): the code flow, the token
 *   response with an RS256-signed `id_token` carrying iss, sub, aud, exp, iat, nonce;
 * - RFC 7636 (PKCE S256): the token endpoint checks `code_verifier` against the authorization's `code_challenge`;
 * - OpenID Connect RP-Initiated Logout 1.0 §2.1 (https://openid.net/specs/openid-connect-rpinitiated-1_0.html): the
 *   metadata names an `end_session_endpoint`, as Entra's does (`…/oauth2/v2.0/logout`); the test reads the URL the
 *   browser would be sent to, so the fake serves nothing there;
 * - Microsoft identity platform, ID token claims reference
 *   (https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference): issuer
 *   `…/{tid}/v2.0`, `tid`, `preferred_username`, `name`, `email` (optional claim).
 *
 * The test plays the person at the authorization endpoint: `approve` turns an authorization URL into a code, with the
 * claims of its choice and, to test refusals, a token that is wrong in one way.
 */

import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Identity {
  readonly sub: string
  readonly name: string
  readonly email?: string
  readonly tid?: string
  readonly emailVerified?: boolean
}

/** Ways to spoil the ID token, one at a time. */
export interface Spoil {
  readonly iss?: string
  readonly aud?: string
  readonly nonce?: string
  /** Seconds from now; negative for a token that has expired. */
  readonly expiresIn?: number
  /** `none`: an unsigned token. */
  readonly alg?: 'none'
  /** Signed by a key the JWKS does not hold. */
  readonly foreignKey?: boolean
}

export interface OidcFake {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  readonly tenantId: string
  /** The code the provider would redirect back with, for this authorization URL. */
  approve(authorizationUrl: string, identity: Identity, spoil?: Spoil): { code: string; state: string }
  close(): Promise<void>
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url')

export async function startOidcFake(tenantId = '6f1c1d2e-0000-4000-8000-00000000c0de'): Promise<OidcFake> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = 'fake-key-1'
  const clientId = 'leadrelay-test-client'
  const clientSecret = 'fake-secret'
  const pending = new Map<
    string,
    { identity: Identity; spoil: Spoil; nonce: string; challenge: string; redirectUri: string }
  >()
  let issuer = ''

  function sign(claims: Record<string, unknown>, spoil: Spoil): string {
    if (spoil.alg === 'none')
      return `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.`
    const input = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${base64url(JSON.stringify(claims))}`
    const signature = createSign('RSA-SHA256')
      .update(input)
      .sign(spoil.foreignKey ? foreign.privateKey : privateKey)
    return `${input}.${base64url(signature)}`
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuer)
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      response.end(JSON.stringify(body))
    }
    if (url.pathname === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/keys`,
        end_session_endpoint: `${issuer.replace(/\/v2\.0$/, '')}/oauth2/v2.0/logout`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        scopes_supported: ['openid', 'profile', 'email'],
      })
    }
    if (url.pathname === `/${tenantId}/v2.0/keys`) {
      return json(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] })
    }
    if (url.pathname === `/${tenantId}/v2.0/token` && request.method === 'POST') {
      let body = ''
      request.on('data', (chunk) => {
        body += chunk
      })
      request.on('end', () => {
        const form = new URLSearchParams(body)
        const code = form.get('code') ?? ''
        const grant = pending.get(code)
        pending.delete(code)
        const challenge = createHash('sha256')
          .update(form.get('code_verifier') ?? '')
          .digest('base64url')
        if (
          !grant ||
          form.get('grant_type') !== 'authorization_code' ||
          form.get('client_id') !== clientId ||
          form.get('client_secret') !== clientSecret ||
          form.get('redirect_uri') !== grant.redirectUri ||
          challenge !== grant.challenge
        ) {
          return json(400, { error: 'invalid_grant' })
        }
        const now = Math.floor(Date.now() / 1000)
        const { identity, spoil } = grant
        const claims = {
          iss: spoil.iss ?? issuer,
          sub: identity.sub,
          aud: spoil.aud ?? clientId,
          exp: now + (spoil.expiresIn ?? 3600),
          iat: spoil.expiresIn !== undefined && spoil.expiresIn < 0 ? now + spoil.expiresIn - 3600 : now,
          nbf: spoil.expiresIn !== undefined && spoil.expiresIn < 0 ? now + spoil.expiresIn - 3600 : now,
          nonce: spoil.nonce ?? grant.nonce,
          name: identity.name,
          preferred_username: identity.email,
          ...(identity.email !== undefined && { email: identity.email }),
          ...(identity.emailVerified !== undefined && { email_verified: identity.emailVerified }),
          tid: identity.tid ?? tenantId,
          ver: '2.0',
        }
        json(200, {
          access_token: randomBytes(16).toString('hex'),
          token_type: 'Bearer',
          expires_in: 3600,
          scope: 'openid profile email',
          id_token: sign(claims, spoil),
        })
      })
      return
    }
    json(404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${tenantId}/v2.0`

  return {
    issuer,
    clientId,
    clientSecret,
    tenantId,
    approve(authorizationUrl, identity, spoil = {}) {
      const url = new URL(authorizationUrl)
      const q = (name: string) => url.searchParams.get(name) ?? ''
      if (q('client_id') !== clientId || q('response_type') !== 'code' || q('code_challenge_method') !== 'S256') {
        throw new Error(`the fake provider refuses this authorization request: ${authorizationUrl}`)
      }
      const code = randomBytes(16).toString('base64url')
      pending.set(code, {
        identity,
        spoil,
        nonce: q('nonce'),
        challenge: q('code_challenge'),
        redirectUri: q('redirect_uri'),
      })
      return { code, state: q('state') }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
