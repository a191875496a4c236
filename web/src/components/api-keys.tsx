/** Settings: the tenant's named API keys and its Microsoft ingest URL — create, rotate, revoke. Secrets show once. */

import { type FormEvent, useState } from 'react'
import type { ApiClient } from '../api/client.ts'
import type { ApiKeyScope } from '../api/types.ts'
import { formatTime } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'
import { CopyButton, describeError, ErrorNotice, FormActions, type FormStatus, Loading } from './ui.tsx'

export type KeysApi = Pick<
  ApiClient,
  'listKeys' | 'createKey' | 'rotateKey' | 'revokeKey' | 'listIngestTokens' | 'rotateIngestToken' | 'revokeIngestToken'
>

const scopeChoices: { scope: ApiKeyScope; label: string; help: string }[] = [
  { scope: 'ingest', label: 'Ingest', help: 'send leads (POST /v1/leads), e.g. a CRM script' },
  { scope: 'read', label: 'Read', help: 'see leads, offers, destinations and deliveries' },
  { scope: 'admin', label: 'Admin', help: 'everything, including destinations, routing and keys' },
]

/** A secret Leadrelay just made: shown here once, with a copy button. */
function Revealed({
  title,
  label,
  value,
  onDone,
}: {
  title: string
  label: string
  value: string
  onDone: () => void
}) {
  return (
    <section className="notice notice-warning secret-reveal" aria-labelledby="key-reveal-title">
      <h3 id="key-reveal-title">{title}</h3>
      <p>
        It is shown <strong>only once</strong>: Leadrelay keeps only a hash of it. If you lose it, rotate it.
      </p>
      <div className="secret-row">
        <label htmlFor="key-reveal-value">{label}</label>
        <input id="key-reveal-value" readOnly value={value} spellCheck={false} autoComplete="off" />
        <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
      </div>
      <button type="button" onClick={onDone}>
        I have stored it
      </button>
    </section>
  )
}

