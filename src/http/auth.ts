/**
 * Bearer API keys, resolved to their tenant and scopes. Lookups are cached: ingest must not pay a query per request.
 *
 * Revocation must not wait for a cache to expire. A revocation or rotation made through this node calls
 * `forgetCachedCredentials`, so it holds here at once. One made elsewhere (another node, or the CLI on the same
 * database) raises the store's credential epoch in the same transaction; every node reads that single row at most
 * once per `epochCheckMs` and drops its whole cache when it moved. So elsewhere a revoked credential works for at
 * most about a second more, at the price of one primary-key read per second per busy node — cheaper than shortening
 * the cache, which would cost a query per key and token every few seconds and still leave a window of that length.
 */

import type { FastifyRequest } from 'fastify'
import { type ApiKeyScope, grantsScope } from '../core/api-key-scopes.ts'
import { hashCredential } from '../core/credentials.ts'
import { AppError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { grantsRole, type Role } from '../core/roles.ts'
import type { Person } from '../store/people-queries.ts'
import type { ApiKeyOwner, IngestTokenOwner, Store, Tenant } from '../store/types.ts'
import { requiredRoleOf, requiredScopeOf } from './route-scopes.ts'
import { changesState, comesFromPortal, cookieNamesFor, readCookie } from './session-cookies.ts'

export interface Caller {
  readonly tenant: Tenant
  /** Who, for the audit log: `key:<api key id>` or `person:<person id>`. */
  readonly actor: string
  /** The API key acting; absent for a signed-in person. */
  readonly keyId?: string
  /** The key's scopes; for a person, what their role amounts to (`read`, or `admin` from admin up). */
  readonly scopes: readonly ApiKeyScope[]
  /** The signed-in person and their role in `tenant` (owner for an operator). */
  readonly person?: Person & { readonly role: Role }
  /** SHA-256 of the session cookie, for a person. */
  readonly sessionHash?: string
  /** An operator of the installation: a tenant-less admin key, or a person named in LEADRELAY_OPERATOR_EMAILS. */
  readonly operator?: boolean
}

/** People's sessions (docs/decisions/0008); without them only API keys authenticate. */
export interface SessionSettings {
  readonly publicUrl: string
  readonly idleMs: number
  readonly maxMs: number
}

/** `lastSeenAt` is written at most this often per session, so reading pages is not a write per request. */
export const sessionTouchMs = 60_000

export interface Authenticator {
  /**
   * The tenant a request acts for; throws UNAUTHORIZED, or FORBIDDEN when the key lacks the scope the route needs
   * (`route-scopes.ts`). An operator's admin key picks a tenant with `Leadrelay-Tenant`.
   */
  tenantOf(request: FastifyRequest): Promise<Tenant>
  /** The tenant and the key acting, for calls that are audited; checks the scope like `tenantOf`. */
  callerOf(request: FastifyRequest): Promise<Caller>
  /** The tenant behind a Microsoft ingest URL token; throws INGEST_TOKEN_UNKNOWN. */
  tenantOfIngestToken(token: string): Promise<Tenant>
  /** Drops every cached key and token, after a revocation or rotation made on this node. */
  forgetCachedCredentials(): void
  /** Whether the request presents a session cookie and no API key. */
  usesSession(request: FastifyRequest): boolean
}

const cacheMs = 30_000
/** How stale another node's revocation may be here. */
export const epochCheckMs = 1_000

interface Cached<T> {
  readonly value: T
  readonly until: number
}

export function createAuthenticator(store: Store, clock: Clock, sessions?: SessionSettings): Authenticator {
  const cookies = sessions && cookieNamesFor(sessions.publicUrl)
  const keys = new Map<string, Cached<ApiKeyOwner>>()
  const tokens = new Map<string, Cached<IngestTokenOwner>>()
  /** Raised whenever the caches are dropped, so a lookup that began before cannot put a stale answer back. */
  let generation = 0
  let epoch: number | undefined
  let epochCheckedAt = Number.NEGATIVE_INFINITY
  let epochCheck: Promise<void> | undefined

  function forget(): void {
    keys.clear()
    tokens.clear()
    generation++
  }

  function checkEpoch(): Promise<void> {
    if (clock.now() - epochCheckedAt < epochCheckMs) return Promise.resolve()
    epochCheck ??= (async () => {
      try {
        const current = await store.credentialEpoch()
        if (current !== epoch) forget()
        epoch = current
        epochCheckedAt = clock.now()
      } finally {
        epochCheck = undefined
      }
    })()
    return epochCheck
  }

  /** A cached lookup; unknown credentials are not cached, so a flood of random ones cannot grow the map. */
  async function lookUp<T extends { readonly revokesAt?: number }>(
    cache: Map<string, Cached<T>>,
    hash: string,
    find: (hash: string, now: number) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    await checkEpoch()
    const now = clock.now()
    const cached = cache.get(hash)
    if (cached && cached.until > now) return cached.value
    const started = generation
    const found = await find(hash, now)
    if (found && started === generation) {
      // A rotated credential's overlap ends on time, whatever is left of the cache period.
      cache.set(hash, { value: found, until: Math.min(now + cacheMs, found.revokesAt ?? Number.POSITIVE_INFINITY) })
    }
    return found
  }

  const sessionCookieOf = (request: FastifyRequest) =>
    cookies && request.headers.authorization === undefined ? readCookie(request, cookies.session) : undefined

  async function personCallerOf(request: FastifyRequest, settings: SessionSettings, cookie: string): Promise<Caller> {
    if (changesState(request) && !comesFromPortal(request, settings.publicUrl)) {
      throw new AppError(
        'CROSS_SITE_REQUEST',
        'This change came with your session cookie from another site (or without Origin and Sec-Fetch-Site); it was not made',
      )
    }
    const sessionHash = hashCredential(cookie)
    const session = await store.findSession(sessionHash)
    const now = clock.now()
    if (!session) throw new AppError('UNAUTHORIZED', 'This session has ended; sign in again')
    if (now - session.lastSeenAt >= settings.idleMs || now - session.createdAt >= settings.maxMs) {
      await store.revokeSession(sessionHash, now)
      throw new AppError('UNAUTHORIZED', 'This session timed out; sign in again')
    }
    const { person } = session
    let tenant = session.tenant
    let role: Role | undefined
    const chosen = request.headers['leadrelay-tenant']
    if (person.operator) {
      if (typeof chosen === 'string' && chosen !== tenant.id) {
        const found = (await store.listTenants()).find((t) => t.id === chosen)
        if (!found) throw new AppError('VALIDATION_FAILED', 'No such tenant', { field: 'Leadrelay-Tenant' })
        tenant = found
      }
      role = 'owner'
    } else {
      role = (await store.membershipsOf(person.id)).find((m) => m.tenant.id === tenant.id)?.role
      if (role === undefined) {
        await store.revokeSession(sessionHash, now)
        throw new AppError('UNAUTHORIZED', 'You are no longer a member of this tenant; sign in again')
      }
    }
    const needed = requiredRoleOf(request)
    if (!grantsRole(role, needed)) {
      throw new AppError(
        'FORBIDDEN',
        `Your role is ${role}; ${request.method} ${request.routeOptions.url ?? request.url} needs ${needed} or above`,
        { extra: { requiredRole: needed, role } },
      )
    }
    if (now - session.lastSeenAt >= sessionTouchMs) await store.touchSession(sessionHash, now)
    return {
      tenant,
      actor: `person:${person.id}`,
      scopes: grantsRole(role, 'admin') ? ['admin'] : ['read'],
      person: { ...person, role },
      sessionHash,
      operator: person.operator,
    }
  }

  async function callerOf(request: FastifyRequest): Promise<Caller> {
    const cookie = sessionCookieOf(request)
    if (sessions && cookie !== undefined) return personCallerOf(request, sessions, cookie)
    const header = request.headers.authorization
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i)
    if (!match?.[1]) {
      throw new AppError('UNAUTHORIZED', 'Send your API key as "Authorization: Bearer <key>"', {
        field: 'Authorization',
      })
    }
    const owner = await lookUp(keys, hashCredential(match[1]), (hash, now) => store.findApiKey(hash, now))
    if (!owner) throw new AppError('UNAUTHORIZED', 'This API key is unknown or revoked', { field: 'Authorization' })
    const needed = requiredScopeOf(request)
    if (!grantsScope(owner.scopes, needed)) {
      throw new AppError(
        'FORBIDDEN',
        `This API key holds the scope ${owner.scopes.map((scope) => `"${scope}"`).join(', ') || 'none'}; ` +
          `${request.method} ${request.routeOptions.url ?? request.url} needs "${needed}"`,
        { field: 'Authorization', extra: { requiredScope: needed } },
      )
    }
    const caller = { actor: `key:${owner.keyId}`, keyId: owner.keyId, scopes: owner.scopes }
    if (owner.tenant) return { ...caller, tenant: owner.tenant }
    const chosen = request.headers['leadrelay-tenant']
    const tenant = typeof chosen === 'string' ? (await store.listTenants()).find((t) => t.id === chosen) : undefined
    if (!tenant) {
      throw new AppError('VALIDATION_FAILED', 'An admin key must name a tenant in the Leadrelay-Tenant header', {
        field: 'Leadrelay-Tenant',
      })
    }
    return { ...caller, tenant, operator: true }
  }

  return {
    callerOf,
    tenantOf: async (request) => (await callerOf(request)).tenant,
    forgetCachedCredentials: forget,
    usesSession: (request) => sessionCookieOf(request) !== undefined,

    async tenantOfIngestToken(token) {
      const owner = await lookUp(tokens, hashCredential(token), (hash, now) => store.findIngestToken(hash, now))
      if (!owner) {
        throw new AppError(
          'INGEST_TOKEN_UNKNOWN',
          'This ingest URL is not valid (or was rotated and its overlap has ended); copy it again from Leadrelay',
          { field: 'token' },
        )
      }
      return owner.tenant
    },
  }
}
