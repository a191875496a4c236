/** Builds the Fastify application from its dependencies. No I/O happens until the caller listens. */

import { existsSync } from 'node:fs'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import secureJson from 'secure-json-parse'
import { AppError } from '../core/errors.ts'
import { redactUrl } from '../logger.ts'
import type { HttpDeps } from './deps.ts'
import { notificationContacts } from './notification-contacts.ts'
import { buildOpenApiDocument } from './openapi.ts'
import { sendProblem } from './problem.ts'
import { registerDeliveryRoutes } from './routes/deliveries.ts'
import { registerDestinationRoutes } from './routes/destinations.ts'
import { registerIngestRoutes } from './routes/ingest.ts'
import { registerLeadRoutes } from './routes/leads.ts'
import { registerOfferRoutes } from './routes/offers.ts'
import { parseWith } from './validate.ts'

/** The routes each app registered, method and URL, so tests can hold the OpenAPI document to them. */
export const servedRoutes = new WeakMap<FastifyInstance, { method: string; url: string }[]>()

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
  const routes: { method: string; url: string }[] = []
  servedRoutes.set(app, routes)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url })
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
  const portal = existsSync(`${portalDir}index.html`)
  app.setNotFoundHandler((request, reply) => {
    // The portal routes in the browser: a GET for any page path gets its index.html; API paths stay JSON 404s.
    if (portal && (request.method === 'GET' || request.method === 'HEAD') && isPortalPath(request.url)) {
      return reply.headers(portalHeaders('index.html')).sendFile('index.html')
    }
    return sendProblem(
      request,
      reply,
      new AppError('NOT_FOUND', `No route ${request.method} ${redactUrl(request.url)}`),
    )
  })
  if (portal) {
    app.register(fastifyStatic, {
      root: portalDir,
      wildcard: false,
      cacheControl: false,
      setHeaders: (response, path) => {
        for (const [name, value] of Object.entries(portalHeaders(path))) response.setHeader(name, value)
      },
    })
  }

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

/** The built publisher portal (`npm run build:web`), served at `/` when it exists. */
const portalDir = fileURLToPath(new URL('../../web/dist/', import.meta.url))

function isPortalPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? ''
  return !/^\/(v1|ingest|assets)(\/|$)|^\/(openapi\.json|healthz)$/.test(path)
}

/** Hashed assets are immutable; pages are revalidated and may load nothing but the portal's own files. */
function portalHeaders(path: string): Record<string, string> {
  if (path.includes(`${sep}assets${sep}`)) return { 'cache-control': 'public, max-age=31536000, immutable' }
  return {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  }
}
