/** What a named API key may do. Each route needs one scope; `admin` holds every other. */

export const apiKeyScopes = ['ingest', 'read', 'admin'] as const

/**
 * - `ingest`: send leads (`POST /v1/leads`), e.g. a CRM script;
 * - `read`: every GET, e.g. the portal of someone who only looks;
 * - `admin`: everything, including destinations, routes, offers, replay and keys.
 */
export type ApiKeyScope = (typeof apiKeyScopes)[number]

/** True when a key holding `held` may call a route that needs `needed`. */
export function grantsScope(held: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  return held.includes('admin') || held.includes(needed)
}

/** Stored as a comma-separated column; unknown words (a later version's scope) are dropped, never widened. */
export function parseScopes(column: string): ApiKeyScope[] {
  return apiKeyScopes.filter((scope) => column.split(',').includes(scope))
}

export function formatScopes(scopes: readonly ApiKeyScope[]): string {
  return apiKeyScopes.filter((scope) => scopes.includes(scope)).join(',')
}
