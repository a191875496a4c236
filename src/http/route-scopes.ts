/**
 * Which API key scope, and which role of a signed-in person, each route needs. A route declares it in its options
 * (`config: requires('read')`); the caller hook (`caller.ts`) resolves the caller once before validation, and the
 * OpenAPI document names it per operation. Routes not yet declaring it are decided by the table below.
 */

import type { FastifyRequest } from 'fastify'
import type { ApiKeyScope } from '../core/api-key-scopes.ts'
import type { Role } from '../core/roles.ts'

/**
 * Who may call a route: an API key with `scope` or a signed-in person with `role` (by default what the scope implies);
 * `public` routes take no credential, `ingest-token` ones the secret in their path.
 */
export type RouteAccess =
  | { readonly scope: ApiKeyScope; readonly role: Role }
  | { readonly scope: 'public' | 'ingest-token'; readonly role?: undefined }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (`requires`, `publicRoute`). */
    access?: RouteAccess
  }
}

/** Route options for a route that needs `scope` of a key, and `role` of a person (default: what the scope implies). */
export function requires(scope: ApiKeyScope, role: Role = roleOfScope[scope]): { access: RouteAccess } {
  return { access: { scope, role } }
}

/** Route options for a route anyone may call (documents, health, the sign-in redirects). */
export const publicRoute: { access: RouteAccess } = { access: { scope: 'public' } }

/** Route options for the Microsoft ingest URL: its secret token in the path is the credential. */
export const ingestTokenRoute: { access: RouteAccess } = { access: { scope: 'ingest-token' } }

/** What the route serving `request` declares, if anything. */
export function accessOf(request: FastifyRequest): RouteAccess | undefined {
  return request.routeOptions.config?.access
}

/**
 * `METHOD url` as Fastify registers it → the scope a key needs. A route missing here needs `admin`, so a route added
 * without a decision is closed rather than open; a test holds this table to the served routes.
 */
export const routeScopes: Readonly<Record<string, ApiKeyScope>> = {
  'POST /v1/leads': 'ingest',

  'GET /v1/tenant': 'read',
  'GET /v1/tenants': 'read',
  'GET /v1/tenant/notifications': 'read',
  'GET /v1/tenant/retention': 'read',
  'GET /v1/leads': 'read',
  'GET /v1/leads/:leadId': 'read',
  'GET /v1/leads/:leadId/subscriptions': 'read',
  'GET /v1/leads/export.csv': 'read',
  'GET /v1/funnel': 'read',
  'GET /v1/offers': 'read',
  'GET /v1/offers/:offerId': 'read',
  'GET /v1/destination-kinds': 'read',
  'GET /v1/destinations': 'read',
  'GET /v1/destinations/:destinationId': 'read',
  'GET /v1/destinations/:destinationId/preview/:leadId': 'read',
  'GET /v1/destinations/:destinationId/attempts': 'read',
  'GET /v1/routes/default': 'read',
  'GET /v1/deliveries': 'read',
  'GET /v1/deliveries/:deliveryId': 'read',
  'GET /v1/deliveries/troubles': 'read',
  'GET /v1/audit': 'read',
  'GET /v1/alert-channel-kinds': 'read',
  'GET /v1/alert-channels': 'read',
  'GET /v1/alert-channels/:channelId': 'read',
  'GET /v1/alert-rules': 'read',
  'GET /v1/alert-rules/:ruleId': 'read',
  'GET /v1/alert-sends': 'read',
  'GET /v1/alert-sends/:sendId': 'read',
  'GET /v1/leads/:leadId/alerts': 'read',
  'GET /v1/alert-digest': 'read',

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
  'POST /v1/deliveries/:deliveryId/retry': 'admin',
  // Alert changes, tests and replays: an admin key, or a signed-in editor (roleOfRoute).
  'POST /v1/alert-channels': 'admin',
  'PATCH /v1/alert-channels/:channelId': 'admin',
  'DELETE /v1/alert-channels/:channelId': 'admin',
  'POST /v1/alert-channels/:channelId/test': 'admin',
  'POST /v1/alert-rules': 'admin',
  'PATCH /v1/alert-rules/:ruleId': 'admin',
  'DELETE /v1/alert-rules/:ruleId': 'admin',
  'POST /v1/alert-rules/:ruleId/test': 'admin',
  'POST /v1/alert-sends/:sendId/replay': 'admin',
  'PUT /v1/alert-digest': 'admin',
  // Listing keys and tokens shows no secret, but who may call what is an administrator's business.
  'GET /v1/keys': 'admin',
  'POST /v1/keys': 'admin',
  'POST /v1/keys/:keyId/rotate': 'admin',
  'DELETE /v1/keys/:keyId': 'admin',
  'GET /v1/tenant/ingest-tokens': 'admin',
  'POST /v1/tenant/ingest-token/rotate': 'admin',
  'DELETE /v1/tenant/ingest-tokens/:tokenId': 'admin',
  // Erasure removes a customer's personal data for good and asks every destination to delete theirs.
  'DELETE /v1/customers': 'admin',
  // Retention decides what is deleted, for every lead of the tenant.
  'PUT /v1/tenant/retention': 'admin',
  // The publisher's Entra app reads every SaaS subscription of their offers.
  'GET /v1/subscription-source': 'admin',
  'PUT /v1/subscription-source': 'admin',
  'DELETE /v1/subscription-source': 'admin',
  'POST /v1/subscription-source/poll': 'admin',
  'GET /v1/tenant/sign-in': 'admin',
  'PUT /v1/tenant/sign-in': 'admin',
  'GET /v1/people': 'admin',
  'PATCH /v1/people/:personId': 'admin',
  'DELETE /v1/people/:personId': 'admin',
  'GET /v1/invitations': 'admin',
  'POST /v1/invitations': 'admin',
  // With an admin key: signs every person of the tenant out; a person signs only themselves out everywhere.
  'POST /v1/sessions/revoke-all': 'admin',
}

