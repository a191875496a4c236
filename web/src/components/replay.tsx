/** Failing and dead deliveries by destination and reason, with replay of one, a selection, or a filter. */

import { type FormEvent, type ReactNode, useEffect, useState } from 'react'
import type { DeliveryFilter, Destination, ReplayResult } from '../api/types.ts'
import { type DeliveryGroup, type ListDeliveries, type ReplayProgress, replayProgress } from '../lib/deliveries.ts'
import { endOfDay, formatTime, plural, startOfDay } from '../lib/format.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { describeError, HealthBadge } from './ui.tsx'

export interface TroubleGroupsProps {
  readonly groups: readonly DeliveryGroup[]
  readonly destinations: ReadonlyMap<string, Destination>
  /** Replays these delivery ids; resolves when the API has answered. */
  onReplay(ids: string[]): Promise<void>
  readonly busy?: boolean
  /** Customer names by lead id, where known. */
  readonly leadNames?: ReadonlyMap<string, string>
}

function destinationName(destinations: ReadonlyMap<string, Destination>, id: string): string {
  return destinations.get(id)?.name ?? `Deleted destination (${id})`
}

/** One group of failing or dead deliveries as a card: how many to which destination, and why; its controls inside. */
export function TroubleGroupCard({
  index,
  trouble,
  destinationId,
  destinations,
  count,
  reason,
  children,
}: {
  /** Position on the page, for the ids that label the card. */
  readonly index: number
  readonly trouble: 'dead' | 'failing'
  readonly destinationId: string
  readonly destinations: ReadonlyMap<string, Destination>
  readonly count: number
  readonly reason: string
  readonly children: ReactNode
}) {
  const headingId = `group-${index}`
  const destination = destinations.get(destinationId)
  return (
    // The reason names the group too: one destination can fail in several ways with as many deliveries each.
    <section className={`card group-card group-${trouble}`} aria-labelledby={`${headingId} ${headingId}-reason`}>
      <div className="group-head">
        <h3 id={headingId}>
          <span className={`badge delivery-${trouble === 'dead' ? 'dead' : 'queued'}`}>
            {trouble === 'dead' ? 'Dead' : 'Failing'}
          </span>{' '}
          {destinationName(destinations, destinationId)}{' '}
          <span className="count">· {plural(count, 'delivery', 'deliveries')}</span>
        </h3>
        {destination && <HealthBadge destination={destination} />}
      </div>
      <p className="reason" id={`${headingId}-reason`}>
        {reason}
      </p>
      {children}
    </section>
  )
}

