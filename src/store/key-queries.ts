/** Named API keys, ingest tokens and the credential epoch: the queries every dialect shares. */

import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import { formatScopes, parseScopes } from '../core/api-key-scopes.ts'
import type { Database } from './schema.ts'
import type { ApiKeyRecord, IngestTokenRecord, KeyStore, Tenant } from './types.ts'

type Executor = Kysely<Database> | Transaction<Database>

function apiKeyOf(row: Selectable<Database['api_keys']>): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id ?? '',
    name: row.label,
    scopes: parseScopes(row.scopes),
    ...(row.hint !== null && { hint: row.hint }),
    createdAt: Number(row.created_at),
    ...(row.revoked_at !== null && { revokesAt: Number(row.revoked_at) }),
  }
}

function ingestTokenOf(row: Selectable<Database['ingest_tokens']>): IngestTokenRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    ...(row.hint !== null && { hint: row.hint }),
    createdAt: Number(row.created_at),
    ...(row.revoked_at !== null && { revokesAt: Number(row.revoked_at) }),
  }
}

/** The current token (no revocation time) first, then the others by when they stop, latest first. */
function newestFirst(tokens: IngestTokenRecord[]): IngestTokenRecord[] {
  const stopsAt = (token: IngestTokenRecord) => token.revokesAt ?? Number.POSITIVE_INFINITY
  return tokens.sort((a, b) => stopsAt(b) - stopsAt(a) || b.createdAt - a.createdAt)
}

function tenantOf(row: { id: string; name: string; created_at: number }): Tenant {
  return { id: row.id, name: row.name, createdAt: Number(row.created_at) }
}

/**
 * Raised in the same transaction as the revocation it announces, so no node can read the revocation without the raise;
 * first, so the transaction's first statement is a write on every dialect.
 */
async function raiseEpoch(trx: Executor): Promise<void> {
  await trx
    .updateTable('credential_epoch')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .execute()
}

/** Thrown inside a credential transaction that found nothing to change, so its epoch raise is rolled back. */
const nothingChanged = new Error('nothing to change')

/**
 * Runs a credential change in a transaction that raises the epoch first (every change of credentials queues on that
 * row), and rolls it all back when the change finds nothing to act on: a refused request stores nothing.
 */
async function changeCredentials<T>(db: Kysely<Database>, change: (trx: Executor) => Promise<T | undefined>) {
  try {
    return await db.transaction().execute(async (trx) => {
      await raiseEpoch(trx)
      const result = await change(trx)
      if (result === undefined) throw nothingChanged
      return result
    })
  } catch (error) {
    if (error === nothingChanged) return undefined
    throw error
  }
}

/** A revocation time never moves later: a key revoked now stays revoked whatever overlap a later rotation asks. */
function earliest(at: number) {
  return sql<number>`case when revoked_at is null or revoked_at > ${at} then ${at} else revoked_at end`
}

