/**
 * The signed-in API key lives in sessionStorage only: gone when the tab closes, never in a URL or a cookie. A person
 * signed in with their identity provider has no key: the server's HttpOnly session cookie is their credential.
 */

const keyItem = 'leadrelay.apiKey'
const tenantItem = 'leadrelay.tenant'

export interface Session {
  /** Undefined for a person signed in with their identity provider (the session cookie authenticates). */
  readonly apiKey?: string | undefined
  /** Set for an operator's admin key: the tenant it acts for. */
  readonly tenant?: string | undefined
}

export function loadSession(storage: Storage = window.sessionStorage): Session | undefined {
  const apiKey = storage.getItem(keyItem)
  if (!apiKey) return undefined
  const tenant = storage.getItem(tenantItem) ?? undefined
  return { apiKey, tenant }
}

export function saveSession(session: Session, storage: Storage = window.sessionStorage): void {
  if (session.apiKey !== undefined) storage.setItem(keyItem, session.apiKey)
  // An operator signed in as a person keeps the tenant they picked for this tab; the cookie holds the rest.
  if (session.tenant) storage.setItem(tenantItem, session.tenant)
  else storage.removeItem(tenantItem)
}

/** The tenant an operator picked in this tab, for a person's session (which has no key to load it with). */
export function loadChosenTenant(storage: Storage = window.sessionStorage): string | undefined {
  return storage.getItem(tenantItem) ?? undefined
}

export function clearSession(storage: Storage = window.sessionStorage): void {
  storage.removeItem(keyItem)
  storage.removeItem(tenantItem)
}
