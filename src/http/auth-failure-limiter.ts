/**
 * A brake on guessing API keys and ingest tokens (docs/decisions/0006): after too many failed authentications from
 * one client address within a window, that address is answered 429 without a store query until the window ends.
 * Only failures count, so a client that authenticates is never slowed; and a credential this process has seen
 * succeed recently still gets through from a braked address (a proxy or NAT shared with the one guessing).
 */

import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { Authenticator } from './auth.ts'
import { sendProblem } from './problem.ts'

export interface AuthFailureLimits {
  /** Failures from one address within `windowMs` that brake it; the next request is refused. */
  readonly maxFailures: number
  readonly windowMs: number
  /** How long a credential that succeeded lets its requests past a brake. */
  readonly trustedForMs: number
  /** Addresses and credentials remembered at most; beyond it the oldest are forgotten. */
  readonly maxEntries: number
}

export const defaultAuthFailureLimits: AuthFailureLimits = {
  maxFailures: 20,
  windowMs: 60_000,
  trustedForMs: 10 * 60_000,
  maxEntries: 10_000,
}

export interface AuthFailureLimiter {
  /** Milliseconds until `address` may try again with `credential`, or undefined when it may go ahead now. */
  retryAfterMs(address: string, credential: string | undefined): number | undefined
  /** A credential was presented from `address` and is unknown. */
  recordFailure(address: string): void
  /** A credential was accepted. */
  recordSuccess(credential: string): void
}

export function createAuthFailureLimiter(
  clock: Clock,
  limits: AuthFailureLimits = defaultAuthFailureLimits,
): AuthFailureLimiter {
  // Maps keep insertion order: the first entries are the oldest, and are what is dropped when full.
  const failures = new Map<string, { windowStart: number; count: number }>()
  const trusted = new Map<string, number>()

  // Credentials are held only as hashes, so this memory never holds a usable key.
  const fingerprint = (credential: string) => createHash('sha256').update(credential).digest('base64url')

  function forgetOldest<V>(map: Map<string, V>): void {
    if (map.size < limits.maxEntries) return
    const oldest = map.keys().next()
    if (!oldest.done) map.delete(oldest.value)
  }

  return {
    retryAfterMs(address, credential) {
      const entry = failures.get(address)
      if (!entry || entry.count < limits.maxFailures) return undefined
      const now = clock.now()
      const wait = entry.windowStart + limits.windowMs - now
      if (wait <= 0) {
        failures.delete(address)
        return undefined
      }
      if (credential !== undefined) {
        const until = trusted.get(fingerprint(credential))
        if (until !== undefined && until > now) return undefined
      }
      return wait
    },

    recordFailure(address) {
      const now = clock.now()
      const entry = failures.get(address)
      if (entry && entry.windowStart + limits.windowMs > now) {
        entry.count++
        return
      }
      failures.delete(address)
      forgetOldest(failures)
      failures.set(address, { windowStart: now, count: 1 })
    },

    recordSuccess(credential) {
      const key = fingerprint(credential)
      trusted.delete(key)
      forgetOldest(trusted)
      trusted.set(key, clock.now() + limits.trustedForMs)
    },
  }
}

const bearer = /^Bearer\s+(\S+)\s*$/i

/** Only the API and the ingest URL authenticate; the portal, `/healthz` and `/openapi.json` are never braked. */
function isAuthenticatedPath(url: string): boolean {
  return /^\/(v1|ingest)(\/|\?|$)/.test(url)
}

/** The credential a request presents: its bearer API key, or the token in a Microsoft ingest URL. */
function credentialOf(request: FastifyRequest): string | undefined {
  const token = (request.params as { token?: unknown } | undefined)?.token
  if (typeof token === 'string' && request.url.startsWith('/ingest/')) return token
  return request.headers.authorization?.match(bearer)?.[1]
}

/**
 * Puts the brake on an app: refused before the route runs (so before any store query), failures counted when a
 * request ends 401 with a credential presented. Returns the authenticator to hand to the routes: the same one,
 * noting each credential it accepts.
 */
export function registerAuthFailureBrake(
  app: FastifyInstance,
  auth: Authenticator,
  limiter: AuthFailureLimiter,
): Authenticator {
  // Callbacks, not async hooks: two promises less on every request. A refusal answers and does not go on.
  app.addHook('onRequest', (request, reply, done) => {
    if (!isAuthenticatedPath(request.url)) return done()
    const waitMs = limiter.retryAfterMs(request.ip, credentialOf(request))
    if (waitMs === undefined) return done()
    reply.header('retry-after', String(Math.ceil(waitMs / 1000)))
    sendProblem(
      request,
      reply,
      new AppError(
        'TOO_MANY_REQUESTS',
        `Too many unknown API keys or ingest tokens came from this address; try again in ${Math.ceil(waitMs / 1000)} s`,
      ),
    )
  })
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 401 && isAuthenticatedPath(request.url) && credentialOf(request) !== undefined) {
      limiter.recordFailure(request.ip)
    }
    done()
  })
  const accepted = async <T>(credential: string | undefined, result: Promise<T>): Promise<T> => {
    const value = await result
    if (credential !== undefined) limiter.recordSuccess(credential)
    return value
  }
  return {
    ...auth,
    tenantOf: (request) => accepted(credentialOf(request), auth.tenantOf(request)),
    callerOf: (request) => accepted(credentialOf(request), auth.callerOf(request)),
    tenantOfIngestToken: (token) => accepted(token, auth.tenantOfIngestToken(token)),
  }
}
