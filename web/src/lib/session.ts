/** The signed-in API key lives in sessionStorage only: gone when the tab closes, never in a URL or a cookie. */

const keyItem = 'leadrelay.apiKey'
const tenantItem = 'leadrelay.tenant'

export interface Session {
  readonly apiKey: string
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
  storage.setItem(keyItem, session.apiKey)
  if (session.tenant) storage.setItem(tenantItem, session.tenant)
  else storage.removeItem(tenantItem)
}

export function clearSession(storage: Storage = window.sessionStorage): void {
  storage.removeItem(keyItem)
  storage.removeItem(tenantItem)
}
