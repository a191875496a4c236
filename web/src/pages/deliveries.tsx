/**
 * Deliveries: what is failing or dead, counted per destination and reason by the API; replay after a fix, with its
 * progress beside the control that started it; every delivery paged by the API with its lead's name in the same
 * answer; "retry now" for a queued one.
 */

import { useCallback, useState } from 'react'
import type { DeliveryTroubleGroup, RetryResult } from '../api/client.ts'
import type { DeliveryFilter, DeliveryState, ReplayResult } from '../api/types.ts'
import { ReplayByFilter, ReplayStatus, TroubleGroupCard } from '../components/replay.tsx'
import {
  describeError,
  EmptyState,
  ErrorNotice,
  HealthBadge,
  Loading,
  PageHeader,
  Pager,
  RoleNote,
  StateBadge,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { healthAdvice, healthOf } from '../lib/deliveries.ts'
import { customerName, deliveryStateLabels, formatTime, plural } from '../lib/format.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

const pageSize = 25

/** Which rows the All deliveries table shows; a group's "Show" button sets all three. */
export interface TableFilter {
  readonly state: DeliveryState | ''
  readonly destination: string
  readonly reason: string
}

const anyDelivery: TableFilter = { state: '', destination: '', reason: '' }

/** What a "Retry now" did, in words: due now, or waiting for a rate-limit hold or a paused destination. */
export function retryMessage(result: RetryResult, destination: string): string {
  if (result.destinationHeldUntil)
    return `Due now, but ${destination} asked for no requests until ${formatTime(result.destinationHeldUntil)} (a rate limit): it is sent then. Retry now never jumps a rate limit.`
  if (result.destinationState !== 'active')
    return `Due now, but ${destination} is ${result.destinationState}: it is sent once the destination is back on.`
  return 'Due now: it is sent within seconds.'
}

function AllDeliveries({
  names,
  filter,
  onFilter,
  round,
}: {
  names: ReadonlyMap<string, string>
  filter: TableFilter
  onFilter(filter: TableFilter): void
  round: number
}) {
  const api = useApi()
  const mayRetry = useCan('editor')
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const [retried, setRetried] = useState<{ id: string; text: string; error?: boolean }>()
  const [retrying, setRetrying] = useState<string>()
  const [reload, setReload] = useState(0)
  const cursor = cursors[cursors.length - 1]
  const page = useLoad(JSON.stringify([filter, cursor, round, reload]), () =>
    api.listDeliveries({
      limit: pageSize,
      ...(filter.state && { state: filter.state }),
      ...(filter.destination && { destination: filter.destination }),
      ...(filter.reason && { reason: filter.reason }),
      ...(cursor && { cursor }),
    }),
  )
  const choose = (next: TableFilter) => {
    onFilter(next)
    setCursors([undefined])
  }

  async function retry(deliveryId: string, destinationId: string) {
    setRetrying(deliveryId)
    try {
      const result = await api.retryDelivery(deliveryId)
      setRetried({ id: deliveryId, text: retryMessage(result, names.get(destinationId) ?? 'the destination') })
      setReload((n) => n + 1)
    } catch (error) {
      setRetried({ id: deliveryId, text: describeError(error), error: true })
    } finally {
      setRetrying(undefined)
    }
  }

  const total = page.data?.total
  return (
    <section aria-labelledby="all-deliveries-title" id="all-deliveries">
      <h2 id="all-deliveries-title" tabIndex={-1}>
        All deliveries
      </h2>
      <div className="filters">
        <div className="field">
          <label htmlFor="all-state">State</label>
          <select
            id="all-state"
            value={filter.state}
            onChange={(event) => choose({ ...filter, state: event.target.value as DeliveryState | '' })}
          >
            <option value="">Any state</option>
            {Object.entries(deliveryStateLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="all-destination">Destination</label>
          <select
            id="all-destination"
            value={filter.destination}
            onChange={(event) => choose({ ...filter, destination: event.target.value })}
          >
            <option value="">All destinations</option>
            {[...names].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
        {filter.reason && (
          <p className="reason-filter">
            Reason: <q>{filter.reason}</q>{' '}
            <button type="button" className="button-secondary" onClick={() => choose({ ...filter, reason: '' })}>
              Any reason
            </button>
          </p>
        )}
      </div>
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {total !== undefined && (
        <p className="lead-total" aria-live="polite">
          {page.data?.totalIsEstimate
            ? `More than ${total.toLocaleString('en-US')} deliveries`
            : `${total.toLocaleString('en-US')} ${total === 1 ? 'delivery' : 'deliveries'}`}
        </p>
      )}
      {retried && (
        <p className={`notice ${retried.error ? 'notice-error' : 'notice-info'}`} role="status">
          {retried.text}
        </p>
      )}
      {page.data && page.data.items.length === 0 ? (
        <p className="empty-inline">
          No deliveries{filter.state || filter.destination || filter.reason ? ' match' : ' yet'}.
        </p>
      ) : page.data ? (
        <>
          <table className="table compact" aria-busy={page.loading}>
            <caption className="visually-hidden">Deliveries, most recently created first</caption>
            <thead>
              <tr>
                <th scope="col">Lead</th>
                <th scope="col">Destination</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((delivery) => (
                <tr key={delivery.id}>
                  <td data-label="Lead">
                    <Link to={pathTo('leads', delivery.leadId)}>
                      {delivery.lead ? customerName(delivery.lead.customer) : delivery.leadId}
                    </Link>
                    {delivery.lead?.offerTitle && <div className="sub">{delivery.lead.offerTitle}</div>}
                  </td>
                  <td data-label="Destination">{names.get(delivery.destinationId) ?? delivery.destinationId}</td>
                  <td data-label="State">
                    <StateBadge state={delivery.state} />
                    {delivery.state === 'queued' && delivery.nextAttemptAt && (
                      <div className="sub">next {formatTime(delivery.nextAttemptAt)}</div>
                    )}
                  </td>
                  <td data-label="Attempts">{delivery.attempts}</td>
                  <td data-label="Updated">{formatTime(delivery.updatedAt, true)}</td>
                  <td data-label="Actions">
                    {mayRetry && delivery.state === 'queued' && (
                      <button
                        type="button"
                        className="button-secondary"
                        disabled={retrying === delivery.id}
                        aria-describedby="retry-hint"
                        onClick={() => retry(delivery.id, delivery.destinationId)}
                      >
                        Retry now
                        <span className="visually-hidden"> delivery to {names.get(delivery.destinationId)}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint" id="retry-hint">
            Retry now makes a queued delivery due at once. A destination that asked Leadrelay to slow down (a rate
            limit) still gets nothing before the time it asked for, and a paused one nothing until it resumes.
          </p>
          <Pager
            label="Pages of deliveries"
            cursors={cursors}
            setCursors={setCursors}
            nextCursor={page.data.nextCursor}
            pageCount={
              total !== undefined && !page.data.totalIsEstimate ? Math.max(1, Math.ceil(total / pageSize)) : undefined
            }
          />
        </>
      ) : (
        page.loading && <Loading what="deliveries" />
      )}
    </section>
  )
}

/** A replay, and which control started it: its progress is shown there. */
interface StartedReplay {
  readonly origin: string
  readonly result?: ReplayResult
  readonly error?: string
}

export function DeliveriesPage() {
  const api = useApi()
  const mayReplay = useCan('editor')
  const [round, setRound] = useState(0)
  const destinations = useLoad(`destinations:${round}`, () => api.listDestinations())
  const troubles = useLoad(`troubles:${round}`, () => api.deliveryTroubles())
  const [replay, setReplay] = useState<StartedReplay>()
  const [busy, setBusy] = useState(false)
  const [tableFilter, setTableFilter] = useState<TableFilter>(anyDelivery)
  const refresh = useCallback(() => setRound((n) => n + 1), [])

  const byId = new Map((destinations.data?.items ?? []).map((item) => [item.id, item]))
  const names = new Map((destinations.data?.items ?? []).map((item) => [item.id, item.name]))
  const unwell = (destinations.data?.items ?? []).filter((item) => healthOf(item) !== 'healthy')

  async function run(origin: string, selector: { ids: string[] } | { filter: DeliveryFilter }) {
    setBusy(true)
    setReplay({ origin })
    try {
      setReplay({ origin, result: await api.replay(selector) })
      // The lists show the replayed deliveries as queued at once, not only once they settle.
      refresh()
    } catch (error) {
      setReplay({ origin, error: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  /** The replay's progress or failure, shown beside the control that started it. */
  function progressFor(origin: string) {
    if (replay?.origin !== origin) return null
    return (
      <>
        {replay.error && (
          <p className="notice notice-error" role="alert">
            {replay.error}
          </p>
        )}
        {replay.result && (
          <ReplayStatus result={replay.result} listDeliveries={api.listDeliveries} onSettled={refresh} />
        )}
      </>
    )
  }

  function show(group: DeliveryTroubleGroup) {
    setTableFilter({
      state: group.trouble === 'dead' ? 'dead' : 'queued',
      destination: group.destinationId,
      reason: group.reason,
    })
    document.getElementById('all-deliveries-title')?.focus()
  }

  const groups = troubles.data?.items ?? []
  const groupKey = (group: DeliveryTroubleGroup) => `${group.trouble}|${group.destinationId}|${group.reason}`
  // A replayed group leaves the list (its deliveries are queued again): its progress stays at the top of the section.
  const orphanedReplay =
    replay !== undefined && replay.origin !== 'filter' && !groups.some((group) => groupKey(group) === replay.origin)
  return (
    <>
      <PageHeader title="Deliveries">
        <button type="button" className="button-secondary" onClick={refresh}>
          Refresh
        </button>
      </PageHeader>
      <RoleNote needed="editor" what="replaying or retrying deliveries" />

      {unwell.length > 0 && (
        <section aria-labelledby="health-title" className="health-list">
          <h2 id="health-title">Destination health</h2>
          <ul className="cards">
            {unwell.map((destination) => (
              <li key={destination.id} className="card">
                <div className="group-head">
                  <h3>
                    <Link to={pathTo('destinations', destination.id)}>{destination.name}</Link>
                  </h3>
                  <HealthBadge destination={destination} />
                </div>
                {destination.stateReason && <p className="reason">{destination.stateReason}</p>}
                {destination.failingSince && (
                  <p className="sub">Failing since {formatTime(destination.failingSince)}</p>
                )}
                <p className="hint">{healthAdvice(destination)}</p>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="attention-title">
        <h2 id="attention-title">Needs attention</h2>
        {orphanedReplay && progressFor(replay.origin)}
        <ErrorNotice error={troubles.error} onRetry={troubles.reload} />
        {!troubles.data ? (
          troubles.loading && <Loading what="failing deliveries" />
        ) : groups.length === 0 ? (
          <EmptyState title="Nothing is failing">
            <p>
              Every routed lead has been delivered or is on its way. When an endpoint fails, its deliveries show up here
              grouped by destination and reason, ready to replay once it is fixed.
            </p>
          </EmptyState>
        ) : (
          <div className="trouble-groups">
            <p className="hint">
              {plural(groups.length, 'group', 'groups')}: fix the cause (see the reason), then replay the dead
              deliveries.
            </p>
            {groups.map((group, index) => {
              const key = groupKey(group)
              return (
                <TroubleGroupCard
                  key={key}
                  index={index}
                  trouble={group.trouble}
                  destinationId={group.destinationId}
                  destinations={byId}
                  count={group.count}
                  reason={group.reason}
                >
                  {group.trouble === 'failing' && (
                    <p className="hint">
                      Leadrelay retries these on its schedule; they can be replayed once they are dead. Fix the endpoint
                      and they go through on the next attempt, or use Retry now on one of them.
                    </p>
                  )}
                  <div className="group-actions">
                    <button type="button" className="button-secondary" onClick={() => show(group)}>
                      Show {group.count === 1 ? 'it' : `these ${group.count}`}
                    </button>
                    {mayReplay && group.trouble === 'dead' && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          run(key, {
                            filter: { state: 'dead', destination: group.destinationId, reason: group.reason },
                          })
                        }
                      >
                        Replay {group.count === 1 ? 'it' : `all ${group.count}`}
                      </button>
                    )}
                  </div>
                  {progressFor(key)}
                </TroubleGroupCard>
              )
            })}
          </div>
        )}
      </section>

      {mayReplay && (
        <section aria-labelledby="replay-filter-title" className="card">
          <h2 id="replay-filter-title">Replay by filter</h2>
          <p className="hint">
            Replays every matching delivery at once, e.g. all dead deliveries to a destination after fixing it. Queued
            ones are skipped: they are still being retried.
          </p>
          <ReplayByFilter
            destinations={destinations.data?.items ?? []}
            onReplay={(filter) => run('filter', { filter })}
            busy={busy}
          />
          {progressFor('filter')}
        </section>
      )}

      <AllDeliveries names={names} filter={tableFilter} onFilter={setTableFilter} round={round} />
    </>
  )
}
