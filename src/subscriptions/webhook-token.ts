/**
 * Checks the Microsoft Entra token on a SaaS fulfillment webhook call before Leadrelay stores or relays it.
 *
 * Microsoft's "Implementing a webhook on the SaaS service" page
 * (https://learn.microsoft.com/partner-center/marketplace-offers/pc-saas-fulfillment-webhook) says the ISV must
 * validate the Entra token (a standard bearer JWT in the request's Authorization header) and points to the Microsoft
 * identity platform's "Access tokens" page for how: signature against the keys Entra publishes, issuer the publisher's
 * Entra tenant (`https://sts.windows.net/{tid}/` for v1 tokens, `https://login.microsoftonline.com/{tid}/v2.0` for v2),
 * audience the publisher's app (the Entra application id given in Partner Center's technical configuration), and the
 * token's lifetime. The webhook page is silent on which token version Microsoft sends, so both issuer forms are
 * accepted, and an audience of the app id or its `api://{app id}` URI.
 */

import type { JWTPayload } from 'jose'
import type { Clock } from '../core/ports.ts'

export interface WebhookTokenVerifierDeps {
  /** Where Entra publishes its signing keys (config `LEADRELAY_SAAS_WEBHOOK_JWKS_URL`). */
  readonly jwksUrl: string
  /** Accepted issuers; `{tenantId}` stands for the publisher's Entra tenant (config `LEADRELAY_SAAS_WEBHOOK_ISSUERS`). */
  readonly issuers: readonly string[]
  readonly clock: Clock
  /** Allowed clock skew between Entra and this machine, in seconds. */
  readonly clockToleranceSeconds?: number
}

/** The publisher's Entra app a webhook token must be issued for. */
export interface WebhookAudience {
  readonly entraTenantId: string
  readonly clientId: string
}

/** Why a token was refused, in words safe to log and to answer (never the token itself). */
export class WebhookTokenError extends Error {
  override readonly name = 'WebhookTokenError'
}

export interface WebhookTokenVerifier {
  /** The token's claims when the Authorization header carries a valid token for `audience`; otherwise throws WebhookTokenError. */
  verify(authorization: string | undefined, audience: WebhookAudience): Promise<JWTPayload>
}

function reasonOf(error: unknown, errors: typeof import('jose').errors): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired'
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'the token was not issued by the publisher’s Microsoft Entra tenant'
    if (error.claim === 'aud') return 'the token is not for the publisher’s app (audience)'
    if (error.claim === 'nbf') return 'the token is not valid yet'
    return `the token's ${error.claim} claim is not accepted`
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token’s signature does not verify'
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is not signed by a key Microsoft Entra publishes'
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token’s signing algorithm is not accepted'
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return 'Microsoft Entra’s signing keys could not be read'
  }
  if (error instanceof errors.JOSEError) return 'the token is malformed'
  return 'the token could not be checked'
}

/** jose loads with the first webhook call (about 10 MB an installation without the relay never holds). */
export function createWebhookTokenVerifier(deps: WebhookTokenVerifierDeps): WebhookTokenVerifier {
  // One key set per process: jose caches the keys and fetches again (at most every 30 s) for an unknown key id.
  let verifier:
    | Promise<{ jose: typeof import('jose'); keys: ReturnType<typeof import('jose').createRemoteJWKSet> }>
    | undefined
  const load = () => {
    verifier ??= import('jose').then((jose) => ({
      jose,
      keys: jose.createRemoteJWKSet(new URL(deps.jwksUrl), { timeoutDuration: 5000 }),
    }))
    return verifier
  }
  return {
    async verify(authorization, audience) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
      if (!match?.[1]) throw new WebhookTokenError('the call carries no Authorization: Bearer token')
      const { jose, keys } = await load()
      const { jwtVerify } = jose
      try {
        const { payload } = await jwtVerify(match[1], keys, {
          issuer: deps.issuers.map((issuer) => issuer.replaceAll('{tenantId}', audience.entraTenantId)),
          audience: [audience.clientId, `api://${audience.clientId}`],
          // Entra signs access tokens with RS256 (the "Access tokens" page); nothing else is accepted.
          algorithms: ['RS256'],
          requiredClaims: ['exp'],
          currentDate: new Date(deps.clock.now()),
          clockTolerance: deps.clockToleranceSeconds ?? 60,
        })
        return payload
      } catch (error) {
        throw new WebhookTokenError(reasonOf(error, jose.errors))
      }
    },
  }
}
