/**
 * The marketplace SaaS subscriptions joined to a lead (issue 21): plan, quantity, status and dates, as Leadrelay last
 * read them from Microsoft's SaaS Fulfillment API. Nothing is drawn for a lead without one.
 */

import { type ApiClient, ApiError } from '../api/client.ts'
import type { LeadSubscription, SubscriptionStatus } from '../api/types.ts'
import { formatTime } from '../lib/format.ts'
import { useLoad } from '../lib/use-load.ts'
import { ErrorNotice, Flag } from './ui.tsx'

/** Microsoft's statuses in words, with the stage each puts the lead in (its badge colour). */
const statusViews: Readonly<Record<SubscriptionStatus, { label: string; stage: string }>> = {
  PendingFulfillmentStart: { label: 'Pending activation', stage: 'active' },
  Subscribed: { label: 'Subscribed', stage: 'customer' },
  Suspended: { label: 'Suspended', stage: 'suspended' },
  Unsubscribed: { label: 'Cancelled', stage: 'churned' },
}

const day = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' })

/** A term date as Microsoft sends it (a UTC date, sometimes with a midnight time): the day, never shifted by zone. */
function formatDay(value: string | undefined): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : day.format(date)
}

const termUnits: Readonly<Record<string, string>> = {
  P1M: 'monthly',
  P1Y: 'yearly',
  P2Y: 'two years',
  P3Y: 'three years',
}

function SubscriptionFacts({ subscription }: { subscription: LeadSubscription }) {
  const status = statusViews[subscription.status] ?? { label: subscription.status, stage: 'unclassified' }
  const term = subscription.termUnit ? (termUnits[subscription.termUnit] ?? subscription.termUnit) : undefined
  return (
    <dl className="facts">
      <div>
        <dt>Status</dt>
        <dd>
          <span className={`badge stage-${status.stage}`}>{status.label}</span>
          {subscription.isFreeTrial && <Flag tone="muted">Free trial</Flag>}
          {subscription.isTest && <Flag tone="test">Test</Flag>}
        </dd>
      </div>
      <div>
        <dt>Plan</dt>
        <dd className="mono">{subscription.planId ?? '—'}</dd>
      </div>
      <div>
        <dt>Quantity</dt>
        <dd>{subscription.quantity ?? '—'}</dd>
      </div>
      <div>
        <dt>Term</dt>
        <dd>
          {subscription.termStart || subscription.termEnd
            ? `${formatDay(subscription.termStart)} – ${formatDay(subscription.termEnd)}`
            : '—'}
          {term && ` (${term})`}
        </dd>
      </div>
      <div>
        <dt>Bought</dt>
        <dd>{formatTime(subscription.created)}</dd>
      </div>
      <div>
        <dt>Last changed</dt>
        <dd>{formatTime(subscription.lastModified)}</dd>
      </div>
      <div>
        <dt>Offer</dt>
        <dd className="mono">{subscription.offer}</dd>
      </div>
      <div>
        <dt>Subscription id</dt>
        <dd className="mono">{subscription.id}</dd>
      </div>
      <div>
        <dt>Read</dt>
        <dd>{formatTime(subscription.seenAt)}</dd>
      </div>
    </dl>
  )
}

export function LeadSubscriptions({ api, leadId }: { api: ApiClient; leadId: string }) {
  const subscriptions = useLoad(`lead-subscriptions:${leadId}`, () => api.leadSubscriptions(leadId))
  // A 404 is the lead's own page's to report (a lead erased meanwhile); here it only means no panel.
  if (subscriptions.error && !(subscriptions.error instanceof ApiError && subscriptions.error.status === 404)) {
    return <ErrorNotice error={subscriptions.error} onRetry={subscriptions.reload} />
  }
  const items = subscriptions.data?.items ?? []
  if (items.length === 0) return null
  return (
    <section className="card" aria-labelledby="subscriptions-title">
      <h2 id="subscriptions-title">{items.length === 1 ? 'Subscription' : 'Subscriptions'}</h2>
      <p className="hint">From the Azure Marketplace (SaaS fulfillment), as Leadrelay last read it.</p>
      {items.map((subscription) => (
        <section key={subscription.id} aria-label={subscription.name ?? subscription.id} className="subscription">
          {items.length > 1 && <h3>{subscription.name ?? subscription.id}</h3>}
          {items.length === 1 && subscription.name && <p className="sub">{subscription.name}</p>}
          <SubscriptionFacts subscription={subscription} />
        </section>
      ))}
    </section>
  )
}
