/** Lead intake: Microsoft's HTTPS-endpoint URL and Leadrelay's own `POST /v1/leads`. */

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { IngestResponse } from '../../services/ingest.ts'
import type { HttpDeps } from '../deps.ts'

function answer(reply: FastifyReply, result: IngestResponse): FastifyReply {
  return reply
    .code(202)
    .header('idempotent-replayed', result.duplicate ? 'true' : 'false')
    .send(result.receipt)
}

function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' ? header : undefined
}

export function registerIngestRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Params: { token: string } }>('/ingest/microsoft/:token', async (request, reply) => {
    // Microsoft cannot send headers, so the secret token in the path is the credential.
    const tenant = await deps.auth.tenantOfIngestToken(request.params.token)
    const result = await deps.ingest.ingest({
      tenantId: tenant.id,
      format: 'microsoft',
      body: request.body,
      idempotencyKey: idempotencyKeyOf(request.headers['idempotency-key']),
    })
    return answer(reply, result)
  })

  app.post('/v1/leads', async (request, reply) => {
    const tenant = await deps.auth.tenantOf(request)
    const result = await deps.ingest.ingest({
      tenantId: tenant.id,
      format: 'api',
      body: request.body,
      idempotencyKey: idempotencyKeyOf(request.headers['idempotency-key']),
      strict: true,
    })
    return answer(reply, result)
  })
}
