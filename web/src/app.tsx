/** The portal shell: sign-in, navigation and the page for the current path. */

import { type FormEvent, type ReactNode, useCallback, useEffect, useMemo, useState } from 'react'
import { type ApiClient, ApiError, createApiClient } from './api/client.ts'
import type { AuthConfig, ListedTenant, Tenant } from './api/types.ts'
import { AccessContext, holds, roleOf } from './lib/access.ts'
import { ApiContext } from './lib/api-context.ts'
import { Link, matchPath, navigate, usePath } from './lib/router.tsx'
import { clearSession, loadChosenTenant, loadSession, type Session, saveSession } from './lib/session.ts'
import { AlertsPage } from './pages/alerts.tsx'
import { DeliveriesPage } from './pages/deliveries.tsx'
import { DestinationPage, NewDestinationPage } from './pages/destination.tsx'
import { DestinationsPage } from './pages/destinations.tsx'
import { FunnelPage } from './pages/funnel.tsx'
import { LeadPage } from './pages/lead.tsx'
import { forgetLeadFilters, LeadsPage } from './pages/leads.tsx'
import { OfferPage } from './pages/offer.tsx'
import { OffersPage } from './pages/offers.tsx'
import { PeoplePage } from './pages/people.tsx'
import { SettingsPage } from './pages/settings.tsx'
import { SignIn } from './pages/sign-in.tsx'

const sections = [
  { path: '/leads', label: 'Leads' },
  { path: '/funnel', label: 'Funnel' },
  { path: '/offers', label: 'Offers' },
  { path: '/destinations', label: 'Destinations' },
  { path: '/deliveries', label: 'Deliveries' },
  { path: '/alerts', label: 'Alerts' },
  { path: '/people', label: 'People', role: 'admin' },
  { path: '/settings', label: 'Settings' },
] as const

function pageFor(path: string): ReactNode {
  if (path === '/' || path === '/leads' || path === '/signed-out') return <LeadsPage />
  let params = matchPath('/leads/:leadId', path)
  if (params) return <LeadPage leadId={params.leadId!} />
  if (path === '/funnel') return <FunnelPage />
  if (path === '/offers') return <OffersPage />
  if (path === '/offers/new') return <OfferPage />
  params = matchPath('/offers/:offerId', path)
  if (params) return <OfferPage offerId={params.offerId!} />
  if (path === '/destinations') return <DestinationsPage />
  if (path === '/destinations/new') return <NewDestinationPage />
  params = matchPath('/destinations/:destinationId', path)
  if (params) return <DestinationPage destinationId={params.destinationId!} />
  if (path === '/deliveries') return <DeliveriesPage />
  if (path === '/alerts') return <AlertsPage />
  if (path === '/settings') return <SettingsPage />
  if (path === '/people') return <PeoplePage />
  return (
    <div className="empty">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. Go to <Link to="/leads">Leads</Link>.
      </p>
    </div>
  )
}

/**
 * An operator picks the tenant to act for: from `GET /v1/tenants` when the server lists them, else by typing its id.
 * Nothing changes until Switch is pressed (a select that acted on every arrow key would move keyboard users around).
 */
function TenantSwitcher({
  client,
  current,
  onSwitch,
}: {
  client: ApiClient
  current: string
  onSwitch(tenant: string): Promise<void>
}) {
  const [value, setValue] = useState(current)
  const [error, setError] = useState<string>()
  const [tenants, setTenants] = useState<readonly ListedTenant[]>()
  useEffect(() => {
    let active = true
    client.listTenants().then(
      (page) => active && setTenants(page.items),
      () => undefined,
    )
    return () => {
      active = false
    }
  }, [client])
  useEffect(() => setValue(current), [current])
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const next = value.trim()
    if (!next || next === current) return
    try {
      setError(undefined)
      await onSwitch(next)
    } catch {
      setError(`No tenant "${next}"`)
    }
  }
  const listed = tenants && tenants.length > 0 ? tenants : undefined
  return (
    <form className="tenant-switcher" onSubmit={submit} aria-label="Switch tenant">
      <label htmlFor="switch-tenant">Tenant</label>
      {listed ? (
        <select id="switch-tenant" value={value} onChange={(event) => setValue(event.target.value)}>
          {!listed.some((tenant) => tenant.id === current) && <option value={current}>{current}</option>}
          {listed.map((tenant) => (
            <option key={tenant.id} value={tenant.id}>
              {tenant.name === tenant.id ? tenant.id : `${tenant.name} (${tenant.id})`}
            </option>
          ))}
        </select>
      ) : (
        <input
          id="switch-tenant"
          value={value}
          spellCheck={false}
          autoComplete="off"
          onChange={(event) => setValue(event.target.value)}
        />
      )}
      <button type="submit" className="button-secondary">
        Switch
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  )
}

export interface AppProps {
  /** Replaces `fetch` (tests). */
  readonly fetch?: typeof fetch
  /** Leaves the portal for another site (the identity provider's sign-out); `location.assign` by default. */
  readonly leave?: (url: string) => void
}

/** Where the identity provider sends the browser back after signing the person out there too. */
const signedOutPath = '/signed-out'

