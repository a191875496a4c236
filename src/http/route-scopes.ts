/** The one place that decides which API key scope each route needs. Checked by the authenticator on every call. */

import type { FastifyRequest } from 'fastify'
import type { ApiKeyScope } from '../core/api-key-scopes.ts'

/**
 * `METHOD url` as Fastify registers it → the scope a key needs. A route missing here needs `admin`, so a route added
 * without a decision is closed rather than open; a test holds this table to the served routes.
 */
export const routeScopes: Readonly<Record<string, ApiKeyScope>> = {
  'POST /v1/leads': 'ingest',

  'GET /v1/tenant': 'read',
  'GET /v1/tenant/notifications': 'read',
  'GET /v1/leads': 'read',
  'GET /v1/leads/:leadId': 'read',
  'GET /v1/funnel': 'read',
  'GET /v1/offers': 'read',
  'GET /v1/offers/:offerId': 'read',
  'GET /v1/destination-kinds': 'read',
  'GET /v1/destinations': 'read',
  'GET /v1/destinations/:destinationId': 'read',
  'GET /v1/destinations/:destinationId/preview/:leadId': 'read',
  'GET /v1/routes/default': 'read',
  'GET /v1/deliveries': 'read',
  'GET /v1/deliveries/:deliveryId': 'read',
  'GET /v1/audit': 'read',

  'PUT /v1/tenant/notifications': 'admin',
  'PUT /v1/offers/:offerId': 'admin',
  'POST /v1/offers/:offerId/publish': 'admin',
  'POST /v1/destinations': 'admin',
  'PATCH /v1/destinations/:destinationId': 'admin',
  'DELETE /v1/destinations/:destinationId': 'admin',
  'POST /v1/destinations/:destinationId/verify': 'admin',
  'POST /v1/destinations/:destinationId/rotate-secrets': 'admin',
  'PUT /v1/routes/default': 'admin',
  'POST /v1/deliveries/replay': 'admin',
  // Listing keys and tokens shows no secret, but who may call what is an administrator's business.
  'GET /v1/keys': 'admin',
  'POST /v1/keys': 'admin',
  'POST /v1/keys/:keyId/rotate': 'admin',
  'DELETE /v1/keys/:keyId': 'admin',
  'GET /v1/tenant/ingest-tokens': 'admin',
  'POST /v1/tenant/ingest-token/rotate': 'admin',
  'DELETE /v1/tenant/ingest-tokens/:tokenId': 'admin',
}

/** The scope `method url` (Fastify's route pattern) needs. */
export function scopeOfRoute(method: string, url: string | undefined): ApiKeyScope {
  return (url !== undefined && routeScopes[`${method.toUpperCase()} ${url}`]) || 'admin'
}

/** The scope the route serving `request` needs. */
export function requiredScopeOf(request: FastifyRequest): ApiKeyScope {
  // HEAD is served by the GET route and reads just as much.
  const method = request.method === 'HEAD' ? 'GET' : request.method
  return scopeOfRoute(method, request.routeOptions.url)
}
