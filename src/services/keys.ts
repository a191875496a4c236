/** Named API keys and the Microsoft ingest token: create, list, rotate, revoke. Shared by HTTP and CLI; audited. */

import { z } from 'zod'
import { type ApiKeyScope, apiKeyScopes } from '../core/api-key-scopes.ts'
import { credentialHint, generateCredential, hashCredential } from '../core/credentials.ts'
import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { ApiKeyRecord, IngestTokenRecord, Store, Tenant } from '../store/types.ts'
import { createAuditRecorder } from './audit-log.ts'
import { ingestUrlOf } from './tenants.ts'

const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

/** The public view of an API key (the API's ApiKey, the CLI's JSON): never its secret or hash. */
export function presentKey(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    hint: key.hint ?? null,
    createdAt: isoOrNull(key.createdAt),
    revokesAt: isoOrNull(key.revokesAt),
  }
}

/** The public view of an ingest token (the API's IngestToken): never its secret or hash. */
export function presentIngestToken(token: IngestTokenRecord) {
  return {
    id: token.id,
    current: token.revokesAt === undefined,
    hint: token.hint ?? null,
    createdAt: isoOrNull(token.createdAt),
    revokesAt: isoOrNull(token.revokesAt),
  }
}

export interface KeyServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly publicUrl: string
  /** Called after every revocation or rotation, so this process stops honouring a cached credential at once. */
  readonly onRevoked?: () => void
}

const hourMs = 3_600_000
/** Long enough to update Partner Center over a weekend; the old URL then stops by itself. */
export const defaultIngestOverlapHours = 72
export const maxOverlapHours = 720

export const keyInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(apiKeyScopes))
    .min(1)
    .max(apiKeyScopes.length)
    .transform((scopes) => [...new Set(scopes)]),
})

export const keyRotateInput = z.strictObject({
  /** How long the old secret keeps working; 0 (the default) stops it at once. */
  overlapHours: z.number().int().min(0).max(maxOverlapHours).default(0),
})

export const ingestTokenRotateInput = z.strictObject({
  /** How long the old ingest URL keeps working, so Partner Center can be updated without losing a lead. */
  overlapHours: z.number().int().min(0).max(maxOverlapHours).default(defaultIngestOverlapHours),
})

export interface RevealedKey {
  readonly key: ApiKeyRecord
  /** Shown once; only its hash is stored. */
  readonly secret: string
}

export interface RevealedIngestToken {
  readonly tokens: readonly IngestTokenRecord[]
  readonly current: IngestTokenRecord
  /** Shown once; only its hash is stored. */
  readonly ingestToken: string
  readonly ingestUrl: string
}

export interface KeyService {
  listKeys(tenant: Tenant): Promise<readonly ApiKeyRecord[]>
  createKey(
    tenant: Tenant,
    input: { name: string; scopes: readonly ApiKeyScope[] },
    actor: string,
  ): Promise<RevealedKey>
  /** A new secret under a new id with the same name and scopes; the old one stops after `overlapHours`. */
  rotateKey(
    tenant: Tenant,
    id: string,
    input: { overlapHours: number },
    actor: string,
  ): Promise<RevealedKey & { readonly previous: ApiKeyRecord }>
  revokeKey(tenant: Tenant, id: string, actor: string): Promise<ApiKeyRecord>
  listIngestTokens(tenant: Tenant): Promise<readonly IngestTokenRecord[]>
  rotateIngestToken(tenant: Tenant, input: { overlapHours: number }, actor: string): Promise<RevealedIngestToken>
  /** Ends a previous token's overlap now; the current token can only be replaced by a rotation. */
  revokeIngestToken(tenant: Tenant, id: string, actor: string): Promise<IngestTokenRecord>
}

