/** Named API keys and the Microsoft ingest URL: list, create, rotate, revoke. Secrets appear once, in the answer. */

import type { FastifyInstance } from 'fastify'
import { createKeyService, ingestTokenRotateInput, keyInput, keyRotateInput } from '../../services/keys.ts'
import type { ApiKeyRecord, IngestTokenRecord } from '../../store/types.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

export function presentKey(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    hint: key.hint ?? null,
    createdAt: iso(key.createdAt),
    revokesAt: iso(key.revokesAt),
  }
}

export function presentIngestToken(token: IngestTokenRecord) {
  return {
    id: token.id,
    current: token.revokesAt === undefined,
    hint: token.hint ?? null,
    createdAt: iso(token.createdAt),
    revokesAt: iso(token.revokesAt),
  }
}

export function registerKeyRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const keys = createKeyService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    publicUrl: deps.publicUrl,
    onRevoked: () => deps.auth.forgetCachedCredentials(),
  })

  app.get('/v1/keys', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return { items: (await keys.listKeys(caller.tenant)).map(presentKey) }
  })

  app.post('/v1/keys', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(keyInput, request.body)
    const created = await keys.createKey(caller.tenant, input, caller.actor)
    return reply.code(201).send({ ...presentKey(created.key), key: created.secret })
  })

  app.post<{ Params: { keyId: string } }>('/v1/keys/:keyId/rotate', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(keyRotateInput, request.body)
    const rotated = await keys.rotateKey(caller.tenant, request.params.keyId, input, caller.actor)
    return reply
      .code(201)
      .send({ ...presentKey(rotated.key), key: rotated.secret, previous: presentKey(rotated.previous) })
  })

  app.delete<{ Params: { keyId: string } }>('/v1/keys/:keyId', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    await keys.revokeKey(caller.tenant, request.params.keyId, caller.actor)
    return reply.code(204).send()
  })

  app.get('/v1/tenant/ingest-tokens', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return { items: (await keys.listIngestTokens(caller.tenant)).map(presentIngestToken) }
  })

  app.post('/v1/tenant/ingest-token/rotate', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(ingestTokenRotateInput, request.body)
    const rotated = await keys.rotateIngestToken(caller.tenant, input, caller.actor)
    return reply.code(201).send({
      ...presentIngestToken(rotated.current),
      ingestToken: rotated.ingestToken,
      ingestUrl: rotated.ingestUrl,
      tokens: rotated.tokens.map(presentIngestToken),
    })
  })

  app.delete<{ Params: { tokenId: string } }>('/v1/tenant/ingest-tokens/:tokenId', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    await keys.revokeIngestToken(caller.tenant, request.params.tokenId, caller.actor)
    return reply.code(204).send()
  })
}
