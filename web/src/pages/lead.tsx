/** One lead: the customer, the funnel timeline of its events, and every delivery with its attempts. */

import { useState } from 'react'
import type { Customer, Delivery, Destination, ReplayResult } from '../api/types.ts'
import { AttemptExchange } from '../components/attempt-exchange.tsx'
import { EraseCustomer } from '../components/erase-customer.tsx'
import { LeadAlerts } from '../components/lead-alerts.tsx'
import { LeadSubscriptions } from '../components/lead-subscriptions.tsx'
import { ReplayStatus } from '../components/replay.tsx'
import {
  describeError,
  ErrorNotice,
  Flag,
  Loading,
  OfferName,
  PageHeader,
  RoleNote,
  StageBadge,
  StateBadge,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { customerName, formatTime, plural } from '../lib/format.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

const customerFields: { key: keyof Customer; label: string }[] = [
  { key: 'email', label: 'Email' },
  { key: 'phone', label: 'Phone' },
  { key: 'company', label: 'Company' },
  { key: 'title', label: 'Job title' },
  { key: 'country', label: 'Country' },
]

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item])
  return groups
}

/**
 * What tells a delivery apart from the others to the same destination (a newer state of the lead, a second
 * delivery of one state): empty when it is the only one, so each card's landmark has its own name.
 */
export function deliveryDistinctions(deliveries: readonly Delivery[]): Map<string, string> {
  const labels = new Map<string, string>()
  for (const group of groupBy(deliveries, (delivery) => delivery.destinationId).values()) {
    if (group.length < 2) continue
    const perVersion = groupBy(group, (delivery) => delivery.leadVersion)
    for (const delivery of group) {
      const sameVersion = perVersion.get(delivery.leadVersion) ?? []
      labels.set(
        delivery.id,
        sameVersion.length < 2
          ? `lead version ${delivery.leadVersion}`
          : `lead version ${delivery.leadVersion}, delivery ${sameVersion.indexOf(delivery) + 1} of ${sameVersion.length}`,
      )
    }
  }
  return labels
}

