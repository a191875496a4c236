/**
 * A small History API router: paths carry ids only (never filters, emails or keys), so nothing sensitive lands in
 * browser history, logs or the Referer header.
 */

import { type AnchorHTMLAttributes, type MouseEvent, type ReactNode, useSyncExternalStore } from 'react'

const listeners = new Set<() => void>()
let navigations = 0

function notify() {
  navigations++
  for (const listener of listeners) listener()
}

/** True once the portal moved to another page without a reload (focus then goes to the new page's heading). */
export function hasNavigated(): boolean {
  return navigations > 0
}

if (typeof window !== 'undefined') window.addEventListener('popstate', notify)

function subscribe(listener: () => void) {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  notify()
}

export function usePath(): string {
  return useSyncExternalStore(
    subscribe,
    () => window.location.pathname,
    () => '/',
  )
}

/** `/leads/:leadId` against `/leads/lead_1` → `{ leadId: 'lead_1' }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean)
  const have = path.split('/').filter(Boolean)
  if (want.length !== have.length) return null
  const params: Record<string, string> = {}
  for (let index = 0; index < want.length; index++) {
    const part = want[index]!
    const value = have[index]!
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(value)
      } catch {
        return null
      }
    } else if (part !== value) return null
  }
  return params
}

export function pathTo(...segments: string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children: ReactNode }

export function Link({ to, children, onClick, ...rest }: LinkProps) {
  function follow(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event)
    // Let the browser handle new tabs and windows.
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return
    event.preventDefault()
    navigate(to)
  }
  return (
    <a href={to} onClick={follow} {...rest}>
      {children}
    </a>
  )
}
