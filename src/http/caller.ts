/**
 * The caller of a route (tenant, key and scopes, or the signed-in person and role) is resolved once, by a hook, from
 * what the route declares (`config: requires(...)`, route-scopes.ts); handlers read it with `callerOf`.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../core/errors.ts'
import type { Authenticator, Caller } from './auth.ts'
import { accessOf } from './route-scopes.ts'

const callers = new WeakMap<FastifyRequest, Caller>()

/**
 * Resolves the caller before validation, after the NUL guard: an unauthenticated or forbidden request is refused
 * (401, 403) before its input is even looked at, and nothing the route does runs for it.
 */
export function registerCallerHook(app: FastifyInstance, auth: Authenticator): void {
  // A callback, not an async hook: a route without a declared scope (lead intake by ingest URL) costs no promise.
  app.addHook('preValidation', (request, _reply, done) => {
    const access = accessOf(request)
    if (access?.role === undefined) return done()
    auth.callerOf(request).then((caller) => {
      callers.set(request, caller)
      done()
    }, done)
  })
}

/** The caller the hook resolved for this request; only routes that declare a scope have one. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request)
  if (!caller) {
    throw new AppError('INTERNAL', `${request.method} ${request.routeOptions.url} declares no scope, so has no caller`)
  }
  return caller
}