export function createKeyQueries(db: Kysely<Database>): KeyStore {
  const workingKeys = (executor: Executor, tenantId: string, now: number) =>
    executor
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))

  const workingTokens = (executor: Executor, tenantId: string, now: number) =>
    executor
      .selectFrom('ingest_tokens')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))

  return {
    async findApiKey(keyHash, now) {
      const row = await db
        .selectFrom('api_keys')
        .leftJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
        .select([
          'api_keys.id as key_id',
          'api_keys.role',
          'api_keys.scopes',
          'api_keys.revoked_at',
          'tenants.id',
          'tenants.name',
          'tenants.created_at',
        ])
        .where('api_keys.key_hash', '=', keyHash)
        .where((eb) => eb.or([eb('api_keys.revoked_at', 'is', null), eb('api_keys.revoked_at', '>', now)]))
        .executeTakeFirst()
      if (!row) return undefined
      const role = row.role === 'admin' ? 'admin' : 'tenant'
      return {
        keyId: row.key_id,
        role,
        // An operator's key serves every tenant and has always been able to do everything.
        scopes: role === 'admin' ? ['admin'] : parseScopes(row.scopes),
        ...(row.id !== null &&
          row.name !== null &&
          row.created_at !== null && { tenant: tenantOf({ id: row.id, name: row.name, created_at: row.created_at }) }),
        ...(row.revoked_at !== null && { revokesAt: Number(row.revoked_at) }),
      }
    },

    async findIngestToken(tokenHash, now) {
      const row = await db
        .selectFrom('ingest_tokens')
        .innerJoin('tenants', 'tenants.id', 'ingest_tokens.tenant_id')
        .select([
          'ingest_tokens.id as token_id',
          'ingest_tokens.revoked_at',
          'tenants.id',
          'tenants.name',
          'tenants.created_at',
        ])
        .where('ingest_tokens.token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('ingest_tokens.revoked_at', 'is', null), eb('ingest_tokens.revoked_at', '>', now)]))
        .executeTakeFirst()
      if (!row) return undefined
      return {
        tokenId: row.token_id,
        tenant: tenantOf(row),
        ...(row.revoked_at !== null && { revokesAt: Number(row.revoked_at) }),
      }
    },

    async credentialEpoch() {
      const row = await db.selectFrom('credential_epoch').select('version').where('id', '=', 1).executeTakeFirst()
      return Number(row?.version ?? 0)
    },

    async createApiKey(key) {
      await db
        .insertInto('api_keys')
        .values({
          id: key.id,
          tenant_id: key.tenantId,
          key_hash: key.hash,
          role: 'tenant',
          label: key.name,
          scopes: formatScopes(key.scopes),
          hint: key.hint,
          created_at: key.createdAt,
          revoked_at: null,
        })
        .execute()
      return {
        id: key.id,
        tenantId: key.tenantId,
        name: key.name,
        scopes: parseScopes(formatScopes(key.scopes)),
        hint: key.hint,
        createdAt: key.createdAt,
      }
    },

    async listApiKeys(tenantId, now) {
      const rows = await workingKeys(db, tenantId, now).orderBy('created_at').orderBy('id').execute()
      return rows.map(apiKeyOf)
    },

    async rotateApiKey(tenantId, id, replacement, previousRevokesAt) {
      return changeCredentials(db, async (trx) => {
        const previous = await workingKeys(trx, tenantId, replacement.createdAt).where('id', '=', id).executeTakeFirst()
        if (!previous) return undefined
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: earliest(previousRevokesAt) })
          .where('id', '=', id)
          .execute()
        await trx
          .insertInto('api_keys')
          .values({
            id: replacement.id,
            tenant_id: tenantId,
            key_hash: replacement.hash,
            role: previous.role,
            label: previous.label,
            scopes: previous.scopes,
            hint: replacement.hint,
            created_at: replacement.createdAt,
            revoked_at: null,
          })
          .execute()
        const rows = await trx.selectFrom('api_keys').selectAll().where('id', 'in', [id, replacement.id]).execute()
        const byId = new Map(rows.map((row) => [row.id, apiKeyOf(row)]))
        return { previous: byId.get(id)!, current: byId.get(replacement.id)! }
      })
    },

    async revokeApiKey(tenantId, id, now) {
      return changeCredentials(db, async (trx) => {
        const revoked = await trx
          .updateTable('api_keys')
          .set({ revoked_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))
          .returningAll()
          .executeTakeFirst()
        return revoked ? apiKeyOf(revoked) : undefined
      })
    },

    async listIngestTokens(tenantId, now) {
      return newestFirst((await workingTokens(db, tenantId, now).execute()).map(ingestTokenOf))
    },

    async rotateIngestToken(token, previousRevokesAt) {
      return db.transaction().execute(async (trx) => {
        await raiseEpoch(trx)
        await trx
          .updateTable('ingest_tokens')
          .set({ revoked_at: earliest(previousRevokesAt) })
          .where('tenant_id', '=', token.tenantId)
          .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', token.createdAt)]))
          .execute()
        await trx
          .insertInto('ingest_tokens')
          .values({
            id: token.id,
            tenant_id: token.tenantId,
            token_hash: token.hash,
            hint: token.hint,
            created_at: token.createdAt,
            revoked_at: null,
          })
          .execute()
        // The tenants column keeps naming the current token; lookups go through ingest_tokens.
        await trx
          .updateTable('tenants')
          .set({ ingest_token_hash: token.hash })
          .where('id', '=', token.tenantId)
          .execute()
        return newestFirst((await workingTokens(trx, token.tenantId, token.createdAt).execute()).map(ingestTokenOf))
      })
    },

    async revokeIngestToken(tenantId, id, now) {
      return changeCredentials(db, async (trx) => {
        const revoked = await trx
          .updateTable('ingest_tokens')
          .set({ revoked_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))
          .returningAll()
          .executeTakeFirst()
        return revoked ? ingestTokenOf(revoked) : undefined
      })
    },
  }
}
