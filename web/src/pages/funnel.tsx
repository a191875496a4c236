/** Funnel: per offer and period, how customers move from trial to initial interest, active, customer and churned. */

import { type FormEvent, useState } from 'react'
import { FunnelChart } from '../components/funnel-chart.tsx'
import { EmptyState, ErrorNotice, Loading, PageHeader } from '../components/ui.tsx'
import { useApi } from '../lib/api-context.ts'
import { daysAgo, endOfDay, startOfDay } from '../lib/format.ts'
import { Link } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

interface Period {
  readonly offer: string
  readonly from: string
  readonly to: string
}

const presets = [
  { label: 'Last 7 days', days: 7 },
  { label: 'Last 30 days', days: 30 },
  { label: 'Last 90 days', days: 90 },
] as const

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone

export function FunnelPage() {
  const api = useApi()
  const [draft, setDraft] = useState<Period>({ offer: '', from: daysAgo(29), to: daysAgo(0) })
  const [period, setPeriod] = useState<Period>(draft)
  const offers = useLoad('offers', () => api.listOffers())
  const report = useLoad(JSON.stringify(period), () => {
    const since = startOfDay(period.from)
    const until = endOfDay(period.to)
    return api.funnel({
      ...(period.offer && { offer: period.offer }),
      ...(since && { since }),
      ...(until && { until }),
    })
  })

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    setPeriod(draft)
  }

  function preset(days: number) {
    const next = { ...draft, from: days === 0 ? '' : daysAgo(days - 1), to: days === 0 ? '' : daysAgo(0) }
    setDraft(next)
    setPeriod(next)
  }

  return (
    <>
      <PageHeader title="Funnel" />
      <form className="filters" onSubmit={submit} aria-label="Funnel period">
        <div className="field">
          <label htmlFor="funnel-offer">Offer</label>
          <select
            id="funnel-offer"
            value={draft.offer}
            onChange={(event) => setDraft({ ...draft, offer: event.target.value })}
          >
            <option value="">All offers</option>
            {offers.data?.items.map((offer) => (
              <option key={offer.id} value={offer.id}>
                {offer.title ? `${offer.title} (${offer.id})` : offer.id}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="funnel-from">From</label>
          <input
            id="funnel-from"
            type="date"
            value={draft.from}
            onChange={(event) => setDraft({ ...draft, from: event.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="funnel-to">To</label>
          <input
            id="funnel-to"
            type="date"
            value={draft.to}
            onChange={(event) => setDraft({ ...draft, to: event.target.value })}
          />
        </div>
        <div className="form-actions">
          <button type="submit">Show</button>
        </div>
        <p className="hint presets-zone">Days run midnight to midnight in your time zone ({timeZone}).</p>
        <fieldset className="presets">
          <legend className="visually-hidden">Quick periods</legend>
          {presets.map((item) => (
            <button type="button" className="button-secondary" key={item.days} onClick={() => preset(item.days)}>
              {item.label}
            </button>
          ))}
          <button type="button" className="button-secondary" onClick={() => preset(0)}>
            All time
          </button>
        </fieldset>
      </form>
      <ErrorNotice error={report.error} onRetry={report.reload} />
      {report.loading && !report.data ? (
        <Loading what="the funnel" />
      ) : report.data && report.data.leads === 0 ? (
        <>
          <EmptyState title="No customers in this period">
            <p>
              Nobody reached the funnel {period.offer ? 'for this offer ' : ''}in this period (test leads are never
              counted). Try <strong>All time</strong> or another offer, or check the <Link to="/leads">Leads</Link> page
              to see what has arrived.
            </p>
          </EmptyState>
          <FunnelChart report={report.data} />
        </>
      ) : report.data ? (
        <div aria-busy={report.loading}>
          <FunnelChart report={report.data} />
        </div>
      ) : null}
    </>
  )
}
