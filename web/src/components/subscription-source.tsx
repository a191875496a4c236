/**
 * Settings → Marketplace subscriptions: the tenant's subscription source, the publisher's Microsoft Entra app that
 * reads the SaaS Fulfillment API (src/http/routes/subscriptions.ts). The client secret is write-only: the API says
 * only whether one is stored. Poll now reads the subscriptions at once; the last poll's outcome is shown.
 */

import { type FormEvent, useEffect, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { SubscriptionPollSummary, SubscriptionSource, SubscriptionSourceInput } from '../api/types.ts'
import { formatTime, plural } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'
import { describeError, ErrorNotice, Loading } from './ui.tsx'

export interface SubscriptionSourceApi {
  getSubscriptionSource(): Promise<SubscriptionSource>
  putSubscriptionSource(input: SubscriptionSourceInput): Promise<SubscriptionSource>
  deleteSubscriptionSource(): Promise<void>
  pollSubscriptions(): Promise<SubscriptionPollSummary>
}

export const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type Field = 'entraTenantId' | 'clientId' | 'clientSecret'

/** What a poll did, in a sentence. */
export function pollSummaryText(summary: SubscriptionPollSummary): string {
  const parts = [
    `Read ${plural(summary.read, 'subscription')}`,
    `${plural(summary.recorded, 'change')} recorded`,
    ...(summary.unchanged > 0 ? [`${summary.unchanged} unchanged`] : []),
    ...(summary.duplicates > 0 ? [`${summary.duplicates} already recorded`] : []),
    ...(summary.skipped > 0 ? [`${summary.skipped} skipped (see the server log)`] : []),
  ]
  const text = `${parts.join(', ')}.`
  return summary.error ? `The poll stopped: ${summary.error}. ${text}` : text
}

/** The source, loaded; undefined data with no error means none is set up (the API answers 404). */
function useSource(api: SubscriptionSourceApi) {
  return useLoad('subscription-source', async () => {
    try {
      return await api.getSubscriptionSource()
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null
      throw error
    }
  })
}

export function SubscriptionSourceSettings({ api }: { api: SubscriptionSourceApi }) {
  const source = useSource(api)
  const [entraTenantId, setEntraTenantId] = useState('')
  const [clientId, setClientId] = useState('')
  const [clientSecret, setClientSecret] = useState('')
  const [enabled, setEnabled] = useState(true)
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({})
  const [status, setStatus] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState<'save' | 'poll' | 'remove'>()

  // The form follows the stored source when it changes (loaded, saved, removed), not on every reload: a poll's reload
  // never overwrites what is being typed.
  const version = source.data === undefined ? undefined : (source.data?.updatedAt ?? 'none')
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` says when the stored source changed
  useEffect(() => {
    if (source.data === undefined) return
    setEntraTenantId(source.data?.entraTenantId ?? '')
    setClientId(source.data?.clientId ?? '')
    setEnabled(source.data?.enabled ?? true)
    setClientSecret('')
  }, [version])

  if (source.data === undefined) {
    return source.error ? (
      <ErrorNotice error={source.error} onRetry={source.reload} />
    ) : (
      <Loading what="the subscription source" />
    )
  }
  const stored = source.data

  function validate(): Partial<Record<Field, string>> {
    const found: Partial<Record<Field, string>> = {}
    if (!guidPattern.test(entraTenantId.trim())) found.entraTenantId = 'Enter the Directory (tenant) id, a GUID'
    if (!guidPattern.test(clientId.trim())) found.clientId = 'Enter the Application (client) id, a GUID'
    if (!stored?.hasSecret && !clientSecret.trim()) found.clientSecret = 'Enter the client secret'
    return found
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setStatus(undefined)
    const found = validate()
    setErrors(found)
    const first = (['entraTenantId', 'clientId', 'clientSecret'] as const).find((field) => found[field])
    if (first) {
      document.getElementById(`subscription-${first}`)?.focus()
      return
    }
    setBusy('save')
    try {
      await api.putSubscriptionSource({
        entraTenantId: entraTenantId.trim(),
        clientId: clientId.trim(),
        ...(clientSecret.trim() && { clientSecret: clientSecret.trim() }),
        enabled,
      })
      // Write-only: the secret leaves the form as soon as it is stored.
      setClientSecret('')
      setStatus({ ok: true, text: stored ? 'Saved.' : 'Saved. Press Poll now to read the subscriptions at once.' })
      source.reload()
    } catch (error) {
      const field = error instanceof ApiError ? error.field : undefined
      if (field === 'entraTenantId' || field === 'clientId' || field === 'clientSecret') {
        setErrors({ [field]: (error as ApiError).message })
      } else setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(undefined)
    }
  }

  async function poll() {
    setStatus(undefined)
    setBusy('poll')
    try {
      const summary = await api.pollSubscriptions()
      setStatus({ ok: !summary.error, text: pollSummaryText(summary) })
      source.reload()
    } catch (error) {
      setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(undefined)
    }
  }

  async function remove() {
    if (!window.confirm('Remove the subscription source? Leadrelay stops reading subscriptions; leads keep theirs.'))
      return
    setStatus(undefined)
    setBusy('remove')
    try {
      await api.deleteSubscriptionSource()
      setStatus({ ok: true, text: 'Removed.' })
      source.reload()
    } catch (error) {
      setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(undefined)
    }
  }

  const described = (field: Field, help?: string) =>
    [help, errors[field] && `subscription-${field}-error`].filter(Boolean).join(' ') || undefined
  const fieldError = (field: Field) =>
    errors[field] && (
      <p className="field-error" id={`subscription-${field}-error`}>
        {errors[field]}
      </p>
    )

  return (
    <section className="card" aria-labelledby="subscriptions-source-title">
      <h2 id="subscriptions-source-title">Marketplace subscriptions</h2>
      <p className="hint">
        Leadrelay reads your SaaS offers' subscriptions from Microsoft's SaaS Fulfillment API on a schedule (every 15
        minutes unless your operator set another) and links each to its lead: a purchase makes the lead a customer, a
        suspension or cancellation shows as suspended or churned. It only reads; activation and changes stay with your
        fulfillment service. Use the Entra app registered for your SaaS offer (Partner Center → Technical
        configuration).
      </p>
      {stored && (
        <dl className="facts" aria-label="Last poll">
          <div>
            <dt>Last poll</dt>
            <dd>{stored.lastPollAt ? formatTime(stored.lastPollAt) : 'Not yet'}</dd>
          </div>
          <div>
            <dt>Result</dt>
            <dd>
              {stored.lastPollError ? (
                <span className="field-error">Failed: {stored.lastPollError}</span>
              ) : stored.lastPollCount !== undefined ? (
                `${plural(stored.lastPollCount, 'subscription')} read`
              ) : (
                '—'
              )}
            </dd>
          </div>
          <div>
            <dt>Scheduled polling</dt>
            <dd>{stored.enabled ? 'On' : 'Off'}</dd>
          </div>
        </dl>
      )}
      <form className="form" onSubmit={save} noValidate aria-label="Subscription source">
        <div className="field">
          <label htmlFor="subscription-entraTenantId">Directory (tenant) id</label>
          <input
            id="subscription-entraTenantId"
            value={entraTenantId}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={errors.entraTenantId ? true : undefined}
            aria-describedby={described('entraTenantId')}
            onChange={(event) => setEntraTenantId(event.target.value)}
          />
          {fieldError('entraTenantId')}
        </div>
        <div className="field">
          <label htmlFor="subscription-clientId">Application (client) id</label>
          <input
            id="subscription-clientId"
            value={clientId}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={errors.clientId ? true : undefined}
            aria-describedby={described('clientId')}
            onChange={(event) => setClientId(event.target.value)}
          />
          {fieldError('clientId')}
        </div>
        <div className="field">
          <label htmlFor="subscription-clientSecret">
            Client secret{' '}
            {stored?.hasSecret && <span className="optional">(stored; enter a new one to replace it)</span>}
          </label>
          <input
            id="subscription-clientSecret"
            type="password"
            value={clientSecret}
            spellCheck={false}
            autoComplete="new-password"
            aria-invalid={errors.clientSecret ? true : undefined}
            aria-describedby={described('clientSecret', 'subscription-clientSecret-help')}
            onChange={(event) => setClientSecret(event.target.value)}
          />
          <p className="hint" id="subscription-clientSecret-help">
            Kept encrypted and never shown again, here or in the API.
          </p>
          {fieldError('clientSecret')}
        </div>
        <label className="inline">
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
          Poll on the schedule
        </label>
        <div className="form-actions">
          <button type="submit" disabled={busy !== undefined}>
            {busy === 'save' ? 'Saving…' : stored ? 'Save' : 'Set up'}
          </button>
          {stored && (
            <button type="button" className="button-secondary" disabled={busy !== undefined} onClick={poll}>
              {busy === 'poll' ? 'Polling…' : 'Poll now'}
            </button>
          )}
          {stored && (
            <button type="button" className="button-danger" disabled={busy !== undefined} onClick={remove}>
              Remove
            </button>
          )}
        </div>
        <p role="status" className={status?.ok === false ? 'field-error' : undefined}>
          {status?.text}
        </p>
      </form>
    </section>
  )
}
