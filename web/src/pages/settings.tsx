/**
 * Settings: API keys, the ingest URL, who hears about a destination being paused or recovering, retention, who may
 * sign in from Microsoft Entra ID, the marketplace subscription source, the audit log.
 */

import { type FormEvent, useEffect, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { AuditEntry } from '../api/types.ts'
import { ApiKeys, IngestUrl } from '../components/api-keys.tsx'
import { RetentionSettings } from '../components/retention-settings.tsx'
import { SignInSettings } from '../components/sign-in-settings.tsx'
import { SubscriptionSourceSettings } from '../components/subscription-source.tsx'
import {
  describeError,
  ErrorNotice,
  FormActions,
  type FormStatus,
  Loading,
  PageHeader,
  RoleNote,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { formatTime } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

function Notifications({ canEdit }: { canEdit: boolean }) {
  const api = useApi()
  const contacts = useLoad('notifications', () => api.getNotifications())
  const [emails, setEmails] = useState('')
  const [webhookUrl, setWebhookUrl] = useState('')
  const [errors, setErrors] = useState<{ emails?: string; webhookUrl?: string }>({})
  const [status, setStatus] = useState<FormStatus>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (!contacts.data) return
    setEmails(contacts.data.emails.join('\n'))
    setWebhookUrl(contacts.data.webhookUrl ?? '')
  }, [contacts.data])

  function validate() {
    const list = emails
      .split(/[\n,;]+/)
      .map((email) => email.trim())
      .filter(Boolean)
    const found: typeof errors = {}
    const bad = list.filter((email) => !emailPattern.test(email))
    if (bad.length > 0) found.emails = `Not an email address: ${bad.join(', ')}`
    else if (list.length > 20) found.emails = 'At most 20 addresses'
    const url = webhookUrl.trim()
    if (url) {
      try {
        const parsed = new URL(url)
        if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('protocol')
      } catch {
        found.webhookUrl = 'Enter a full URL starting with https://'
      }
    }
    return { list, url, found }
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setStatus(undefined)
    const { list, url, found } = validate()
    setErrors(found)
    if (found.emails || found.webhookUrl) return
    setBusy(true)
    try {
      await api.putNotifications({ emails: list, ...(url && { webhookUrl: url }) })
      setStatus({ ok: true, text: 'Saved.' })
      contacts.reload()
    } catch (error) {
      if (error instanceof ApiError && error.field?.startsWith('emails')) setErrors({ emails: error.message })
      else if (error instanceof ApiError && error.field === 'webhookUrl') setErrors({ webhookUrl: error.message })
      else setStatus({ ok: false, text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  if (!contacts.data) {
    return contacts.error ? (
      <ErrorNotice error={contacts.error} onRetry={contacts.reload} />
    ) : (
      <Loading what="notification contacts" />
    )
  }

  return (
    <section className="card" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notification contacts</h2>
      <p className="hint">
        When a destination is paused (bad credentials), disabled (its endpoint is gone or failing for days) or recovers,
        Leadrelay tells these contacts, so no lead waits unnoticed.
      </p>
      <form className="form" onSubmit={submit} noValidate>
        <fieldset className="bare" disabled={!canEdit}>
          <legend className="visually-hidden">Notification contacts</legend>
          <div className="field">
            <label htmlFor="notify-emails">
              Email addresses <span className="optional">(one per line)</span>
            </label>
            <textarea
              id="notify-emails"
              rows={4}
              value={emails}
              spellCheck={false}
              aria-invalid={errors.emails ? true : undefined}
              aria-describedby={errors.emails ? 'notify-emails-error' : undefined}
              onChange={(event) => setEmails(event.target.value)}
            />
            {errors.emails && (
              <p className="field-error" id="notify-emails-error">
                {errors.emails}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="notify-webhook">
              Webhook URL <span className="optional">(optional)</span>
            </label>
            <input
              id="notify-webhook"
              type="text"
              inputMode="url"
              placeholder="https://"
              value={webhookUrl}
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.webhookUrl ? true : undefined}
              aria-describedby={errors.webhookUrl ? 'notify-webhook-error notify-webhook-help' : 'notify-webhook-help'}
              onChange={(event) => setWebhookUrl(event.target.value)}
            />
            <p className="hint" id="notify-webhook-help">
              Receives a JSON notice, e.g. a Slack or Teams incoming webhook.
            </p>
            {errors.webhookUrl && (
              <p className="field-error" id="notify-webhook-error">
                {errors.webhookUrl}
              </p>
            )}
          </div>
        </fieldset>
        {canEdit && (
          <FormActions busy={busy} status={status}>
            {busy ? 'Saving…' : 'Save contacts'}
          </FormActions>
        )}
      </form>
    </section>
  )
}

const auditActions: Record<string, string> = {
  'destination.created': 'Destination created',
  'destination.updated': 'Destination changed',
  'destination.deleted': 'Destination deleted',
  'destination.verified': 'Destination tested',
  'destination.secrets_rotated': 'Destination secret rotated',
  'offer.published': 'Offer published',
  'offer.publish_failed': 'Offer publish failed',
  'routes.changed': 'Routing changed',
  'earlier_leads.queued': 'Earlier leads queued',
  'earlier_leads.skipped': 'Earlier leads skipped',
  'notifications.changed': 'Notification contacts changed',
  'deliveries.replayed': 'Deliveries replayed',
  'retention.changed': 'Retention changed',
  'tenant.sign_in_changed': 'Sign-in changed',
  'subscription_source.put': 'Subscription source set',
  'subscription_source.delete': 'Subscription source removed',
}

/** Targets that are not a record with a name of their own. */
const namedTargets: Record<string, string> = {
  default: 'Default route',
  notifications: 'Notification contacts',
  retention: 'Retention',
  ids: 'Chosen deliveries',
  filter: 'Deliveries matching a filter',
}

/** What an entry's detail adds, in a few words (never a secret: the log holds none). */
function auditSummary(entry: AuditEntry): string | undefined {
  const detail = entry.detail ?? {}
  if (entry.action === 'offer.publish_failed' && Array.isArray(detail.failed)) {
    const failed = detail.failed as { name?: string; reason?: string }[]
    return failed.map((check) => `${check.name ?? 'A destination'}: ${check.reason ?? 'failed'}`).join('; ')
  }
  if (entry.action === 'routes.changed' && Array.isArray(detail.before) && Array.isArray(detail.after)) {
    const count = (n: number) => `${n} destination${n === 1 ? '' : 's'}`
    return `${count(detail.before.length)} → ${count(detail.after.length)}`
  }
  if (entry.action === 'deliveries.replayed' && typeof detail.replayed === 'number') {
    return `${detail.replayed} replayed`
  }
  if (entry.action === 'destination.verified' && detail.ok === false && typeof detail.reason === 'string') {
    return detail.reason
  }
  return undefined
}

/** The target by name (destination name, offer title), its id beneath; a bare id only when it has no name. */
function AuditTarget({ entry }: { entry: AuditEntry }) {
  if (entry.target === undefined) return <>—</>
  const name = entry.targetName ?? namedTargets[entry.target]
  if (name === undefined) return <span className="mono">{entry.target}</span>
  return (
    <>
      {name}
      {name !== entry.target && !(entry.target in namedTargets) && <div className="sub mono">{entry.target}</div>}
    </>
  )
}

export function AuditLog() {
  const api = useApi()
  const audit = useLoad('audit', () => api.audit())
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Recent changes</h2>
      <ErrorNotice error={audit.error} onRetry={audit.reload} />
      {!audit.data ? (
        audit.loading && <Loading what="the audit log" />
      ) : audit.data.items.length === 0 ? (
        <p className="empty-inline">No changes recorded yet.</p>
      ) : (
        <table className="table compact">
          <caption className="visually-hidden">Audit log, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Target</th>
              <th scope="col">Who</th>
            </tr>
          </thead>
          <tbody>
            {audit.data.items.slice(0, 50).map((entry) => {
              const summary = auditSummary(entry)
              return (
                <tr key={entry.id}>
                  <td data-label="When">{formatTime(entry.at, true)}</td>
                  <td data-label="What">
                    {auditActions[entry.action] ?? entry.action}
                    {summary && <div className="sub">{summary}</div>}
                  </td>
                  <td data-label="Target">
                    <AuditTarget entry={entry} />
                  </td>
                  <td data-label="Who" className="mono">
                    {entry.actorName ?? entry.actor}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function SettingsPage() {
  const api = useApi()
  const tenant = useLoad('tenant', () => api.getTenant())
  // Keys, the ingest URL, sign-in and the subscription source are an administrator's: a role below does not see what
  // it could not change, and the note says so.
  const isAdmin = useCan('admin')
  return (
    <>
      <PageHeader title="Settings" />
      <RoleNote
        needed="admin"
        what="changing settings (API keys, the ingest URL, notification contacts, retention, sign-in and marketplace subscriptions)"
      />
      {tenant.data && (
        <section className="card" aria-labelledby="tenant-title">
          <h2 id="tenant-title">Tenant</h2>
          <dl className="facts">
            <div>
              <dt>Name</dt>
              <dd>{tenant.data.name}</dd>
            </div>
            <div>
              <dt>Id</dt>
              <dd className="mono">{tenant.data.id}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatTime(tenant.data.createdAt)}</dd>
            </div>
          </dl>
        </section>
      )}
      {isAdmin && <ApiKeys api={api} signedInKeyId={tenant.data?.key?.id} />}
      {isAdmin && <IngestUrl api={api} />}
      <Notifications canEdit={isAdmin} />
      <RetentionSettings api={api} canEdit={isAdmin} />
      {isAdmin && <SignInSettings api={api} />}
      {isAdmin && <SubscriptionSourceSettings api={api} />}
      <AuditLog />
    </>
  )
}
