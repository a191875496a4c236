/** The Leads page's filter form. Filters stay in the page (never in the URL): an email is customer data. */

import { type FormEvent, useState } from 'react'
import { type Offer, stages } from '../api/types.ts'
import { stageLabel } from '../lib/format.ts'
import { emptyFilters, type LeadFilters as Filters } from '../lib/leads-query.ts'

export interface LeadFiltersProps {
  readonly value: Filters
  readonly offers: readonly Offer[]
  onApply(filters: Filters): void
}

/** Open on a laptop; folded on a phone, where the form would push the leads off the screen. */
function startOpen(): boolean {
  return typeof window.matchMedia !== 'function' || window.matchMedia('(min-width: 721px)').matches
}

const knownSources = ['AzureMarketplace', 'AppSource', 'AzurePortal', 'TestDrive']

export function LeadFilters({ value, offers, onApply }: LeadFiltersProps) {
  const [draft, setDraft] = useState<Filters>(value)
  const set = <K extends keyof Filters>(key: K, next: Filters[K]) =>
    setDraft((previous) => ({ ...previous, [key]: next }))

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    onApply(draft)
  }

  const active = Object.entries(value).filter(([key, chosen]) => chosen !== emptyFilters[key as keyof Filters]).length

  return (
    <details className="filters-panel" open={startOpen()}>
      <summary>Filters{active > 0 ? ` (${active} applied)` : ''}</summary>
      <form className="filters" onSubmit={submit} aria-label="Filter leads">
        <div className="field">
          <label htmlFor="filter-email">Customer email</label>
          <input
            id="filter-email"
            type="search"
            autoComplete="off"
            spellCheck={false}
            value={draft.email}
            onChange={(event) => set('email', event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="filter-offer">Offer</label>
          <input
            id="filter-offer"
            list="filter-offer-options"
            autoComplete="off"
            spellCheck={false}
            placeholder="Any offer"
            value={draft.offer}
            onChange={(event) => set('offer', event.target.value)}
          />
          <datalist id="filter-offer-options">
            {offers.map((offer) => (
              <option key={offer.id} value={offer.id}>
                {offer.title ?? offer.id}
              </option>
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="filter-stage">Stage</label>
          <select
            id="filter-stage"
            value={draft.stage}
            onChange={(event) => set('stage', event.target.value as Filters['stage'])}
          >
            <option value="">Any stage</option>
            {stages.map((stage) => (
              <option key={stage} value={stage}>
                {stageLabel(stage)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-source">Source</label>
          <input
            id="filter-source"
            list="filter-source-options"
            autoComplete="off"
            spellCheck={false}
            placeholder="Any source"
            value={draft.source}
            onChange={(event) => set('source', event.target.value)}
          />
          <datalist id="filter-source-options">
            {knownSources.map((source) => (
              <option key={source} value={source} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="filter-from">Last event from</label>
          <input
            id="filter-from"
            type="date"
            value={draft.from}
            onChange={(event) => set('from', event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="filter-to">Last event to</label>
          <input id="filter-to" type="date" value={draft.to} onChange={(event) => set('to', event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="filter-test">Test leads</label>
          <select
            id="filter-test"
            value={draft.test}
            onChange={(event) => set('test', event.target.value as Filters['test'])}
          >
            <option value="exclude">Hide test leads</option>
            <option value="include">Show test leads too</option>
            <option value="only">Only test leads</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-dnc">Do not contact</label>
          <select
            id="filter-dnc"
            value={draft.doNotContact}
            onChange={(event) => set('doNotContact', event.target.value as Filters['doNotContact'])}
          >
            <option value="any">Any</option>
            <option value="exclude">Hide do-not-contact</option>
            <option value="only">Only do-not-contact</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-routed">Routing</label>
          <select
            id="filter-routed"
            value={draft.routed}
            onChange={(event) => set('routed', event.target.value as Filters['routed'])}
          >
            <option value="any">Any</option>
            <option value="yes">Offer configured</option>
            <option value="no">Offer not configured</option>
          </select>
        </div>
        <div className="form-actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              setDraft(emptyFilters)
              onApply(emptyFilters)
            }}
          >
            Clear
          </button>
        </div>
      </form>
    </details>
  )
}
