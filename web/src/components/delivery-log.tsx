/**
 * A destination's delivery log: its recent attempts newest first, paged, with the success rate over 24 hours and
 * 7 days; for each attempt the request it sent and the response it got, as recorded.
 */

import { useState } from 'react'
import type { ApiClient } from '../api/client.ts'
import type { AttemptRate, DestinationAttemptLog } from '../api/types.ts'
import { customerName, formatPercent, formatTime, plural } from '../lib/format.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'
import { AttemptExchange } from './attempt-exchange.tsx'
import { describeError } from './ui.tsx'

type LoggedAttempt = DestinationAttemptLog['items'][number]

const pageSize = 25

function Rate({ label, rate }: { label: string; rate: AttemptRate }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {rate.attempts === 0 ? (
          'No attempts'
        ) : (
          <>
            <strong>{formatPercent(rate.rate)}</strong> delivered ({rate.delivered} of{' '}
            {plural(rate.attempts, 'attempt')})
          </>
        )}
      </dd>
    </div>
  )
}

function Payload({ api, destinationId, leadId }: { api: ApiClient; destinationId: string; leadId: string }) {
  const preview = useLoad(`payload:${destinationId}:${leadId}`, () => api.previewPayload(destinationId, leadId))
  if (preview.error) return <p className="field-error">{describeError(preview.error)}</p>
  if (!preview.data) return <p className="loading">Loading the payload…</p>
  return <pre className="payload">{JSON.stringify(preview.data.payload, null, 2)}</pre>
}

export function DeliveryLog({ api, destinationId }: { api: ApiClient; destinationId: string }) {
  const [cursors, setCursors] = useState<string[]>([])
  const [open, setOpen] = useState<string>()
  const cursor = cursors[cursors.length - 1]
  const log = useLoad(`attempts:${destinationId}:${cursor ?? ''}`, () =>
    api.destinationAttempts(destinationId, { limit: pageSize, ...(cursor && { cursor }) }),
  )
  const items = log.data?.items ?? []

  function responseOf(attempt: LoggedAttempt): string {
    const parts = [attempt.status === null ? 'no HTTP answer' : `HTTP ${attempt.status}`]
    if (attempt.vendorCode) parts.push(`code ${attempt.vendorCode}`)
    if (attempt.error) parts.push(attempt.error)
    return parts.join(' · ')
  }

  return (
    <section className="card delivery-log" aria-labelledby="delivery-log-title">
      <h2 id="delivery-log-title">Delivery log</h2>
      {log.data && (
        <dl className="facts">
          <Rate label="Last 24 hours" rate={log.data.successRate.last24h} />
          <Rate label="Last 7 days" rate={log.data.successRate.last7d} />
        </dl>
      )}
      {log.error ? (
        <div className="notice notice-error" role="alert">
          <p>{describeError(log.error)}</p>
          <button type="button" className="button-secondary" onClick={log.reload}>
            Try again
          </button>
        </div>
      ) : null}
      {!log.data && !log.error ? (
        <p className="loading">Loading the delivery log…</p>
      ) : items.length === 0 && cursors.length === 0 ? (
        <p className="empty-inline">No attempts yet: nothing has been sent to this destination.</p>
      ) : (
        <div aria-busy={log.loading}>
          <table className="table compact attempts">
            <caption className="visually-hidden">
              Attempts, newest first{cursors.length > 0 ? ` (page ${cursors.length + 1})` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Lead</th>
                <th scope="col">Attempt</th>
                <th scope="col">Outcome</th>
                <th scope="col">Response</th>
                <th scope="col">Sent and received</th>
              </tr>
            </thead>
            <tbody>
              {items.map((attempt) => (
                <tr key={attempt.id}>
                  <td data-label="Started" className="nowrap">
                    {formatTime(attempt.startedAt, true)}
                  </td>
                  <td data-label="Lead">
                    <Link to={pathTo('leads', attempt.leadId)}>{customerName(attempt.customer)}</Link>
                  </td>
                  <td data-label="Attempt">
                    #{attempt.number} {attempt.kind} · {attempt.durationMs} ms
                  </td>
                  <td data-label="Outcome">
                    <span className={`outcome outcome-${attempt.outcome === 'delivered' ? 'ok' : 'failed'}`}>
                      {attempt.outcome}
                    </span>
                  </td>
                  <td data-label="Response" className="response">
                    {responseOf(attempt)}
                  </td>
                  <td data-label="Sent and received">
                    {attempt.request ? (
                      <AttemptExchange attempt={attempt} />
                    ) : (
                      <>
                        <button
                          type="button"
                          className="button-secondary"
                          aria-expanded={open === attempt.id}
                          aria-controls={`payload-${attempt.id}`}
                          onClick={() => setOpen(open === attempt.id ? undefined : attempt.id)}
                        >
                          {open === attempt.id ? 'Hide the payload' : 'Show the payload'}
                          <span className="visually-hidden"> of attempt {attempt.number}</span>
                        </button>
                        <div id={`payload-${attempt.id}`}>
                          {open === attempt.id && (
                            <Payload api={api} destinationId={destinationId} leadId={attempt.leadId} />
                          )}
                        </div>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint">
            Each attempt keeps the request it sent and the answer it got, secrets redacted and each body cut at 8 KiB.
            For attempts made before they were kept (or of an erased customer), the payload shown is the one this lead
            makes for the destination now.
          </p>
          <div className="pager">
            <button
              type="button"
              className="button-secondary"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              Newer attempts
            </button>
            <button
              type="button"
              className="button-secondary"
              disabled={!log.data?.nextCursor}
              onClick={() => log.data?.nextCursor && setCursors([...cursors, log.data.nextCursor])}
            >
              Older attempts
            </button>
          </div>
        </div>
      )}
    </section>
  )
}
