/** Bearer API keys, resolved to their tenant. Lookups are cached briefly: ingest must not pay a query per request. */

import type { FastifyRequest } from 'fastify'
import { hashCredential } from '../core/credentials.ts'
import { AppError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { ApiKeyOwner, Store, Tenant } from '../store/types.ts'

export interface Caller {
  readonly tenant: Tenant
  /** Who, for the audit log: `key:<api key id>`. */
  readonly actor: string
}

export interface Authenticator {
  /** The tenant a request acts for; throws UNAUTHORIZED. An admin key picks a tenant with `Leadrelay-Tenant`. */
  tenantOf(request: FastifyRequest): Promise<Tenant>
  /** The tenant and the key acting, for calls that are audited. */
  callerOf(request: FastifyRequest): Promise<Caller>
  /** The tenant behind a Microsoft ingest URL token; throws INGEST_TOKEN_UNKNOWN. */
  tenantOfIngestToken(token: string): Promise<Tenant>
}

const cacheMs = 30_000

export function createAuthenticator(store: Store, clock: Clock): Authenticator {
  const keys = new Map<string, { owner: ApiKeyOwner | undefined; until: number }>()
  const tokens = new Map<string, { tenant: Tenant | undefined; until: number }>()

  async function ownerOf(hash: string): Promise<ApiKeyOwner | undefined> {
    const cached = keys.get(hash)
    if (cached && cached.until > clock.now()) return cached.owner
    const owner = await store.findApiKey(hash)
    // Unknown keys are not cached: a flood of random keys must not grow the map.
    if (owner) keys.set(hash, { owner, until: clock.now() + cacheMs })
    return owner
  }

  async function callerOf(request: FastifyRequest): Promise<Caller> {
    const header = request.headers.authorization
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i)
    if (!match?.[1]) {
      throw new AppError('UNAUTHORIZED', 'Send your API key as "Authorization: Bearer <key>"', {
        field: 'Authorization',
      })
    }
    const owner = await ownerOf(hashCredential(match[1]))
    if (!owner) throw new AppError('UNAUTHORIZED', 'This API key is unknown or revoked', { field: 'Authorization' })
    const actor = `key:${owner.keyId}`
    if (owner.tenant) return { tenant: owner.tenant, actor }
    const chosen = request.headers['leadrelay-tenant']
    const tenant = typeof chosen === 'string' ? (await store.listTenants()).find((t) => t.id === chosen) : undefined
    if (!tenant) {
      throw new AppError('VALIDATION_FAILED', 'An admin key must name a tenant in the Leadrelay-Tenant header', {
        field: 'Leadrelay-Tenant',
      })
    }
    return { tenant, actor }
  }

  return {
    callerOf,
    tenantOf: async (request) => (await callerOf(request)).tenant,

    async tenantOfIngestToken(token) {
      const hash = hashCredential(token)
      const cached = tokens.get(hash)
      let tenant = cached && cached.until > clock.now() ? cached.tenant : undefined
      if (!tenant) {
        tenant = await store.findTenantByIngestToken(hash)
        if (tenant) tokens.set(hash, { tenant, until: clock.now() + cacheMs })
      }
      if (!tenant) {
        throw new AppError('INGEST_TOKEN_UNKNOWN', 'This ingest URL is not valid; copy it again from Leadrelay', {
          field: 'token',
        })
      }
      return tenant
    },
  }
}
