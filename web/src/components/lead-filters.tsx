/**
 * The Leads page's filter form and search box. Filters stay in the page (never in the URL): an email is customer data.
 * Every filter is applied by the API.
 */

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
    onApply({ ...draft, q: value.q })
  }

  // The search box sits outside this form and is not counted as a filter here.
  const active = Object.entries(value).filter(
    ([key, chosen]) => key !== 'q' && chosen !== emptyFilters[key as keyof Filters],
  ).length

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
          <label htmlFor="filter-domain">Email domain</label>
          <input
            id="filter-domain"
            autoComplete="off"
            spellCheck={false}
            placeholder="contoso.com"
            value={draft.emailDomain}
            onChange={(event) => set('emailDomain', event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="filter-offer">Offer</label>
          <select id="filter-offer" value={draft.offer} onChange={(event) => set('offer', event.target.value)}>
            <option value="">Any offer</option>
            {offers.map((offer) => (
              <option key={offer.id} value={offer.id}>
                {offer.title?.trim() ? offer.title : offer.id}
              </option>
            ))}
            {draft.offer && !offers.some((offer) => offer.id === draft.offer) && (
              <option value={draft.offer}>{draft.offer}</option>
            )}
          </select>
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
          <select id="filter-source" value={draft.source} onChange={(event) => set('source', event.target.value)}>
            <option value="">Any source</option>
            {[...knownSources, ...(draft.source && !knownSources.includes(draft.source) ? [draft.source] : [])].map(
              (source) => (
                <option key={source} value={source}>
                  {source}
                </option>
              ),
            )}
          </select>
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
              const cleared = { ...emptyFilters, q: value.q }
              setDraft(cleared)
              onApply(cleared)
            }}
          >
            Clear
          </button>
        </div>
      </form>
    </details>
  )
}

export interface LeadSearchProps {
  readonly value: string
  onSearch(q: string): void
}

/** Search by the start of a name, company, email or email domain; applied on Enter or Search. */
export function LeadSearch({ value, onSearch }: LeadSearchProps) {
  const [text, setText] = useState(value)
  return (
    <form
      aria-label="Search leads"
      className="lead-search"
      onSubmit={(event) => {
        event.preventDefault()
        onSearch(text.trim())
      }}
    >
      <label htmlFor="lead-search">Search</label>
      <input
        id="lead-search"
        type="search"
        autoComplete="off"
        spellCheck={false}
        placeholder="Name, company, email or domain"
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
      <button type="submit" className="button-secondary">
        Search
      </button>
    </form>
  )
}
