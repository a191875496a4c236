/**
 * Sign-in: with the identity provider when Leadrelay has one (`/auth/config`), and with an API key unless that is
 * switched off. An operator's admin key also names the tenant to act for.
 */

import { type FormEvent, useEffect, useRef, useState } from 'react'
import { type ApiClient, ApiError, needsTenant } from '../api/client.ts'
import type { AuthConfig, Tenant } from '../api/types.ts'
import { describeError } from '../components/ui.tsx'
import type { Session } from '../lib/session.ts'

export interface SignInProps {
  readonly makeClient: (session: Session) => ApiClient
  onSignedIn(session: Session, tenant: Tenant): void
  readonly message?: string | undefined
  /** What the server offers; undefined while unknown (then only the API key form is drawn). */
  readonly config?: AuthConfig | undefined
}

/** Why the identity provider's sign-in was refused, as the server's callback put it in the address. */
function signInErrorOf(search: string): string | undefined {
  return new URLSearchParams(search).get('signInError') ?? undefined
}

export function SignIn({ makeClient, onSignedIn, message, config }: SignInProps) {
  const [refused] = useState(() => signInErrorOf(window.location.search))
  const [apiKey, setApiKey] = useState('')
  const [tenant, setTenant] = useState('')
  const [askTenant, setAskTenant] = useState(false)
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const tenantInput = useRef<HTMLInputElement>(null)

  useEffect(() => {
    document.title = 'Sign in · Leadrelay'
  }, [])
  useEffect(() => {
    if (askTenant) tenantInput.current?.focus()
  }, [askTenant])

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const key = apiKey.trim()
    if (!key) {
      setError('Enter your API key.')
      return
    }
    if (askTenant && !tenant.trim()) {
      setError('Enter the id of the tenant to open.')
      return
    }
    setBusy(true)
    setError(undefined)
    const session: Session = { apiKey: key, tenant: askTenant ? tenant.trim() : undefined }
    try {
      const found = await makeClient(session).getTenant()
      onSignedIn(session, found)
    } catch (failure) {
      if (needsTenant(failure) && !askTenant) {
        setAskTenant(true)
        setError(undefined)
      } else if (failure instanceof ApiError && failure.code === 'UNAUTHORIZED') {
        setError('This API key is unknown or revoked. Check that you copied all of it.')
      } else if (needsTenant(failure)) {
        setError(`No tenant "${tenant.trim()}". Check the tenant id.`)
      } else {
        setError(describeError(failure))
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card card">
        <p className="brand-mark" aria-hidden="true">
          Leadrelay
        </p>
        <h1>Sign in to the publisher portal</h1>
        {message && (
          <p className="notice notice-info" role="status">
            {message}
          </p>
        )}
        {refused && (
          <p className="notice notice-error" role="alert">
            Sign-in refused: {refused}
          </p>
        )}
        {config?.oidc && (
          <p>
            <a className="button" href={`/auth/login?returnTo=${encodeURIComponent('/leads')}`}>
              {config.provider === 'microsoft' ? 'Sign in with Microsoft' : 'Sign in with your organisation'}
            </a>
          </p>
        )}
        {config?.oidc && config.apiKeySignIn && <p className="hint">Or sign in with an API key:</p>}
        {(config?.apiKeySignIn ?? true) && (
          <form onSubmit={submit} noValidate className="form">
            <div className="field">
              <label htmlFor="api-key">API key</label>
              <input
                id="api-key"
                type="password"
                autoComplete="current-password"
                spellCheck={false}
                value={apiKey}
                aria-describedby="api-key-help"
                onChange={(event) => setApiKey(event.target.value)}
              />
              <p className="hint" id="api-key-help">
                The key <code>leadrelay serve</code> or <code>leadrelay tenants create</code> printed (it starts with{' '}
                <code>lr_key_</code>). It stays in this browser tab only and is forgotten when you close it.
              </p>
            </div>
            {askTenant && (
              <div className="field">
                <label htmlFor="tenant-id">Tenant</label>
                <input
                  id="tenant-id"
                  ref={tenantInput}
                  autoComplete="off"
                  spellCheck={false}
                  value={tenant}
                  aria-describedby="tenant-id-help"
                  onChange={(event) => setTenant(event.target.value)}
                />
                <p className="hint" id="tenant-id-help">
                  This is an operator's admin key: enter the id of the tenant to open (like <code>tnt_…</code>).
                </p>
              </div>
            )}
            {error && (
              <p className="field-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
      </div>
    </main>
  )
}
