/** Small shared pieces: page headers, notices, badges, empty states, copy buttons. */

import { type ReactNode, useEffect, useRef, useState } from 'react'
import { ApiError } from '../api/client.ts'
import type { DeliveryState, Destination, Role, Stage } from '../api/types.ts'
import { holds, roleReason, useRole } from '../lib/access.ts'
import { type Health, healthLabels, healthOf } from '../lib/deliveries.ts'
import { deliveryStateLabels, offerLabel, stageLabel } from '../lib/format.ts'
import { hasNavigated, Link, pathTo } from '../lib/router.tsx'

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    document.title = `${title} · Leadrelay`
    // After navigation, keyboard and screen reader users start at the new page's heading; on a fresh load the
    // skip link stays first.
    if (!hasNavigated()) return
    if (document.activeElement === document.body || document.activeElement?.closest('nav')) heading.current?.focus()
  }, [title])
  return (
    <div className="page-header">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children && <div className="page-actions">{children}</div>}
    </div>
  )
}

/**
 * Says why write controls are missing or disabled when the signed-in role lacks `needed` (the API refuses such calls
 * with 403 anyway); nothing when it holds it. `what` names the action: "changing offers".
 */
export function RoleNote({ needed, what, id }: { needed: Role; what: string; id?: string }) {
  const role = useRole()
  if (holds(role, needed)) return null
  return (
    <p className="hint role-note" id={id}>
      {roleReason(role, needed, what)}
    </p>
  )
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.code === 'NETWORK' ? error.message : `${error.message} (${error.code})`
  if (error instanceof Error) return error.message
  return String(error)
}

export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null
  return (
    <div className="notice notice-error" role="alert">
      <p>{describeError(error)}</p>
      {onRetry && (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  )
}

export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  )
}

export function StageBadge({ stage }: { stage: Stage | string }) {
  return <span className={`badge stage-${stage}`}>{stageLabel(stage)}</span>
}

export function StateBadge({ state }: { state: DeliveryState }) {
  return <span className={`badge delivery-${state}`}>{deliveryStateLabels[state] ?? state}</span>
}

export function HealthBadge({ destination }: { destination: Destination }) {
  const health: Health = healthOf(destination)
  return <span className={`badge health-${health}`}>{healthLabels[health]}</span>
}

/** An offer by its title, linked to its page, with its id beside it in small type (when it has a title). */
export function OfferName({ offerId, title, link = true }: { offerId: string; title?: string | null; link?: boolean }) {
  const label = offerLabel(offerId, title)
  return (
    <>
      {link ? <Link to={pathTo('offers', offerId)}>{label}</Link> : label}
      {label !== offerId && <span className="sub mono offer-id"> {offerId}</span>}
    </>
  )
}

export function Flag({ children, tone }: { children: ReactNode; tone: 'test' | 'dnc' | 'muted' }) {
  return <span className={`badge flag-${tone}`}>{children}</span>
}

/** Copies text to the clipboard and says so, for screen readers too. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  async function copy() {
    try {
      await navigator.clipboard.writeText(text)
      setState('copied')
    } catch {
      setState('failed')
    }
  }
  return (
    <span className="copy">
      <button type="button" className="button-secondary" onClick={copy}>
        {label}
      </button>
      <span role="status" className="copy-status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  )
}

/** A secret shown once, right after Leadrelay generated it. */
export function SecretReveal({
  secrets,
  labels = {},
  onDone,
  doneLabel = 'I have stored it',
}: {
  secrets: Record<string, string>
  /** Display names by secret name, e.g. `signingSecret` → "Signing secret". */
  labels?: Record<string, string>
  onDone: () => void
  doneLabel?: string
}) {
  return (
    <section className="notice notice-warning secret-reveal" aria-labelledby="secret-reveal-title">
      <h2 id="secret-reveal-title">Copy this secret now</h2>
      <p>
        It is shown <strong>only once</strong>. Leadrelay stores it encrypted and will never display it again; your
        endpoint needs it to check the <code>webhook-signature</code> header. If you lose it, rotate the secret.
      </p>
      {Object.entries(secrets).map(([name, value]) => (
        <div className="secret-row" key={name}>
          <label htmlFor={`secret-${name}`}>{labels[name] ?? name}</label>
          <input id={`secret-${name}`} readOnly value={value} spellCheck={false} autoComplete="off" />
          <CopyButton text={value} label={`Copy ${(labels[name] ?? name).toLowerCase()}`} />
        </div>
      ))}
      <button type="button" onClick={onDone}>
        {doneLabel}
      </button>
    </section>
  )
}

export function CheckOutcome({ ok, step, reason }: { ok: boolean; step?: string | undefined; reason?: string }) {
  const stepLabel =
    step === 'settings' ? 'Settings' : step === 'verify' ? 'Connection' : step === 'test_lead' ? 'Test lead' : step
  return ok ? (
    <span className="outcome outcome-ok">✓ Works: a test lead was delivered</span>
  ) : (
    <span className="outcome outcome-failed">
      ✗ {stepLabel ? `${stepLabel} failed` : 'Failed'}
      {reason ? `: ${reason}` : ''}
    </span>
  )
}

/** What submitting a form said: a message, shown as an error when it failed. */
export interface FormStatus {
  readonly ok: boolean
  readonly text: string
}

/** A form's submit button, disabled while it works, and the status beside it that screen readers announce. */
export function FormActions({
  busy,
  status,
  children,
}: {
  busy: boolean
  status: FormStatus | undefined
  children: ReactNode
}) {
  return (
    <div className="form-actions">
      <button type="submit" disabled={busy}>
        {children}
      </button>
      <span role="status" className={status?.ok === false ? 'field-error' : undefined}>
        {status?.text}
      </span>
    </div>
  )
}

/**
 * Previous and Next over a list the API pages by cursor. `cursors` holds the cursor of each page shown so far (the
 * first is undefined); the page count shows only when the API counted exactly.
 */
export function Pager({
  label,
  cursors,
  setCursors,
  nextCursor,
  pageCount,
}: {
  label: string
  cursors: readonly (string | undefined)[]
  setCursors: (change: (previous: (string | undefined)[]) => (string | undefined)[]) => void
  nextCursor: string | undefined
  pageCount: number | undefined
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        className="button-secondary"
        disabled={cursors.length <= 1}
        onClick={() => setCursors((previous) => previous.slice(0, -1))}
      >
        ← Previous
      </button>
      <span>
        Page {cursors.length}
        {pageCount !== undefined && ` of ${pageCount}`}
      </span>
      <button
        type="button"
        className="button-secondary"
        disabled={!nextCursor}
        onClick={() => setCursors((previous) => [...previous, nextCursor])}
      >
        Next →
      </button>
    </nav>
  )
}
