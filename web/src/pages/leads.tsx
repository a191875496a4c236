/** Leads: filterable, cursor-paged list, newest activity first. */

import { useState } from 'react'
import { LeadFilters } from '../components/lead-filters.tsx'
import { EmptyState, ErrorNotice, Flag, Loading, PageHeader, StageBadge } from '../components/ui.tsx'
import { useApi } from '../lib/api-context.ts'
import { customerName, formatTime } from '../lib/format.ts'
import {
  emptyFilters,
  type LeadFilters as Filters,
  fetchLeadPage,
  hasLocalFilters,
  isFiltered,
} from '../lib/leads-query.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

const pageSize = 25

// Filters and position survive a visit to a lead page and back, in memory only.
let remembered: { filters: Filters; cursors: (string | undefined)[] } = { filters: emptyFilters, cursors: [undefined] }

/** Drops the remembered filters, which may hold an email (on sign-out and tenant switch). */
export function forgetLeadFilters(): void {
  remembered = { filters: emptyFilters, cursors: [undefined] }
}

export function LeadsPage() {
  const api = useApi()
  const [filters, setFilters] = useState<Filters>(remembered.filters)
  // The cursors of the pages seen so far: the last one is the current page.
  const [cursors, setCursors] = useState<(string | undefined)[]>(remembered.cursors)
  remembered = { filters, cursors }
  const cursor = cursors[cursors.length - 1]
  const offers = useLoad('offers', () => api.listOffers())
  const leads = useLoad(JSON.stringify([filters, cursor]), () =>
    fetchLeadPage(api.listLeads, filters, { limit: pageSize, cursor }),
  )
  const filtered = isFiltered(filters)

  return (
    <>
      <PageHeader title="Leads" />
      <LeadFilters
        value={filters}
        offers={offers.data?.items ?? []}
        onApply={(next) => {
          setFilters(next)
          setCursors([undefined])
        }}
      />
      {hasLocalFilters(filters) && (
        <p className="hint">Source and do-not-contact are matched on each page of results as it loads.</p>
      )}
      <ErrorNotice error={leads.error} onRetry={leads.reload} />
      {leads.loading && !leads.data ? (
        <Loading what="leads" />
      ) : leads.data && leads.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No leads match these filters">
            <p>
              Try a wider date range, another stage, or <strong>Clear</strong> the filters. Test leads are hidden unless
              you choose to show them.
            </p>
          </EmptyState>
        ) : (
          <EmptyState title="No leads yet">
            <p>Leads appear here as soon as Microsoft sends them. To start receiving them:</p>
            <ol>
              <li>
                Paste your <strong>ingest URL</strong> (printed when your tenant was created) into Partner Center → your
                offer → <em>Customer leads</em> → <em>HTTPS endpoint</em>.
              </li>
              <li>
                Add a <Link to="/destinations/new">destination</Link> for your CRM or webhook.
              </li>
              <li>
                Create your <Link to="/offers/new">offer</Link>, route it to the destination and press{' '}
                <strong>Publish</strong> to send a test lead.
              </li>
            </ol>
          </EmptyState>
        )
      ) : leads.data ? (
        <>
          <table className="table leads-table" aria-busy={leads.loading}>
            <caption className="visually-hidden">Leads, most recent activity first</caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Offer</th>
                <th scope="col">Stage</th>
                <th scope="col">Source</th>
                <th scope="col">Events</th>
                <th scope="col">Last event</th>
              </tr>
            </thead>
            <tbody>
              {leads.data.items.map((lead) => (
                <tr key={lead.id}>
                  <td data-label="Customer">
                    <Link to={pathTo('leads', lead.id)} className="row-link">
                      {customerName(lead.customer)}
                    </Link>
                    <div className="sub">
                      {[lead.customer.company, lead.customer.email].filter(Boolean).join(' · ')}
                    </div>
                    {(lead.isTest || lead.doNotContact) && (
                      <div className="flags">
                        {lead.isTest && <Flag tone="test">Test</Flag>}
                        {lead.doNotContact && <Flag tone="dnc">Do not contact</Flag>}
                      </div>
                    )}
                  </td>
                  <td data-label="Offer">
                    {lead.offerName ?? '—'}
                    {!lead.routed && <div className="sub">not configured</div>}
                  </td>
                  <td data-label="Stage">
                    <StageBadge stage={lead.stage} />
                  </td>
                  <td data-label="Source">{lead.source ?? '—'}</td>
                  <td data-label="Events">{lead.eventCount}</td>
                  <td data-label="Last event">{formatTime(lead.lastEventAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages of leads">
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
              disabled={!leads.data.nextCursor}
              onClick={() => setCursors((previous) => [...previous, leads.data?.nextCursor])}
            >
              Next →
            </button>
          </nav>
        </>
      ) : null}
    </>
  )
}