export function createKeyService(deps: KeyServiceDeps): KeyService {
  const { store, clock, ids } = deps

  const audit = createAuditRecorder(deps)

  function keyNotFound(id: string): AppError {
    return new AppError('NOT_FOUND', `No working API key ${id} in this tenant`, { field: 'keyId' })
  }

  return {
    listKeys: (tenant) => store.listApiKeys(tenant.id, clock.now()),

    async createKey(tenant, input, actor) {
      const secret = generateCredential('apiKey')
      const key = await store.createApiKey({
        id: ids.next('key'),
        tenantId: tenant.id,
        name: input.name,
        scopes: input.scopes,
        hash: hashCredential(secret),
        hint: credentialHint(secret),
        createdAt: clock.now(),
      })
      await audit(tenant, actor, 'key.created', key.id, { name: key.name, scopes: key.scopes })
      return { key, secret }
    },

    async rotateKey(tenant, id, input, actor) {
      const secret = generateCredential('apiKey')
      const now = clock.now()
      const rotated = await store.rotateApiKey(
        tenant.id,
        id,
        { id: ids.next('key'), hash: hashCredential(secret), hint: credentialHint(secret), createdAt: now },
        now + input.overlapHours * hourMs,
      )
      if (!rotated) throw keyNotFound(id)
      deps.onRevoked?.()
      await audit(tenant, actor, 'key.rotated', id, {
        replacedBy: rotated.current.id,
        overlapHours: input.overlapHours,
      })
      return { key: rotated.current, secret, previous: rotated.previous }
    },

    async revokeKey(tenant, id, actor) {
      const now = clock.now()
      const keys = await store.listApiKeys(tenant.id, now)
      const key = keys.find((candidate) => candidate.id === id)
      if (!key) throw keyNotFound(id)
      const otherAdmins = keys.filter(
        (candidate) => candidate.id !== id && candidate.revokesAt === undefined && candidate.scopes.includes('admin'),
      )
      if (key.scopes.includes('admin') && key.revokesAt === undefined && otherAdmins.length === 0) {
        throw new AppError(
          'CONFLICT',
          'This is the last admin key of the tenant: create another admin key first, or rotate this one',
          { field: 'keyId' },
        )
      }
      const revoked = await store.revokeApiKey(tenant.id, id, now)
      if (!revoked) throw keyNotFound(id)
      deps.onRevoked?.()
      await audit(tenant, actor, 'key.revoked', id, { name: revoked.name })
      return revoked
    },

    listIngestTokens: (tenant) => store.listIngestTokens(tenant.id, clock.now()),

    async rotateIngestToken(tenant, input, actor) {
      const ingestToken = generateCredential('ingestToken')
      const now = clock.now()
      const id = ids.next('itk')
      const tokens = await store.rotateIngestToken(
        {
          id,
          tenantId: tenant.id,
          hash: hashCredential(ingestToken),
          hint: credentialHint(ingestToken),
          createdAt: now,
        },
        now + input.overlapHours * hourMs,
      )
      deps.onRevoked?.()
      const current = tokens.find((token) => token.id === id)!
      await audit(tenant, actor, 'ingest_token.rotated', id, {
        overlapHours: input.overlapHours,
        previous: tokens.filter((token) => token.id !== id).map((token) => token.id),
      })
      return { tokens, current, ingestToken, ingestUrl: ingestUrlOf(deps.publicUrl, ingestToken) }
    },

    async revokeIngestToken(tenant, id, actor) {
      const now = clock.now()
      const token = (await store.listIngestTokens(tenant.id, now)).find((candidate) => candidate.id === id)
      if (!token) throw new AppError('NOT_FOUND', `No working ingest token ${id} in this tenant`, { field: 'tokenId' })
      if (token.revokesAt === undefined) {
        throw new AppError(
          'CONFLICT',
          'This is the current ingest URL; rotate it (overlapHours 0 stops the old URL at once) instead of revoking it',
          { field: 'tokenId' },
        )
      }
      const revoked = await store.revokeIngestToken(tenant.id, id, now)
      if (!revoked)
        throw new AppError('NOT_FOUND', `No working ingest token ${id} in this tenant`, { field: 'tokenId' })
      deps.onRevoked?.()
      await audit(tenant, actor, 'ingest_token.revoked', id)
      return revoked
    },
  }
}
