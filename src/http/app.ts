/** Builds the Fastify application from its dependencies. No I/O happens until the caller listens. */

import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import secureJson from 'secure-json-parse'
import { z } from 'zod'
import { AppError } from '../core/errors.ts'
import { redactUrl } from '../logger.ts'
import type { HttpDeps } from './deps.ts'
import { buildOpenApiDocument } from './openapi.ts'
import { sendProblem } from './problem.ts'
import { registerDeliveryRoutes } from './routes/deliveries.ts'
import { registerDestinationRoutes } from './routes/destinations.ts'
import { registerIngestRoutes } from './routes/ingest.ts'
import { registerLeadRoutes } from './routes/leads.ts'
import { registerOfferRoutes } from './routes/offers.ts'
import { parseWith } from './validate.ts'

/** Who hears about a destination being paused, disabled or recovering. */
export const notificationContacts = z.strictObject({
  emails: z.array(z.email()).max(20).default([]),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
})

export interface AppOptions {
  readonly bodyLimitBytes: number
  readonly version: string
  /** A pino logger configuration or instance, or false for silence (tests). */
  readonly logger: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance']
}

export function createApp(deps: HttpDeps, options: AppOptions): FastifyInstance {
  const isInstance = typeof options.logger === 'object' && options.logger !== null && 'child' in options.logger
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    ...(isInstance
      ? { loggerInstance: options.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: options.logger as FastifyServerOptions['logger'] }),
    return503OnClosing: true,
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  })
  // Only JSON is accepted; anything else is a 415 rather than a guess.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/, { parseAs: 'string' }, (_request, body, done) => {
    try {
      if (body === '') throw new Error('the body is empty')
      done(null, secureJson.parse(body as string, undefined, { protoAction: 'error', constructorAction: 'error' }))
    } catch (error) {
      done(
        new AppError('INVALID_JSON', `The body is not valid JSON: ${(error as Error).message}`, { field: '$' }),
        undefined,
      )
    }
  })
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error))
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new AppError('NOT_FOUND', `No route ${request.method} ${redactUrl(request.url)}`)),
  )

  const openApi = buildOpenApiDocument(options.version)
  app.get('/openapi.json', async () => openApi)
  app.get('/healthz', async (request, reply) => {
    try {
      await deps.store.ping()
      return { status: 'ok' }
    } catch {
      return sendProblem(request, reply, new AppError('NOT_READY', 'The store is not reachable'))
    }
  })
  app.get('/v1/tenant', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    return { id: tenant.id, name: tenant.name, createdAt: new Date(tenant.createdAt).toISOString() }
  })
  app.put('/v1/tenant/notifications', async (request) => {
    const tenant = await deps.auth.tenantOf(request)
    const contacts = parseWith(notificationContacts, request.body)
    await deps.store.setTenantContacts(tenant.id, {
      emails: contacts.emails,
      ...(contacts.webhookUrl !== undefined && { webhookUrl: contacts.webhookUrl }),
    })
    return deps.store.getTenantContacts(tenant.id)
  })
  app.get('/v1/tenant/notifications', async (request) =>
    deps.store.getTenantContacts((await deps.auth.tenantOf(request)).id),
  )
  registerIngestRoutes(app, deps)
  registerLeadRoutes(app, deps)
  registerOfferRoutes(app, deps)
  registerDestinationRoutes(app, deps)
  registerDeliveryRoutes(app, deps)
  return app
}