export function TroubleGroups({
  groups,
  destinations,
  onReplay,
  busy = false,
  leadNames = new Map(),
}: TroubleGroupsProps) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const replayable = new Set(groups.filter((g) => g.trouble === 'dead').flatMap((g) => g.deliveries.map((d) => d.id)))
  const chosen = [...selected].filter((id) => replayable.has(id))

  function toggle(ids: readonly string[], on: boolean) {
    setSelected((previous) => {
      const next = new Set(previous)
      for (const id of ids) {
        if (on) next.add(id)
        else next.delete(id)
      }
      return next
    })
  }

  async function replay(ids: string[]) {
    await onReplay(ids)
    toggle(ids, false)
  }

  return (
    <div className="trouble-groups">
      <div className="selection-bar" aria-live="polite">
        <span>{chosen.length === 0 ? 'Select dead deliveries to replay them.' : `${chosen.length} selected`}</span>
        <button type="button" disabled={chosen.length === 0 || busy} onClick={() => replay(chosen)}>
          Replay selected{chosen.length > 0 ? ` (${chosen.length})` : ''}
        </button>
        {chosen.length > 0 && (
          <button type="button" className="button-secondary" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
      </div>
      {groups.map((group, index) => {
        const ids = group.deliveries.map((delivery) => delivery.id)
        const allSelected = ids.every((id) => selected.has(id))
        return (
          <TroubleGroupCard
            key={group.key}
            index={index}
            trouble={group.trouble}
            destinationId={group.destinationId}
            destinations={destinations}
            count={group.deliveries.length}
            reason={group.reason}
          >
            {group.trouble === 'dead' ? (
              <div className="group-actions">
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={allSelected}
                    onChange={(event) => toggle(ids, event.target.checked)}
                  />
                  Select all {group.deliveries.length} in this group
                </label>
                <button type="button" className="button-secondary" disabled={busy} onClick={() => replay(ids)}>
                  Replay {group.deliveries.length === 1 ? 'it' : `all ${group.deliveries.length}`}
                </button>
              </div>
            ) : (
              <p className="hint">
                Leadrelay retries these on its schedule; they can be replayed once they are dead. Fix the endpoint and
                they go through on the next attempt.
              </p>
            )}
            <table className="table compact">
              <caption className="visually-hidden">
                {group.trouble === 'dead' ? 'Dead' : 'Failing'} deliveries to{' '}
                {destinationName(destinations, group.destinationId)}
              </caption>
              <thead>
                <tr>
                  {group.trouble === 'dead' && (
                    <th scope="col">
                      <span className="visually-hidden">Select</span>
                    </th>
                  )}
                  <th scope="col">Lead</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last status</th>
                  <th scope="col">{group.trouble === 'dead' ? 'Gave up' : 'Next attempt'}</th>
                </tr>
              </thead>
              <tbody>
                {group.deliveries.map((delivery) => (
                  <tr key={delivery.id}>
                    {group.trouble === 'dead' && (
                      <td className="select-cell">
                        <input
                          type="checkbox"
                          aria-label={`Select delivery ${delivery.id}`}
                          checked={selected.has(delivery.id)}
                          onChange={(event) => toggle([delivery.id], event.target.checked)}
                        />
                      </td>
                    )}
                    <td data-label="Lead">
                      <Link to={pathTo('leads', delivery.leadId)}>
                        {leadNames.get(delivery.leadId) ?? delivery.leadId}
                      </Link>
                    </td>
                    <td data-label="Attempts">{delivery.attempts}</td>
                    <td data-label="Last status">{delivery.lastStatus ?? '—'}</td>
                    <td data-label={group.trouble === 'dead' ? 'Gave up' : 'Next attempt'}>
                      {formatTime(group.trouble === 'dead' ? delivery.updatedAt : delivery.nextAttemptAt, true)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TroubleGroupCard>
        )
      })}
    </div>
  )
}

/** Follows replayed deliveries until none is queued or sending, then calls `onSettled`. */
export function ReplayStatus({
  result,
  listDeliveries,
  onSettled,
  intervalMs = 1000,
  timeoutMs = 120_000,
}: {
  result: ReplayResult
  listDeliveries: ListDeliveries
  onSettled?: () => void
  intervalMs?: number
  timeoutMs?: number
}) {
  const [progress, setProgress] = useState<ReplayProgress>()
  const [error, setError] = useState<unknown>()

  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = Date.now() + timeoutMs
    async function poll() {
      try {
        const next = await replayProgress(listDeliveries, result.ids)
        if (stopped) return
        setProgress(next)
        if (next.pending === 0 || Date.now() > deadline) {
          onSettled?.()
          return
        }
      } catch (failure) {
        if (stopped) return
        setError(failure)
      }
      timer = setTimeout(poll, intervalMs)
    }
    if (result.ids.length > 0) void poll()
    return () => {
      stopped = true
      if (timer) clearTimeout(timer)
    }
  }, [result, listDeliveries, onSettled, intervalMs, timeoutMs])

  const done = progress ? progress.total - progress.pending : 0
  return (
    <div className="notice notice-info replay-status" role="status" aria-live="polite">
      <p>
        <strong>
          Replayed {plural(result.replayed, 'delivery', 'deliveries')}
          {result.skipped > 0 ? `, skipped ${result.skipped} (still queued or sending)` : ''}.
        </strong>
      </p>
      {result.ids.length > 0 && (
        <>
          <progress max={result.ids.length} value={done} aria-label="Replay progress" />
          <p>
            {progress
              ? progress.pending > 0
                ? `${progress.delivered} delivered, ${progress.dead} failed again, ${progress.pending} on the way…`
                : `Done: ${progress.delivered} delivered, ${progress.dead} failed again.`
              : 'Sending…'}
          </p>
        </>
      )}
      {error ? <p className="field-error">Could not follow the replay: {describeError(error)}</p> : null}
    </div>
  )
}

/** Replays every dead (or delivered) delivery matching a filter: after fixing an endpoint, one click for all. */
export function ReplayByFilter({
  destinations,
  onReplay,
  busy = false,
}: {
  destinations: readonly Destination[]
  onReplay(filter: DeliveryFilter): Promise<void>
  busy?: boolean
}) {
  const [state, setState] = useState<'dead' | 'delivered'>('dead')
  const [destination, setDestination] = useState('')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const since = startOfDay(from)
    const until = endOfDay(to)
    await onReplay({
      state,
      ...(destination && { destination }),
      ...(since && { since }),
      ...(until && { until }),
    })
  }

  return (
    <form className="filters" onSubmit={submit} aria-label="Replay by filter">
      <div className="field">
        <label htmlFor="replay-state">Deliveries that are</label>
        <select id="replay-state" value={state} onChange={(event) => setState(event.target.value as typeof state)}>
          <option value="dead">Dead (gave up)</option>
          <option value="delivered">Delivered (send again)</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="replay-destination">Destination</label>
        <select id="replay-destination" value={destination} onChange={(event) => setDestination(event.target.value)}>
          <option value="">All destinations</option>
          {destinations.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="replay-from">Last changed from</label>
        <input id="replay-from" type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="replay-to">Last changed to</label>
        <input id="replay-to" type="date" value={to} onChange={(event) => setTo(event.target.value)} />
      </div>
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          Replay matching deliveries
        </button>
      </div>
    </form>
  )
}
