/** Named API keys and the Microsoft ingest URL: list, create, rotate, revoke. Secrets appear once, in the answer. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { apiKeyScopes } from '../../core/api-key-scopes.ts'
import {
  createKeyService,
  ingestTokenRotateInput,
  keyInput,
  keyRotateInput,
  presentIngestToken,
  presentKey,
} from '../../services/keys.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'

const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(apiKeyScopes)).readonly(),
    hint: z.string().nullable().describe('The first characters of the secret, e.g. lr_key_AbCd…'),
    createdAt: z.string().nullable(),
    revokesAt: z.string().nullable().describe("When the key stops working: set while a rotated key's overlap lasts"),
  })
  .meta({ id: 'ApiKey' })

const apiKeyWithSecretSchema = apiKeySchema
  .extend({
    key: z.string().describe('The secret, shown in this answer only'),
    previous: apiKeySchema.describe('The rotated key, working until its revokesAt').optional(),
  })
  .meta({ id: 'ApiKeyWithSecret' })

const ingestTokenSchema = z
  .object({
    id: z.string(),
    current: z.boolean().describe('The URL to paste into Partner Center now; the others work only until revokesAt'),
    hint: z.string().nullable(),
    createdAt: z.string().nullable(),
    revokesAt: z.string().nullable(),
  })
  .meta({ id: 'IngestToken' })

const rotatedIngestTokenSchema = ingestTokenSchema
  .extend({
    ingestToken: z.string().describe('The new token, shown in this answer only'),
    ingestUrl: z.string().describe('The new ingest URL to paste into Partner Center'),
    tokens: z.array(ingestTokenSchema),
  })
  .meta({ id: 'RotatedIngestToken' })

const revoked = { 204: z.undefined().describe('Revoked') }

export function registerKeyRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const keys = createKeyService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    publicUrl: deps.publicUrl,
    onRevoked: () => deps.auth.forgetCachedCredentials(),
  })
  const api = app.withTypeProvider<ZodTypeProvider>()
  // Listing keys and tokens shows no secret, but who may call what is an administrator's business.
  const admin = requires('admin')

  api.get(
    '/v1/keys',
    {
      config: admin,
      schema: {
        operationId: 'listApiKeys',
        summary: "The tenant's working API keys: name, scopes, a hint of the secret, never the secret",
        response: { 200: jsonAnswer('Keys', z.object({ items: z.array(apiKeySchema) })) },
      },
    },
    async (request) => ({ items: (await keys.listKeys(callerOf(request).tenant)).map(presentKey) }),
  )

  api.post(
    '/v1/keys',
    {
      config: admin,
      schema: {
        operationId: 'createApiKey',
        summary: 'Create a named API key with scopes; the key is in this answer only',
        body: keyInput,
        response: { 201: jsonAnswer('The key with its secret', apiKeyWithSecretSchema) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const created = await keys.createKey(caller.tenant, request.body, caller.actor)
      return reply.code(201).send({ ...presentKey(created.key), key: created.secret })
    },
  )

  api.post(
    '/v1/keys/:keyId/rotate',
    {
      config: admin,
      schema: {
        operationId: 'rotateApiKey',
        summary: 'A new secret for the same name and scopes; the old one stops after overlapHours',
        params: z.object({ keyId: z.string() }),
        body: keyRotateInput,
        response: { 201: jsonAnswer('The new key with its secret, and the previous one', apiKeyWithSecretSchema) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const rotated = await keys.rotateKey(caller.tenant, request.params.keyId, request.body, caller.actor)
      return reply
        .code(201)
        .send({ ...presentKey(rotated.key), key: rotated.secret, previous: presentKey(rotated.previous) })
    },
  )

  api.delete(
    '/v1/keys/:keyId',
    {
      config: admin,
      schema: {
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key at once (audited)',
        params: z.object({ keyId: z.string() }),
        response: revoked,
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await keys.revokeKey(caller.tenant, request.params.keyId, caller.actor)
      return reply.code(204).send()
    },
  )

  api.get(
    '/v1/tenant/ingest-tokens',
    {
      config: admin,
      schema: {
        operationId: 'listIngestTokens',
        summary: 'The current ingest token and previous ones still in their overlap',
        response: { 200: jsonAnswer('Tokens (hints only)', z.object({ items: z.array(ingestTokenSchema) })) },
      },
    },
    async (request) => ({ items: (await keys.listIngestTokens(callerOf(request).tenant)).map(presentIngestToken) }),
  )

  api.post(
    '/v1/tenant/ingest-token/rotate',
    {
      config: admin,
      schema: {
        operationId: 'rotateIngestToken',
        summary: 'A new ingest URL (in this answer only); the old one keeps working for overlapHours (default 72)',
        body: ingestTokenRotateInput,
        response: { 201: jsonAnswer('The new token and URL, and every token now', rotatedIngestTokenSchema) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const rotated = await keys.rotateIngestToken(caller.tenant, request.body, caller.actor)
      return reply.code(201).send({
        ...presentIngestToken(rotated.current),
        ingestToken: rotated.ingestToken,
        ingestUrl: rotated.ingestUrl,
        tokens: rotated.tokens.map(presentIngestToken),
      })
    },
  )

  api.delete(
    '/v1/tenant/ingest-tokens/:tokenId',
    {
      config: admin,
      schema: {
        operationId: 'revokeIngestToken',
        summary: "End a previous ingest token's overlap now",
        params: z.object({ tokenId: z.string() }),
        response: revoked,
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await keys.revokeIngestToken(caller.tenant, request.params.tokenId, caller.actor)
      return reply.code(204).send()
    },
  )
}
