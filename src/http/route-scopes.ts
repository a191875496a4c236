/**
 * Which API key scope, and which role of a signed-in person, each route needs: declared in the route's own options
 * (`config: requires('read')`, `requires('admin', 'editor')`, `publicRoute`). The authenticator checks it, the caller
 * hook (`caller.ts`) resolves the caller once before validation, and the OpenAPI document names it per operation.
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

/** What a person needs by default: reading is for viewers, sending a lead for editors, the rest for admins. */
const roleOfScope: Readonly<Record<ApiKeyScope, Role>> = { read: 'viewer', ingest: 'editor', admin: 'admin' }

/**
 * The scope the route serving `request` needs of a key. A route that declares none needs `admin`, so a route added
 * without a decision is closed rather than open; a test holds every served API route to a declaration.
 */
export function requiredScopeOf(request: FastifyRequest): ApiKeyScope {
  const declared = accessOf(request)
  return declared?.role === undefined ? 'admin' : declared.scope
}

/** The role the route serving `request` needs of a signed-in person; `admin` where it declares none. */
export function requiredRoleOf(request: FastifyRequest): Role {
  return accessOf(request)?.role ?? 'admin'
}
