/**
 * People's sign-in (docs/decisions/0008-sign-in-for-people.md): `/auth/config` tells the portal what to offer,
 * `/auth/login` sends the browser to the identity provider, `/auth/callback` checks its answer and opens a session,
 * `/auth/logout` ends it here and answers where the browser ends it at the provider too (RP-initiated logout);
 * `POST /v1/sessions/revoke-all` signs out everywhere.
 */

import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { hashCredential } from '../../core/credentials.ts'
import { AppError } from '../../core/errors.ts'
import { createIdentityProvider, type IdentityProvider, type LoginChecks } from '../../services/identity-provider.ts'
import type { PeopleService } from '../../services/people.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { checkedByService, jsonAnswer } from '../route-schema.ts'
import { publicRoute, requires } from '../route-scopes.ts'
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

const authConfigSchema = z
  .object({
    oidc: z.boolean().describe('Sign-in with an identity provider is set up'),
    provider: z.enum(['microsoft', 'oidc']).nullable().describe('Which button to show: Microsoft Entra ID or another'),
    apiKeySignIn: z.boolean().describe('Signing in with an API key is allowed'),
  })
  .meta({ id: 'AuthConfig' })

/** What the browser brings to /auth/login; the route reads it leniently (anything else signs in to `/`). */
const loginQuery = checkedByService(
  z.object({
    invitation: z.string().describe('The invitation token of an invitation link').optional(),
    returnTo: z.string().describe('A path of this site to come back to; anything else is /').optional(),
  }),
)

/** What the identity provider sends the browser back with (OpenID Connect authorization response); it checks it. */
const callbackQuery = checkedByService(
  z.looseObject({
    code: z.string().optional(),
    state: z.string().optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
  }),
)

const redirect = (description: string) => z.undefined().describe(description)

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

  const api = app.withTypeProvider<ZodTypeProvider>()

  api.get(
    '/auth/config',
    {
      config: publicRoute,
      schema: {
        operationId: 'getAuthConfig',
        summary: 'What the sign-in page should offer: an identity provider, an API key, or both',
        response: { 200: jsonAnswer('The sign-in options', authConfigSchema) },
      },
    },
    async () => {
      const issuer = signIn?.oidc?.issuer
      return {
        oidc: issuer !== undefined,
        provider:
          issuer === undefined
            ? null
            : issuer.includes('login.microsoftonline.com')
              ? ('microsoft' as const)
              : ('oidc' as const),
        apiKeySignIn: signIn?.apiKeySignIn ?? true,
      }
    },
  )

  function refusedTo(reply: FastifyReply, detail: string) {
    reply.header('set-cookie', cookieHeader(cookies.login, '', 0, cookies.secure))
    return reply.redirect(`/?signInError=${encodeURIComponent(detail)}`, 303)
  }

  api.get(
    '/auth/login',
    {
      config: publicRoute,
      schema: {
        operationId: 'signIn',
        summary:
          'Start signing in: sets the sealed login state cookie and sends the browser to the identity provider (authorization code flow with PKCE); 404 NOT_FOUND when no provider is set up',
        querystring: loginQuery,
        response: { 302: redirect('To the identity provider') },
      },
    },
    async (request, reply) => {
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
    },
  )

  api.get(
    '/auth/callback',
    {
      config: publicRoute,
      schema: {
        operationId: 'finishSignIn',
        summary:
          'Where the identity provider sends the browser back: checks its answer, opens a session (HttpOnly cookie) and goes to the page sign-in began on; a refusal goes to /?signInError=… saying why',
        querystring: callbackQuery,
        response: { 303: redirect('Signed in, to the page sign-in began on; or refused, to the sign-in page') },
      },
    },
    async (request, reply) => {
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
    },
  )

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

  api.post(
    '/auth/logout',
    {
      config: publicRoute,
      schema: {
        operationId: 'signOut',
        summary:
          "Sign out: ends this browser's session and answers where to end it at the identity provider too (null when there is nothing to end there)",
        response: {
          200: jsonAnswer(
            'Signed out here',
            z.object({ endSessionUrl: z.string().nullable().describe("The provider's end-session URL to visit") }),
          ),
        },
      },
    },
    async (request, reply) => {
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
    },
  )

  api.post(
    '/v1/sessions/revoke-all',
    {
      // With an admin key: signs every person of the tenant out; a person signs only themselves out everywhere.
      config: requires('admin', 'viewer'),
      schema: {
        operationId: 'revokeAllSessions',
        summary:
          'Sign out everywhere: every session of the signed-in person (with an admin key: of every person of the tenant)',
        response: { 200: jsonAnswer('Sessions ended', z.object({ revoked: z.int() })) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
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
    },
  )
}