function DeliveryCard({
  delivery,
  destination,
  distinction,
  onReplay,
}: {
  delivery: Delivery
  destination: Destination | undefined
  /** Set when other deliveries go to the same destination. */
  distinction: string | undefined
  onReplay: (id: string) => void
}) {
  // Replay is an editor's: a viewer sees the attempts but no button (the API would refuse it too).
  const canReplay = useCan('editor') && (delivery.state === 'dead' || delivery.state === 'delivered')
  return (
    <section className="card delivery-card" aria-labelledby={`delivery-${delivery.id}`}>
      <div className="group-head">
        <h3 id={`delivery-${delivery.id}`}>
          {destination ? (
            <Link to={pathTo('destinations', destination.id)}>{destination.name}</Link>
          ) : (
            `Deleted destination (${delivery.destinationId})`
          )}
          {distinction && <span className="sub"> · {distinction}</span>}
        </h3>
        <StateBadge state={delivery.state} />
      </div>
      <dl className="facts">
        <div>
          <dt>Attempts</dt>
          <dd>{delivery.attempts}</dd>
        </div>
        <div>
          <dt>Lead version</dt>
          <dd>{delivery.leadVersion}</dd>
        </div>
        {delivery.deliveredAt && (
          <div>
            <dt>Delivered</dt>
            <dd>{formatTime(delivery.deliveredAt, true)}</dd>
          </div>
        )}
        {delivery.nextAttemptAt && (
          <div>
            <dt>Next attempt</dt>
            <dd>{formatTime(delivery.nextAttemptAt, true)}</dd>
          </div>
        )}
      </dl>
      {delivery.lastError && delivery.state !== 'delivered' && (
        <p className="reason">
          <strong>Last error:</strong> {delivery.lastError}
        </p>
      )}
      {(delivery.attemptLog?.length ?? 0) > 0 ? (
        <table className="table compact attempts">
          <caption>Attempts</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Kind</th>
              <th scope="col">Started</th>
              <th scope="col">Took</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status</th>
              <th scope="col">Error</th>
              <th scope="col">Sent and received</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attemptLog?.map((attempt) => (
              <tr key={attempt.id}>
                <td data-label="#">{attempt.number}</td>
                <td data-label="Kind">{attempt.kind}</td>
                <td data-label="Started" className="nowrap">
                  {formatTime(attempt.startedAt, true)}
                </td>
                <td data-label="Took" className="nowrap">
                  {attempt.durationMs} ms
                </td>
                <td data-label="Outcome">
                  <span className={`outcome outcome-${attempt.outcome === 'delivered' ? 'ok' : 'failed'}`}>
                    {attempt.outcome}
                  </span>
                </td>
                <td data-label="Status">{attempt.status ?? '—'}</td>
                <td data-label="Error">{attempt.error ?? attempt.vendorCode ?? '—'}</td>
                <td data-label="Sent and received">
                  <AttemptExchange attempt={attempt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="hint">No attempt yet: it is waiting in the queue.</p>
      )}
      {canReplay && (
        <button type="button" className="button-secondary" onClick={() => onReplay(delivery.id)}>
          {delivery.state === 'dead' ? 'Replay this delivery' : 'Send again'}
        </button>
      )}
    </section>
  )
}

export function LeadPage({ leadId }: { leadId: string }) {
  const api = useApi()
  const lead = useLoad(`lead:${leadId}`, () => api.getLead(leadId))
  const destinations = useLoad('destinations', () => api.listDestinations())
  const [replay, setReplay] = useState<ReplayResult>()
  const [replayError, setReplayError] = useState<string>()
  const canErase = useCan('admin')

  async function replayOne(id: string) {
    setReplayError(undefined)
    try {
      setReplay(await api.replay({ ids: [id] }))
    } catch (error) {
      setReplayError(describeError(error))
    }
  }

  if (lead.error && !lead.data) {
    return (
      <>
        <PageHeader title="Lead" />
        <ErrorNotice error={lead.error} onRetry={lead.reload} />
        <p>
          <Link to="/leads">Back to leads</Link>
        </p>
      </>
    )
  }
  if (!lead.data) return <Loading what="the lead" />
  const data = lead.data
  const byId = new Map((destinations.data?.items ?? []).map((item) => [item.id, item]))
  const events = [...data.events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))
  const distinctions = deliveryDistinctions(data.deliveries)

  return (
    <>
      <p className="breadcrumb">
        <Link to="/leads">← Leads</Link>
      </p>
      <PageHeader title={customerName(data.customer)}>
        <StageBadge stage={data.stage} />
        {data.isTest && <Flag tone="test">Test lead</Flag>}
        {data.doNotContact && <Flag tone="dnc">Do not contact</Flag>}
      </PageHeader>

      <div className="columns">
        <section className="card" aria-labelledby="customer-title">
          <h2 id="customer-title">Customer</h2>
          <dl className="facts">
            <div>
              <dt>Name</dt>
              <dd>{[data.customer.firstName, data.customer.lastName].filter(Boolean).join(' ') || '—'}</dd>
            </div>
            {customerFields.map((field) => (
              <div key={field.key}>
                <dt>{field.label}</dt>
                <dd>{data.customer[field.key] ?? '—'}</dd>
              </div>
            ))}
          </dl>
          {data.doNotContact && (
            <p className="notice notice-warning">
              Microsoft sent a do-not-contact notice for this customer: do not reach out until they act again.
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="lead-facts-title">
          <h2 id="lead-facts-title">Lead</h2>
          <dl className="facts">
            <div>
              <dt>Offer</dt>
              <dd>
                {data.offerId ? <OfferName offerId={data.offerId} title={data.offerTitle} /> : data.offerName}
                {!data.routed && ' (not configured)'}
              </dd>
            </div>
            <div>
              <dt>Source</dt>
              <dd>{data.source ?? '—'}</dd>
            </div>
            <div>
              <dt>Events</dt>
              <dd>{data.eventCount}</dd>
            </div>
            <div>
              <dt>First event</dt>
              <dd>{formatTime(data.firstEventAt)}</dd>
            </div>
            <div>
              <dt>Last event</dt>
              <dd>{formatTime(data.lastEventAt)}</dd>
            </div>
            <div>
              <dt>Lead id</dt>
              <dd className="mono">{data.id}</dd>
            </div>
          </dl>
        </section>
      </div>

      <LeadSubscriptions api={api} leadId={leadId} />

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p className="hint">
          {plural(events.length, 'event')} from the marketplace, merged into this lead; the lead shows the furthest
          stage reached.
        </p>
        <ol className="timeline">
          {events.map((event) => (
            <li key={event.id} className={`timeline-item stage-line-${event.stage}`}>
              <div className="timeline-head">
                <StageBadge stage={event.stage} />
                <strong>{event.action ?? 'No action code'}</strong>
                <span className="sub">{event.source ?? ''}</span>
                {event.isTest && <Flag tone="test">Test</Flag>}
              </div>
              <div className="sub">
                <time dateTime={event.occurredAt}>{formatTime(event.occurredAt, true)}</time>
                {event.receivedAt !== event.occurredAt && <> · received {formatTime(event.receivedAt, true)}</>}
                {' · '}
                {event.format === 'microsoft' ? 'Microsoft HTTPS endpoint' : event.format}
              </div>
              {event.leadSource && <div className="mono small">{event.leadSource}</div>}
              {event.description && <p className="event-description">{event.description}</p>}
              {event.invalid && Object.keys(event.invalid).length > 0 && (
                <p className="field-error">
                  Not usable:{' '}
                  {Object.entries(event.invalid)
                    .map(([field, value]) => `${field} “${value}”`)
                    .join(', ')}
                </p>
              )}
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        {replayError && (
          <p className="notice notice-error" role="alert">
            {replayError}
          </p>
        )}
        {replay && <ReplayStatus result={replay} listDeliveries={api.listDeliveries} onSettled={lead.reload} />}
        {data.deliveries.length > 0 && <RoleNote needed="editor" what="replaying deliveries" />}
        {data.deliveries.length === 0 ? (
          <p className="empty-inline">
            {data.routed
              ? 'No deliveries: this offer has no destinations and there is no default route. '
              : 'No deliveries: the offer this lead names is not configured. '}
            <Link to={data.offerId ? pathTo('offers', data.offerId) : '/offers/new'}>Set up its routing</Link>.
          </p>
        ) : (
          data.deliveries.map((delivery) => (
            <DeliveryCard
              key={delivery.id}
              delivery={delivery}
              destination={byId.get(delivery.destinationId)}
              distinction={distinctions.get(delivery.id)}
              onReplay={replayOne}
            />
          ))
        )}
      </section>

      <LeadAlerts leadId={leadId} />
      {canErase && <EraseCustomer api={api} email={data.customer.email} onErased={lead.reload} />}
    </>
  )
}