/** One change at a time: busy while it runs, then the list read again, or what went wrong in the status line. */
function useChange(reload: () => void) {
  const [status, setStatus] = useState<FormStatus>()
  const [busy, setBusy] = useState(false)

  async function act(work: () => Promise<void>) {
    setBusy(true)
    setStatus(undefined)
    try {
      await work()
      reload()
    } catch (error) {
      setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  return { status, setStatus, busy, act }
}

export function ApiKeys({ api, signedInKeyId }: { api: KeysApi; signedInKeyId?: string | undefined }) {
  const keys = useLoad('keys', () => api.listKeys())
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<ApiKeyScope[]>(['read'])
  const [formError, setFormError] = useState<string>()
  const [revealed, setRevealed] = useState<{ title: string; value: string }>()
  const { status, setStatus, busy, act } = useChange(keys.reload)

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) return setFormError('Give the key a name, e.g. "CRM script"')
    if (scopes.length === 0) return setFormError('Choose at least one scope')
    setFormError(undefined)
    return act(async () => {
      const created = await api.createKey({ name: trimmed, scopes })
      setRevealed({ title: `API key "${created.name}" created`, value: created.key })
      setName('')
    })
  }

  function rotate(id: string, keyName: string) {
    return act(async () => {
      const rotated = await api.rotateKey(id)
      setRevealed({ title: `API key "${rotated.name}" rotated: the old secret no longer works`, value: rotated.key })
      setStatus({ ok: true, text: `Rotated "${keyName}".` })
    })
  }

  function revoke(id: string, keyName: string) {
    if (!window.confirm(`Revoke "${keyName}"? Everything using it is refused at once.`)) return
    return act(async () => {
      await api.revokeKey(id)
      setStatus({ ok: true, text: `Revoked "${keyName}".` })
    })
  }

  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="hint">
        Give each person or script its own key with only the scopes it needs, so a leaked key can be revoked alone.
      </p>
      {revealed && (
        <Revealed title={revealed.title} label="API key" value={revealed.value} onDone={() => setRevealed(undefined)} />
      )}
      <ErrorNotice error={keys.error} onRetry={keys.reload} />
      {!keys.data ? (
        keys.loading && <Loading what="API keys" />
      ) : (
        <table className="table compact">
          <caption className="visually-hidden">API keys, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scopes</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((key) => (
              <tr key={key.id}>
                <td data-label="Name">
                  {key.name}
                  {key.id === signedInKeyId && <span className="optional"> (this portal)</span>}
                  {key.revokesAt && <span className="optional"> (stops {formatTime(key.revokesAt)})</span>}
                </td>
                <td data-label="Scopes">{key.scopes.join(', ')}</td>
                <td data-label="Starts with" className="mono">
                  {key.hint ?? '—'}
                </td>
                <td data-label="Created">{formatTime(key.createdAt)}</td>
                <td data-label="Actions">
                  <button
                    type="button"
                    className="button-secondary"
                    disabled={busy}
                    aria-label={`Rotate ${key.name}`}
                    onClick={() => rotate(key.id, key.name)}
                  >
                    Rotate
                  </button>{' '}
                  <button
                    type="button"
                    className="button-secondary"
                    disabled={busy}
                    aria-label={`Revoke ${key.name}`}
                    onClick={() => revoke(key.id, key.name)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="form" onSubmit={submit} noValidate aria-labelledby="new-key-title">
        <h3 id="new-key-title">New key</h3>
        <div className="field">
          <label htmlFor="new-key-name">Name</label>
          <input
            id="new-key-name"
            type="text"
            value={name}
            maxLength={100}
            autoComplete="off"
            aria-invalid={formError ? true : undefined}
            aria-describedby={formError ? 'new-key-error' : undefined}
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <fieldset className="field">
          <legend>Scopes</legend>
          {scopeChoices.map((choice) => (
            <div className="field field-checkbox" key={choice.scope}>
              <input
                id={`new-key-scope-${choice.scope}`}
                type="checkbox"
                checked={scopes.includes(choice.scope)}
                onChange={(event) =>
                  setScopes((current) =>
                    event.target.checked
                      ? [...current, choice.scope]
                      : current.filter((scope) => scope !== choice.scope),
                  )
                }
              />
              <label htmlFor={`new-key-scope-${choice.scope}`}>
                {choice.label} <span className="optional">— {choice.help}</span>
              </label>
            </div>
          ))}
        </fieldset>
        {formError && (
          <p className="field-error" id="new-key-error">
            {formError}
          </p>
        )}
        <FormActions busy={busy} status={status}>
          Create key
        </FormActions>
      </form>
    </section>
  )
}

const overlapChoices = [
  { hours: 72, label: '3 days (recommended: time to update Partner Center)' },
  { hours: 24, label: '1 day' },
  { hours: 168, label: '7 days' },
  { hours: 0, label: 'None: the old URL stops now (it has leaked)' },
]

export function IngestUrl({ api }: { api: KeysApi }) {
  const tokens = useLoad('ingest-tokens', () => api.listIngestTokens())
  const [overlapHours, setOverlapHours] = useState(72)
  const [revealed, setRevealed] = useState<string>()
  const { status, setStatus, busy, act } = useChange(tokens.reload)

  function rotate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const warning =
      overlapHours === 0
        ? 'Replace the ingest URL? The current one stops at once: leads Microsoft sends to it are refused until Partner Center has the new one.'
        : `Replace the ingest URL? The current one keeps working for ${overlapHours} hours.`
    if (!window.confirm(warning)) return
    return act(async () => {
      const rotated = await api.rotateIngestToken(overlapHours)
      setRevealed(rotated.ingestUrl)
    })
  }

  function endOverlap(id: string) {
    if (!window.confirm('Stop the previous ingest URL now? Leads still sent to it are refused.')) return
    return act(async () => {
      await api.revokeIngestToken(id)
      setStatus({ ok: true, text: 'The previous URL no longer works.' })
    })
  }

  const previous = tokens.data?.items.filter((token) => !token.current) ?? []
  return (
    <section className="card" aria-labelledby="ingest-title">
      <h2 id="ingest-title">Microsoft ingest URL</h2>
      <p className="hint">
        The HTTPS endpoint pasted into Partner Center. Replace it if it leaked; the old URL can keep working for a while
        so no lead is lost while you update Partner Center.
      </p>
      {revealed && (
        <Revealed
          title="New ingest URL: paste it into Partner Center (Offer setup > Customer leads > HTTPS endpoint)"
          label="Ingest URL"
          value={revealed}
          onDone={() => setRevealed(undefined)}
        />
      )}
      <ErrorNotice error={tokens.error} onRetry={tokens.reload} />
      {tokens.loading && !tokens.data && <Loading what="ingest URLs" />}
      {previous.length > 0 && (
        <ul>
          {previous.map((token) => (
            <li key={token.id}>
              Previous URL <span className="mono">{token.hint ?? token.id}</span> works until{' '}
              {formatTime(token.revokesAt)}.{' '}
              <button type="button" className="button-secondary" disabled={busy} onClick={() => endOverlap(token.id)}>
                Stop it now
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form" onSubmit={rotate} noValidate>
        <div className="field">
          <label htmlFor="ingest-overlap">Keep the current URL working for</label>
          <select
            id="ingest-overlap"
            value={overlapHours}
            onChange={(event) => setOverlapHours(Number(event.target.value))}
          >
            {overlapChoices.map((choice) => (
              <option key={choice.hours} value={choice.hours}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <FormActions busy={busy} status={status}>
          Replace the ingest URL
        </FormActions>
      </form>
    </section>
  )
}