export function App({ fetch: fetchFn, leave = (url) => window.location.assign(url) }: AppProps = {}) {
  const path = usePath()
  const [session, setSession] = useState<Session | undefined>(() => loadSession())
  const [tenant, setTenant] = useState<Tenant>()
  const [signInMessage, setSignInMessage] = useState<string | undefined>(() =>
    window.location.pathname === signedOutPath ? 'You are signed out.' : undefined,
  )
  const [config, setConfig] = useState<AuthConfig>()

  const makeClient = useCallback(
    (next: Session): ApiClient =>
      createApiClient({ apiKey: next.apiKey, tenant: next.tenant, ...(fetchFn && { fetch: fetchFn }) }),
    [fetchFn],
  )
  const client = useMemo(() => (session ? makeClient(session) : undefined), [session, makeClient])

  // biome-ignore lint/correctness/useExhaustiveDependencies: asked once, when the portal opens
  useEffect(() => {
    const anonymous = createApiClient({ ...(fetchFn && { fetch: fetchFn }) })
    anonymous.authConfig().then(
      (found) => {
        setConfig(found)
        // Without a key in this tab, a person's session cookie may still be there: the portal opens signed in.
        if (!found.oidc || session) return
        anonymous.getTenant().then(
          async (current) => {
            if (!current.person) return
            // An operator who picked another tenant in this tab stays there after a reload.
            const chosen = current.person.operator ? loadChosenTenant() : undefined
            let opened: { session: Session; tenant: Tenant } = { session: {}, tenant: current }
            if (chosen && chosen !== current.id) {
              const there = await makeClient({ tenant: chosen })
                .getTenant()
                .catch(() => undefined)
              if (there) opened = { session: { tenant: chosen }, tenant: there }
            }
            setSession(opened.session)
            setTenant(opened.tenant)
            if (window.location.pathname === '/' || window.location.pathname === signedOutPath)
              navigate('/leads', { replace: true })
          },
          () => undefined,
        )
      },
      () => undefined,
    )
  }, [])

  const signOut = useCallback(
    (message?: string, atProvider = false) => {
      // A person's session ends here at once; on Sign out the browser then ends it at the identity provider too, so
      // the next sign-in asks for the account again (a shared computer is left signed out everywhere).
      if (session && session.apiKey === undefined) {
        client?.signOut().then(
          (answer) => {
            if (atProvider && answer?.endSessionUrl) leave(answer.endSessionUrl)
          },
          () => undefined,
        )
      }
      forgetLeadFilters()
      clearSession()
      setSession(undefined)
      setTenant(undefined)
      setSignInMessage(message)
    },
    [session, client, leave],
  )

  // A session restored from this tab: check the key still works and learn the tenant's name.
  useEffect(() => {
    if (!client || tenant) return
    let current = true
    client.getTenant().then(
      (found) => {
        if (current) setTenant(found)
      },
      (error: unknown) => {
        if (!current) return
        if (error instanceof ApiError && (error.status === 401 || error.status === 400))
          signOut('Your session ended. Sign in again.')
      },
    )
    return () => {
      current = false
    }
  }, [client, tenant, signOut])

  if (!session || !client) {
    return (
      <SignIn
        makeClient={makeClient}
        config={config}
        message={signInMessage}
        onSignedIn={(next, found) => {
          saveSession(next)
          setSession(next)
          setTenant(found)
          setSignInMessage(undefined)
          if (window.location.pathname === '/' || window.location.pathname === signedOutPath)
            navigate('/leads', { replace: true })
        }}
      />
    )
  }

  const role = roleOf(tenant)
  const shown = sections.filter((section) => !('role' in section) || holds(role, section.role))
  const activeSection = shown.find((section) => path === section.path || path.startsWith(`${section.path}/`))
  return (
    <ApiContext.Provider value={client}>
      <AccessContext.Provider value={role}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="top">
          <div className="top-inner">
            <Link to="/leads" className="brand">
              Leadrelay
            </Link>
            <nav aria-label="Main">
              <ul>
                {shown.map((section) => (
                  <li key={section.path}>
                    <Link
                      to={section.path}
                      aria-current={
                        activeSection?.path === section.path || (path === '/' && section.path === '/leads')
                          ? 'page'
                          : undefined
                      }
                    >
                      {section.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="account">
              {tenant?.person && (
                <span className="person" title={tenant.person.email ?? undefined}>
                  {tenant.person.name} <span className="role-badge">{tenant.person.role}</span>
                </span>
              )}
              {session.tenant || tenant?.person?.operator ? (
                <TenantSwitcher
                  client={client}
                  current={session.tenant ?? tenant?.id ?? ''}
                  onSwitch={async (next) => {
                    const switched = { ...session, tenant: next }
                    const found = await makeClient(switched).getTenant()
                    forgetLeadFilters()
                    saveSession(switched)
                    setSession(switched)
                    setTenant(found)
                  }}
                />
              ) : (
                <span className="tenant-name" title="Tenant">
                  {tenant?.name ?? ''}
                </span>
              )}
              <button type="button" className="button-secondary" onClick={() => signOut('You are signed out.', true)}>
                Sign out
              </button>
            </div>
          </div>
        </header>
        <main id="main" className="content" key={`${session.tenant ?? ''}`}>
          {pageFor(path)}
        </main>
      </AccessContext.Provider>
    </ApiContext.Provider>
  )
}
