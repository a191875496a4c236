/**
 * People's sign-in (docs/decisions/0008-sign-in-for-people.md): `/auth/config` tells the portal what to offer,
 * `/auth/login` sends the browser to the identity provider, `/auth/callback` checks its answer and opens a session,
 * `/auth/logout` ends it here and answers where the browser ends it at the provider too (RP-initiated logout);
 * `POST /v1/sessions/revoke-all` signs out everywhere.
 */

import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { hashCredential } from '../../core/credentials.ts'
import { AppError } from '../../core/errors.ts'
import { createIdentityProvider, type IdentityProvider, type LoginChecks } from '../../services/identity-provider.ts'
import type { PeopleService } from '../../services/people.ts'
import type { HttpDeps } from '../deps.ts'
import { cookieHeader, cookieNamesFor, readCookie } from '../session-cookies.ts'

/** How long a started sign-in may take at the provider. */
export const loginStateMs = 10 * 60_000

const loginState = z.object({
  checks: z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string() }),
  invitation: z.string().optional(),
  returnTo: z.string(),
  expiresAt: z.number(),
})

const sealContext = 'leadrelay login state'
const idTokenContext = 'leadrelay id token hint'

/** Where the provider sends the browser back after sign-out: a portal page saying so (registered at the provider). */
export const signedOutPath = '/signed-out'

/**
 * A browser keeps cookies of up to 4096 bytes; an ID token too big to fit sealed (Entra's with many group claims) is
 * not kept, and sign-out then asks the provider with the client id alone.
 */
const maxCookieValue = 3800

/** Only a path of this site: never `//elsewhere` or a full URL, so the callback cannot be made an open redirect. */
function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/'
}

export function registerSignInRoutes(
  app: FastifyInstance,
  deps: HttpDeps,
  people: PeopleService,
  provider: IdentityProvider | undefined = deps.signIn?.oidc && createIdentityProvider(deps.signIn.oidc),
): void {
  const signIn = deps.signIn
  const cookies = cookieNamesFor(deps.publicUrl)
  const redirectUri = `${deps.publicUrl}/auth/callback`

  app.get('/auth/config', async () => {
    const issuer = signIn?.oidc?.issuer
    return {
      oidc: issuer !== undefined,
      provider: issuer === undefined ? null : issuer.includes('login.microsoftonline.com') ? 'microsoft' : 'oidc',
      apiKeySignIn: signIn?.apiKeySignIn ?? true,
    }
  })

  function refusedTo(reply: FastifyReply, detail: string) {
    reply.header('set-cookie', cookieHeader(cookies.login, '', 0, cookies.secure))
    return reply.redirect(`/?signInError=${encodeURIComponent(detail)}`, 303)
  }

  app.get<{ Querystring: { invitation?: string; returnTo?: string } }>('/auth/login', async (request, reply) => {
    if (!provider || !deps.sealer) throw new AppError('NOT_FOUND', 'Sign-in with an identity provider is not set up')
    const { url, checks } = await provider.startSignIn(redirectUri)
    const state = {
      checks,
      ...(typeof request.query.invitation === 'string' && { invitation: request.query.invitation }),
      returnTo: safeReturnTo(request.query.returnTo),
      expiresAt: deps.clock.now() + loginStateMs,
    }
    const sealed = deps.sealer.seal(JSON.stringify(state), sealContext)
    reply.header('set-cookie', cookieHeader(cookies.login, sealed, loginStateMs / 1000, cookies.secure))
    reply.header('cache-control', 'no-store')
    return reply.redirect(url.href, 302)
  })

  app.get('/auth/callback', async (request, reply) => {
    if (!provider || !deps.sealer) throw new AppError('NOT_FOUND', 'Sign-in with an identity provider is not set up')
    const query = request.query as Record<string, unknown>
    if (typeof query.error === 'string') {
      return refusedTo(reply, `The identity provider said: ${query.error_description ?? query.error}`)
    }
    const state = openLoginState(request)
    if (!state) return refusedTo(reply, 'This sign-in took too long or began in another browser; sign in again')
    try {
      const search = request.url.slice(request.url.indexOf('?'))
      const { claims, idToken } = await provider.finishSignIn(
        new URL(`${redirectUri}${search}`),
        state.checks as LoginChecks,
      )
      const { person, tenant } = await people.admit(claims, state.invitation)
      const sessionId = randomBytes(32).toString('base64url')
      await deps.store.createSession({
        idHash: hashCredential(sessionId),
        personId: person.id,
        tenantId: tenant.id,
        createdAt: deps.clock.now(),
      })
      const maxAge = (signIn?.sessionMaxMs ?? 0) / 1000
      // Sealed: the token names the person; only this server reads it back, at sign-out.
      const sealedIdToken = deps.sealer.seal(idToken, idTokenContext)
      reply.header('set-cookie', [
        cookieHeader(cookies.login, '', 0, cookies.secure),
        cookieHeader(cookies.session, sessionId, maxAge, cookies.secure),
        cookieHeader(
          cookies.idToken,
          encodeURIComponent(sealedIdToken).length <= maxCookieValue ? sealedIdToken : '',
          encodeURIComponent(sealedIdToken).length <= maxCookieValue ? maxAge : 0,
          cookies.secure,
        ),
      ])
      return reply.redirect(state.returnTo, 303)
    } catch (error) {
      if (error instanceof AppError) return refusedTo(reply, error.message)
      throw error
    }
  })

  function openLoginState(request: FastifyRequest) {
    const sealed = readCookie(request, cookies.login)
    if (sealed === undefined || !deps.sealer) return undefined
    try {
      const state = loginState.parse(JSON.parse(deps.sealer.open(sealed, sealContext)))
      return state.expiresAt > deps.clock.now() ? state : undefined
    } catch {
      return undefined
    }
  }

  function openIdToken(request: FastifyRequest): string | undefined {
    const sealed = readCookie(request, cookies.idToken)
    if (!sealed || !deps.sealer) return undefined
    try {
      return deps.sealer.open(sealed, idTokenContext)
    } catch {
      return undefined
    }
  }

  app.post('/auth/logout', async (request, reply) => {
    const sessionId = readCookie(request, cookies.session)
    // A cross-site sign-out never gets here (registerCrossSiteCheck).
    if (sessionId !== undefined) await deps.store.revokeSession(hashCredential(sessionId), deps.clock.now())
    const idToken = openIdToken(request)
    reply.header('set-cookie', [
      cookieHeader(cookies.session, '', 0, cookies.secure),
      cookieHeader(cookies.idToken, '', 0, cookies.secure),
    ])
    // Only a person who signed in at the provider is sent there; the portal navigates, so no form-action CSP applies.
    const endSession =
      provider && sessionId !== undefined
        ? await provider.endSessionUrl(idToken, `${deps.publicUrl}${signedOutPath}`)
        : undefined
    return { endSessionUrl: endSession?.href ?? null }
  })

  app.post('/v1/sessions/revoke-all', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const now = deps.clock.now()
    const revoked = caller.person
      ? await deps.store.revokeSessions({ personId: caller.person.id }, now)
      : await deps.store.revokeSessions({ tenantId: caller.tenant.id }, now)
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: caller.tenant.id,
      actor: caller.actor,
      action: 'sessions.revoked',
      target: caller.person ? caller.person.id : caller.tenant.id,
      detail: { revoked },
      at: now,
    })
    if (caller.person) reply.header('set-cookie', cookieHeader(cookies.session, '', 0, cookies.secure))
    return { revoked }
  })
}
