/** `GET /metrics`: the Prometheus exposition, when metrics are on; behind its own bearer token when one is set. */

import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { AppError } from '../../core/errors.ts'

export interface MetricsRouteOptions {
  readonly registry: Registry
  /** LEADRELAY_METRICS_TOKEN; absent means the route is open (a private network or a scraper sidecar). */
  readonly token?: string
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const { registry, token } = options
  app.get('/metrics', async (request, reply) => {
    if (token !== undefined) {
      const given = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1]
      // API keys do not open metrics, nor the metrics token the API: each credential has one use.
      if (given === undefined || !sameSecret(given, token)) {
        throw new AppError(
          'UNAUTHORIZED',
          'GET /metrics needs the metrics token (LEADRELAY_METRICS_TOKEN) as a Bearer token',
        )
      }
    }
    const body = await registry.metrics()
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body)
  })
}
