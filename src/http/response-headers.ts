/**
 * Headers on every API answer, errors included: answers carry customer data, so no cache may keep them
 * (`Cache-Control: no-store`) and no browser may sniff them into something else (`X-Content-Type-Options: nosniff`).
 * A plain hook rather than @fastify/helmet: two fixed headers, on the ingest path, need nothing more. The portal's
 * pages and assets keep their own headers (`app.ts`).
 */

import type { FastifyInstance, FastifyReply } from 'fastify'

const apiPath = /^\/(v1|ingest)(\/|\?|$)|^\/(openapi\.json|healthz)(\?|$)/

/** Sets the headers on one reply; for answers that bypass the hooks (the router's own errors). */
export function withApiResponseHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff')
}

export function registerApiResponseHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (apiPath.test(request.url)) withApiResponseHeaders(reply)
    done(null, payload)
  })
}
