/**
 * Settings → Sign-in: the Microsoft Entra tenant (directory) whose people join this tenant by signing in, and the role
 * they get (`/v1/tenant/sign-in`, docs/sign-in.md "Who gets in"). Once one is named, only its people may enter.
 */

import { type FormEvent, useEffect, useRef, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { AuthConfig, Role, TenantSignIn } from '../api/types.ts'
import { useLoad } from '../lib/use-load.ts'
import { guidPattern } from './subscription-source.tsx'
import { describeError, ErrorNotice, FormActions, type FormStatus, Loading } from './ui.tsx'

export interface SignInSettingsApi {
  getTenantSignIn(): Promise<TenantSignIn>
  putTenantSignIn(settings: TenantSignIn): Promise<TenantSignIn>
  authConfig(): Promise<AuthConfig>
}

/** Roles a whole directory may be given by signing in; ownership is handed out person by person. */
const joinRoles: readonly Role[] = ['viewer', 'editor', 'admin']

export function SignInSettings({ api }: { api: SignInSettingsApi }) {
  const settings = useLoad('tenant-sign-in', () => api.getTenantSignIn())
  const config = useLoad('auth-config', () => api.authConfig())
  const [entraTenantId, setEntraTenantId] = useState('')
  const [role, setRole] = useState<Role>('viewer')
  const [error, setError] = useState<string>()
  const [status, setStatus] = useState<FormStatus>()
  const [busy, setBusy] = useState(false)

  // The form starts from the stored settings once; later reloads never overwrite what is being typed.
  const started = useRef(false)
  useEffect(() => {
    if (!settings.data || started.current) return
    started.current = true
    setEntraTenantId(settings.data.entraTenantId ?? '')
    setRole(settings.data.role)
  }, [settings.data])

  if (!settings.data) {
    return settings.error ? (
      <ErrorNotice error={settings.error} onRetry={settings.reload} />
    ) : (
      <Loading what="sign-in settings" />
    )
  }
  const bound = settings.data.entraTenantId

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setStatus(undefined)
    const id = entraTenantId.trim().toLowerCase()
    if (id && !guidPattern.test(id)) {
      setError('Enter the Directory (tenant) id, a GUID, or leave it empty')
      document.getElementById('sign-in-entra-tenant')?.focus()
      return
    }
    setError(undefined)
    setBusy(true)
    try {
      const saved = await api.putTenantSignIn({ entraTenantId: id || null, role })
      setEntraTenantId(saved.entraTenantId ?? '')
      setRole(saved.role)
      setStatus({
        ok: true,
        text: saved.entraTenantId
          ? `Saved: people of ${saved.entraTenantId} join as ${saved.role}.`
          : 'Saved: no Entra tenant joins by itself; people enter by invitation.',
      })
      settings.reload()
    } catch (failure) {
      if (failure instanceof ApiError && failure.field === 'entraTenantId') setError(failure.message)
      else setStatus({ ok: false, text: describeError(failure) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign-in with Microsoft Entra ID</h2>
      {config.data && !config.data.oidc && (
        <p className="notice notice-info">
          This Leadrelay has no identity provider yet, so people cannot sign in; the setting applies once the operator
          sets one up (docs/sign-in.md).
        </p>
      )}
      <p className="hint">
        {bound ? (
          <>
            People of the Entra tenant <code>{bound}</code> join this tenant as <strong>{settings.data.role}</strong>{' '}
            the first time they sign in. Only people of that tenant may enter: an invitation accepted from any other
            directory is refused.
          </>
        ) : (
          <>
            No Entra tenant is named: people enter by invitation (People page), or by the operator's allowed tenants and
            domains. Name your organisation's Entra tenant to let all its people in without inviting each.
          </>
        )}
      </p>
      <form className="form" onSubmit={save} noValidate aria-label="Entra tenant">
        <div className="field">
          <label htmlFor="sign-in-entra-tenant">
            Entra tenant (directory) id <span className="optional">(empty: none)</span>
          </label>
          <input
            id="sign-in-entra-tenant"
            value={entraTenantId}
            spellCheck={false}
            autoComplete="off"
            placeholder="00000000-0000-0000-0000-000000000000"
            aria-invalid={error ? true : undefined}
            aria-describedby={
              error ? 'sign-in-entra-tenant-error sign-in-entra-tenant-help' : 'sign-in-entra-tenant-help'
            }
            onChange={(event) => setEntraTenantId(event.target.value)}
          />
          <p className="hint" id="sign-in-entra-tenant-help">
            Microsoft Entra admin center → Overview → Tenant ID.
          </p>
          {error && (
            <p className="field-error" id="sign-in-entra-tenant-error">
              {error}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="sign-in-role">Role of people who join this way</label>
          <select id="sign-in-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {[...joinRoles, ...(joinRoles.includes(settings.data.role) ? [] : [settings.data.role])].map((choice) => (
              <option key={choice} value={choice}>
                {choice}
              </option>
            ))}
          </select>
        </div>
        <FormActions busy={busy} status={status}>
          {busy ? 'Saving…' : 'Save sign-in'}
        </FormActions>
      </form>
    </section>
  )
}
