/** Builds the Fastify application from its dependencies. No I/O happens until the caller listens. */

import { existsSync } from 'node:fs'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { SignInConfig } from '../config.ts'
import { AppError } from '../core/errors.ts'
import { offerTextLimits } from '../core/lead-source.ts'
import { redactUrl } from '../logger.ts'
import { createPeopleService } from '../services/people.ts'
import { createAuthFailureLimiter, registerAuthFailureBrake } from './auth-failure-limiter.ts'
import { registerCallerHook } from './caller.ts'
import type { HttpDeps } from './deps.ts'
import { registerJsonBodyParser } from './json-body.ts'
import { registerNullCharacterGuard } from './null-character-guard.ts'
import { finishOpenApiDocument, openApiPluginOptions } from './openapi.ts'
import { sendProblem } from './problem.ts'
import { registerApiResponseHeaders, withApiResponseHeaders } from './response-headers.ts'
import { registerRouteSchemas } from './route-schema.ts'
import { publicRoute, type RouteAccess } from './route-scopes.ts'
import { registerAlertRoutes } from './routes/alerts.ts'
import { registerDeliveryRoutes } from './routes/deliveries.ts'
import { registerDestinationRoutes } from './routes/destinations.ts'
import { registerIngestRoutes } from './routes/ingest.ts'
import { registerKeyRoutes } from './routes/keys.ts'
import { registerLeadRoutes } from './routes/leads.ts'
import { registerOfferRoutes } from './routes/offers.ts'
import { registerPeopleRoutes } from './routes/people.ts'
import { registerPrivacyRoutes } from './routes/privacy.ts'
import { registerSignInRoutes } from './routes/sign-in.ts'
import { registerSubscriptionRoutes } from './routes/subscriptions.ts'
import { registerTenantRoutes } from './routes/tenant.ts'
import { registerCrossSiteCheck } from './session-cookies.ts'

/** The routes each app registered, method, URL and declared access, so tests can hold the document to them. */
export const servedRoutes = new WeakMap<FastifyInstance, { method: string; url: string; access?: RouteAccess }[]>()

export interface AppOptions {
  readonly bodyLimitBytes: number
  readonly version: string
  /** A pino logger configuration or instance, or false for silence (tests). */
  readonly logger: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance']
  /**
   * Whose `X-Forwarded-*` to believe for the client address and scheme: a hop count, or proxy addresses and CIDRs.
   * Default: nobody's.
   */
  readonly trustProxy?: false | number | readonly string[]
}

/**
 * Longest path parameter, in characters once percent-decoded (Fastify's default is 100): the longest id there is, an
 * offer id (`offerTextLimits.idLength`), so every offer that can be configured can also be read and published by its
 * id. Longer is URI_TOO_LONG.
 */
export const maxPathParameterLength = offerTextLimits.idLength

/**
 * Fastify refuses a bare hop count (it cannot check the nearest peer), so a count is handed over as the explicit rule
 * "the nearest N hops are proxies": right only when the proxy is the sole way in, which the deployment guides say.
 */
function trustProxyOf(trust: AppOptions['trustProxy']): FastifyServerOptions['trustProxy'] {
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust
  return Array.isArray(trust) ? [...trust] : false
}

export function createApp(given: HttpDeps, options: AppOptions): FastifyInstance {
  const isInstance = typeof options.logger === 'object' && options.logger !== null && 'child' in options.logger
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    ...(isInstance
      ? { loggerInstance: options.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: options.logger as FastifyServerOptions['logger'] }),
    return503OnClosing: true,
    trustProxy: trustProxyOf(options.trustProxy),
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Senders differ on a trailing slash after the ingest URL; the path means the same either way.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: maxPathParameterLength },
    // Errors the router answers before any route (bad percent-encoding, over-long parameters) are problems too;
    // no hook runs for them, so the API headers are set here.
    frameworkErrors: (error, request, reply) => sendProblem(request, withApiResponseHeaders(reply), error),
  })
  const deps: HttpDeps = {
    ...given,
    auth: registerAuthFailureBrake(app, given.auth, createAuthFailureLimiter(given.clock)),
  }
  registerApiResponseHeaders(app)
  registerCrossSiteCheck(app, (request) => deps.auth.usesSession(request), deps.publicUrl)
  const routes: { method: string; url: string; access?: RouteAccess }[] = []
  servedRoutes.set(app, routes)
  app.addHook('onRoute', (route) => {
    const access = route.config?.access
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, ...(access && { access }) })
  })
  registerJsonBodyParser(app)
  registerRouteSchemas(app)
  registerNullCharacterGuard(app)
  registerCallerHook(app, deps.auth)
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

  // The generator sees only routes registered after it: the API's routes go in a plugin loaded after it.
  app.register(fastifySwagger, openApiPluginOptions(options.version, deps.publicUrl))
  let openApi: unknown
  app.get('/openapi.json', { config: publicRoute }, async () => {
    openApi ??= finishOpenApiDocument(app.swagger())
    return openApi
  })
  app.register(async (api) => registerApiRoutes(api, deps))
  return app
}

function registerApiRoutes(app: FastifyInstance, deps: HttpDeps): void {
  registerTenantRoutes(app, deps)
  registerIngestRoutes(app, deps)
  registerLeadRoutes(app, deps)
  registerOfferRoutes(app, deps)
  registerDestinationRoutes(app, deps)
  registerDeliveryRoutes(app, deps)
  registerAlertRoutes(app, deps)
  const people = createPeopleService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    publicUrl: deps.publicUrl,
    signIn: deps.signIn ?? apiKeysOnly,
    ...(deps.sendInvitation && { sendInvitation: deps.sendInvitation }),
  })
  registerSignInRoutes(app, deps, people)
  registerPeopleRoutes(app, deps, people)
  registerKeyRoutes(app, deps)
  registerPrivacyRoutes(app, deps)
  registerSubscriptionRoutes(app, deps)
}

/** Sign-in settings when none are given: the portal is entered with an API key. */
const apiKeysOnly: SignInConfig = {
  apiKeySignIn: true,
  operatorEmails: [],
  sessionIdleMs: 8 * 3_600_000,
  sessionMaxMs: 7 * 86_400_000,
}

/** The built publisher portal (`npm run build:web`), served at `/` when it exists. */
const portalDir = fileURLToPath(new URL('../../web/dist/', import.meta.url))

function isPortalPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? ''
  return !/^\/(v1|ingest|assets|auth)(\/|$)|^\/(openapi\.json|healthz)$/.test(path)
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
