/** Leads: searched, filtered, sorted, counted and paged by the API; the current filter exported as CSV. */

import { useState } from 'react'
import { LeadFilters, LeadSearch } from '../components/lead-filters.tsx'
import {
  describeError,
  EmptyState,
  ErrorNotice,
  Flag,
  Loading,
  PageHeader,
  Pager,
  StageBadge,
} from '../components/ui.tsx'
import { useApi } from '../lib/api-context.ts'
import { customerName, formatTime } from '../lib/format.ts'
import {
  buildFilterQuery,
  buildLeadQuery,
  defaultOrder,
  describeTotal,
  emptyFilters,
  type LeadFilters as Filters,
  isFiltered,
  type LeadOrder,
  type LeadSortField,
  toggledOrder,
} from '../lib/leads-query.ts'
import { Link, pathTo } from '../lib/router.tsx'
import { useLoad } from '../lib/use-load.ts'

const pageSize = 25

interface Remembered {
  filters: Filters
  order: LeadOrder
  cursors: (string | undefined)[]
}

const fresh = (): Remembered => ({ filters: emptyFilters, order: defaultOrder, cursors: [undefined] })

// Filters, order and position survive a visit to a lead page and back, in memory only.
let remembered: Remembered = fresh()

/** Drops the remembered filters, which may hold an email (on sign-out and tenant switch). */
export function forgetLeadFilters(): void {
  remembered = fresh()
}

const orderNames: Record<LeadSortField, string> = {
  lastActivity: 'most recent activity',
  createdAt: 'first seen',
  name: 'customer name',
  company: 'company',
}

function captionOf(order: LeadOrder): string {
  const time = order.sort === 'lastActivity' || order.sort === 'createdAt'
  const direction = time
    ? order.order === 'desc'
      ? 'newest first'
      : 'oldest first'
    : order.order === 'asc'
      ? 'A to Z'
      : 'Z to A'
  return `Leads by ${orderNames[order.sort]}, ${direction}`
}

/** A column header that sorts the list; `aria-sort` tells assistive technology the current order. */
function SortHeader({
  field,
  label,
  order,
  onSort,
}: {
  field: LeadSortField
  label: string
  order: LeadOrder
  onSort(order: LeadOrder): void
}) {
  const active = order.sort === field
  return (
    <th scope="col" aria-sort={active ? (order.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => onSort(toggledOrder(order, field))}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (order.order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}
        </span>
      </button>
    </th>
  )
}

/** Saves the blob under `name` through a temporary link: the API key travels in a header, never in a URL. */
function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function LeadsPage() {
  const api = useApi()
  const [filters, setFilters] = useState<Filters>(remembered.filters)
  const [order, setOrder] = useState<LeadOrder>(remembered.order)
  // The cursors of the pages seen so far: the last one is the current page.
  const [cursors, setCursors] = useState<(string | undefined)[]>(remembered.cursors)
  const [exporting, setExporting] = useState(false)
  const [exportError, setExportError] = useState<string>()
  remembered = { filters, order, cursors }
  const cursor = cursors[cursors.length - 1]
  const offers = useLoad('offers', () => api.listOffers())
  const leads = useLoad(JSON.stringify([filters, order, cursor]), () =>
    api.listLeads(buildLeadQuery(filters, { limit: pageSize, cursor, order })),
  )
  const filtered = isFiltered(filters)

  function applyFilters(next: Filters) {
    setFilters(next)
    setCursors([undefined])
  }

  function sortBy(next: LeadOrder) {
    setOrder(next)
    setCursors([undefined])
  }

  async function exportCsv() {
    setExporting(true)
    setExportError(undefined)
    try {
      download(await api.exportLeadsCsv(buildFilterQuery(filters)), 'leads.csv')
    } catch (error) {
      setExportError(describeError(error))
    } finally {
      setExporting(false)
    }
  }

  return (
    <>
      <PageHeader title="Leads">
        <button
          type="button"
          className="button-secondary"
          onClick={exportCsv}
          disabled={exporting}
          aria-describedby="export-hint"
        >
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </PageHeader>
      <p id="export-hint" className="visually-hidden">
        Downloads every lead matching the current search and filters, one row per event.
      </p>
      {exportError && (
        <p className="notice notice-error" role="alert">
          Export failed: {exportError}
        </p>
      )}
      <LeadSearch value={filters.q} onSearch={(q) => applyFilters({ ...filters, q })} />
      <LeadFilters value={filters} offers={offers.data?.items ?? []} onApply={applyFilters} />
      <ErrorNotice error={leads.error} onRetry={leads.reload} />
      {leads.data && (
        <p className="lead-total" aria-live="polite">
          {describeTotal(leads.data.total, leads.data.totalIsEstimate)}
          {filtered ? ' match' : ''}
        </p>
      )}
      {leads.loading && !leads.data ? (
        <Loading what="leads" />
      ) : leads.data && leads.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No leads match these filters">
            <p>
              Try a wider date range, another stage, a shorter search, or <strong>Clear</strong> the filters. Test leads
              are hidden unless you choose to show them.
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
            <caption className="visually-hidden">{captionOf(order)}</caption>
            <thead>
              <tr>
                <SortHeader field="name" label="Customer" order={order} onSort={sortBy} />
                <th scope="col">Offer</th>
                <th scope="col">Stage</th>
                <th scope="col">Source</th>
                <th scope="col">Events</th>
                <SortHeader field="createdAt" label="First seen" order={order} onSort={sortBy} />
                <SortHeader field="lastActivity" label="Last event" order={order} onSort={sortBy} />
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
                    {lead.offerTitle?.trim() ? lead.offerTitle : (lead.offerName ?? '—')}
                    {!lead.routed && <div className="sub">not configured</div>}
                  </td>
                  <td data-label="Stage">
                    <StageBadge stage={lead.stage} />
                  </td>
                  <td data-label="Source">{lead.source ?? '—'}</td>
                  <td data-label="Events">{lead.eventCount}</td>
                  <td data-label="First seen">{formatTime(lead.createdAt)}</td>
                  <td data-label="Last event">{formatTime(lead.lastEventAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages of leads"
            cursors={cursors}
            setCursors={setCursors}
            nextCursor={leads.data.nextCursor}
            pageCount={leads.data.totalIsEstimate ? undefined : Math.max(1, Math.ceil(leads.data.total / pageSize))}
          />
        </>
      ) : null}
    </>
  )
}
