/** Deliveries: what is failing or dead, grouped by destination and reason, and replay after a fix. */

import { useCallback, useState } from 'react'
import type { DeliveryFilter, DeliveryState, ReplayResult } from '../api/types.ts'
import { destinationName, ReplayByFilter, ReplayStatus, TroubleGroups } from '../components/replay.tsx'
import {
  describeError,
  EmptyState,
  ErrorNotice,
  HealthBadge,
  Loading,
  PageHeader,
  StateBadge,
} from '../components/ui.tsx'
import { useCan } from '../lib/access.ts'
import { useApi } from '../lib/api-context.ts'
import { groupTroubles, healthAdvice, healthOf, listAll } from '../lib/deliveries.ts'
import { deliveryStateLabels, formatTime } from '../lib/format.ts'
import { useLeadNames } from '../lib/lead-names.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

function AllDeliveries({ names }: { names: ReadonlyMap<string, string> }) {
  const api = useApi()
  const [state, setState] = useState<DeliveryState | ''>('')
  const [destination, setDestination] = useState('')
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const cursor = cursors[cursors.length - 1]
  const page = useLoad(JSON.stringify([state, destination, cursor]), () =>
    api.listDeliveries({
      limit: 25,
      ...(state && { state }),
      ...(destination && { destination }),
      ...(cursor && { cursor }),
    }),
  )
  const leadNames = useLeadNames(
    api,
    (page.data?.items ?? []).map((delivery) => delivery.leadId),
  )

  return (
    <section aria-labelledby="all-deliveries-title">
      <h2 id="all-deliveries-title">All deliveries</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor="all-state">State</label>
          <select
            id="all-state"
            value={state}
            onChange={(event) => {
              setState(event.target.value as DeliveryState | '')
              setCursors([undefined])
            }}
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
            value={destination}
            onChange={(event) => {
              setDestination(event.target.value)
              setCursors([undefined])
            }}
          >
            <option value="">All destinations</option>
            {[...names].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNotice error={page.error} onRetry={page.reload} />
      {page.data && page.data.items.length === 0 ? (
        <p className="empty-inline">No deliveries{state || destination ? ' match' : ' yet'}.</p>
      ) : page.data ? (
        <>
          <table className="table compact" aria-busy={page.loading}>
            <caption className="visually-hidden">Deliveries</caption>
            <thead>
              <tr>
                <th scope="col">Lead</th>
                <th scope="col">Destination</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((delivery) => (
                <tr key={delivery.id}>
                  <td data-label="Lead">
                    <Link to={pathTo('leads', delivery.leadId)}>
                      {leadNames.get(delivery.leadId) ?? delivery.leadId}
                    </Link>
                  </td>
                  <td data-label="Destination">{names.get(delivery.destinationId) ?? delivery.destinationId}</td>
                  <td data-label="State">
                    <StateBadge state={delivery.state} />
                  </td>
                  <td data-label="Attempts">{delivery.attempts}</td>
                  <td data-label="Updated">{formatTime(delivery.updatedAt, true)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages of deliveries">
            <button
              type="button"
              className="button-secondary"
              disabled={cursors.length <= 1}
              onClick={() => setCursors((previous) => previous.slice(0, -1))}
            >
              ← Previous
            </button>
            <span>Page {cursors.length}</span>
            <button
              type="button"
              className="button-secondary"
              disabled={!page.data.nextCursor}
              onClick={() => setCursors((previous) => [...previous, page.data?.nextCursor])}
            >
              Next →
            </button>
          </nav>
        </>
      ) : (
        page.loading && <Loading what="deliveries" />
      )}
    </section>
  )
}

export function DeliveriesPage() {
  const api = useApi()
  const mayReplay = useCan('editor')
  const [round, setRound] = useState(0)
  const destinations = useLoad(`destinations:${round}`, () => api.listDestinations())
  const troubles = useLoad(`troubles:${round}`, async () => {
    const [dead, queued, sending] = await Promise.all([
      listAll(api.listDeliveries, { state: 'dead' }),
      listAll(api.listDeliveries, { state: 'queued' }),
      listAll(api.listDeliveries, { state: 'in_flight' }),
    ])
    return groupTroubles([...dead, ...queued, ...sending])
  })
  const [replay, setReplay] = useState<ReplayResult>()
  const [replayError, setReplayError] = useState<string>()
  const [busy, setBusy] = useState(false)
  const refresh = useCallback(() => setRound((n) => n + 1), [])

  const byId = new Map((destinations.data?.items ?? []).map((item) => [item.id, item]))
  const names = new Map((destinations.data?.items ?? []).map((item) => [item.id, item.name]))
  const unwell = (destinations.data?.items ?? []).filter((item) => healthOf(item) !== 'healthy')

  async function run(selector: { ids: string[] } | { filter: DeliveryFilter }) {
    setBusy(true)
    setReplay(undefined)
    setReplayError(undefined)
    try {
      setReplay(await api.replay(selector))
    } catch (error) {
      setReplayError(describeError(error))
    } finally {
      setBusy(false)
    }
  }

  const groups = troubles.data ?? []
  const leadNames = useLeadNames(
    api,
    groups.flatMap((group) => group.deliveries.map((delivery) => delivery.leadId)),
  )
  return (
    <>
      <PageHeader title="Deliveries">
        <button type="button" className="button-secondary" onClick={refresh}>
          Refresh
        </button>
      </PageHeader>

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

      {replayError && (
        <p className="notice notice-error" role="alert">
          {replayError}
        </p>
      )}
      {replay && <ReplayStatus result={replay} listDeliveries={api.listDeliveries} onSettled={refresh} />}

      <section aria-labelledby="attention-title">
        <h2 id="attention-title">Needs attention</h2>
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
          <>
            <p className="hint">
              {groups.length} {groups.length === 1 ? 'group' : 'groups'}: fix the cause (see the reason), then replay
              the dead deliveries. Destinations:{' '}
              {[...new Set(groups.map((group) => destinationName(byId, group.destinationId)))].join(', ')}.
            </p>
            <TroubleGroups
              groups={groups}
              destinations={byId}
              onReplay={(ids) => run({ ids })}
              busy={busy}
              leadNames={leadNames}
            />
          </>
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
            onReplay={(filter) => run({ filter })}
            busy={busy}
          />
        </section>
      )}

      <AllDeliveries key={round} names={names} />
    </>
  )
}
