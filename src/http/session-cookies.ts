/**
 * The cookies of people's sign-in (docs/decisions/0008-sign-in-for-people.md): the session and the short-lived login
 * state, and the same-origin rule every state-changing request made with the session cookie must pass (CSRF).
 */

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../core/errors.ts'
import { sendProblem } from './problem.ts'

export interface CookieNames {
  readonly session: string
  readonly login: string
  /** The sealed ID token of the sign-in, handed back to the provider as `id_token_hint` at sign-out. */
  readonly idToken: string
  /** Set on https public URLs: the browser then keeps the cookies off plain http. */
  readonly secure: boolean
}

/** `__Host-` names on https, so no sibling subdomain can plant or shadow them. */
export function cookieNamesFor(publicUrl: string): CookieNames {
  const secure = publicUrl.startsWith('https://')
  const prefix = secure ? '__Host-' : ''
  return {
    session: `${prefix}leadrelay-session`,
    login: `${prefix}leadrelay-login`,
    idToken: `${prefix}leadrelay-id-token`,
    secure,
  }
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue
    try {
      return decodeURIComponent(part.slice(separator + 1).trim())
    } catch {
      return undefined
    }
  }
  return undefined
}

/** An HttpOnly, SameSite=Lax cookie for the whole site; `maxAgeSeconds` 0 removes it. */
export function cookieHeader(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ')
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

export function changesState(request: FastifyRequest): boolean {
  return !safeMethods.has(request.method)
}

/**
 * True when the browser says the request comes from the portal's own origin: `Sec-Fetch-Site: same-origin` when it
 * sends fetch metadata, else an `Origin` equal to the public URL's. A request that says neither is not believed.
 */
export function comesFromPortal(request: FastifyRequest, publicUrl: string): boolean {
  const site = request.headers['sec-fetch-site']
  if (typeof site === 'string') return site === 'same-origin'
  const origin = request.headers.origin
  return typeof origin === 'string' && origin === new URL(publicUrl).origin
}

/**
 * Refuses, before the body is even parsed, every state-changing request that carries the session cookie (and no API
 * key) but does not come from the portal: a forged form or fetch from another site changes nothing.
 */
export function registerCrossSiteCheck(
  app: FastifyInstance,
  usesSession: (request: FastifyRequest) => boolean,
  publicUrl: string,
): void {
  // A callback, not an async hook: one promise less on every request. A refusal answers and does not go on.
  app.addHook('onRequest', (request, reply, done) => {
    if (!changesState(request) || !usesSession(request) || comesFromPortal(request, publicUrl)) return done()
    sendProblem(
      request,
      reply,
      new AppError(
        'CROSS_SITE_REQUEST',
        'This change came with your session cookie from another site (or without Origin and Sec-Fetch-Site); it was not made',
      ),
    )
  })
}