/** The role a person needs where it is not the one that follows from the scope (`roleOfScope`). */
export const routeRoles: Readonly<Record<string, Role>> = {
  'PUT /v1/offers/:offerId': 'editor',
  'POST /v1/offers/:offerId/publish': 'editor',
  'POST /v1/deliveries/replay': 'editor',
  'POST /v1/deliveries/:deliveryId/retry': 'editor',
  'POST /v1/sessions/revoke-all': 'viewer',
}

/** What a person needs by default: reading is for viewers, sending a lead for editors, the rest for admins. */
export const roleOfScope: Readonly<Record<ApiKeyScope, Role>> = { read: 'viewer', ingest: 'editor', admin: 'admin' }

/** The role `method url` needs of a person: `routeRoles`, else what its scope implies; alert rules are editors'. */
export function roleOfRoute(method: string, url: string | undefined): Role {
  const route = `${method.toUpperCase()} ${url}`
  const explicit = url !== undefined ? routeRoles[route] : undefined
  if (explicit) return explicit
  const scope = scopeOfRoute(method, url)
  // Issue 20: editors edit alert rules; their routes need admin of a key and editor of a person.
  if (scope === 'admin' && url?.startsWith('/v1/alert')) return 'editor'
  return roleOfScope[scope]
}

/** The role the route serving `request` needs of a signed-in person. */
export function requiredRoleOf(request: FastifyRequest): Role {
  const declared = accessOf(request)
  if (declared?.role !== undefined) return declared.role
  const method = request.method === 'HEAD' ? 'GET' : request.method
  return roleOfRoute(method, request.routeOptions.url)
}

/** The scope `method url` (Fastify's route pattern) needs. */
export function scopeOfRoute(method: string, url: string | undefined): ApiKeyScope {
  return (url !== undefined && routeScopes[`${method.toUpperCase()} ${url}`]) || 'admin'
}

/** The scope the route serving `request` needs. */
export function requiredScopeOf(request: FastifyRequest): ApiKeyScope {
  const declared = accessOf(request)
  if (declared?.role !== undefined) return declared.scope
  // HEAD is served by the GET route and reads just as much.
  const method = request.method === 'HEAD' ? 'GET' : request.method
  return scopeOfRoute(method, request.routeOptions.url)
}
