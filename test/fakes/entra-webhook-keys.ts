/**
 * A local stand-in for Microsoft Entra's signing keys: an RSA key set served as a JWKS (the shape of
 * https://login.microsoftonline.com/common/discovery/v2.0/keys: `{ "keys": [ { kty, use, kid, n, e, ... } ] }`) and
 * tokens signed with it the way Entra signs access tokens (RS256, `kid` in the header; Microsoft identity platform
 * "Access tokens" page). An impostor key with the same `kid` signs tokens whose signature must not verify.
 */

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose'

export interface EntraWebhookKeys {
  /** The JWKS URL (for LEADRELAY_SAAS_WEBHOOK_JWKS_URL). */
  readonly jwksUrl: string
  /** A token signed with the published key (or the impostor's), valid for `lifetimeSeconds` from `nowSeconds`. */
  sign(
    claims: JWTPayload,
    options: { nowSeconds: number; lifetimeSeconds?: number; impostor?: boolean },
  ): Promise<string>
  close(): Promise<void>
}

export async function startEntraWebhookKeys(): Promise<EntraWebhookKeys> {
  const kid = 'test-entra-key-1'
  const published = await generateKeyPair('RS256', { extractable: true })
  const impostor = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(published.publicKey)), kid, use: 'sig', alg: 'RS256' }
  const server: Server = createServer((request, response) => {
    if (request.url === '/keys') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ keys: [jwk] }))
      return
    }
    response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    jwksUrl: `http://127.0.0.1:${port}/keys`,
    async sign(claims, options) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuedAt(options.nowSeconds)
        .setNotBefore(options.nowSeconds)
        .setExpirationTime(options.nowSeconds + (options.lifetimeSeconds ?? 3600))
        .sign(options.impostor ? impostor.privateKey : published.privateKey)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
