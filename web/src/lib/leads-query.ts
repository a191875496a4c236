/**
 * The Leads page's filters, search and order, and the API query they become. Every filter is applied by the API
 * (GET /v1/leads), which also sorts, counts and pages; the page never filters what it was sent.
 */

import type { LeadQuery } from '../api/client.ts'
import type { Stage } from '../api/types.ts'
import { endOfDay, startOfDay } from './format.ts'

export interface LeadFilters {
  /** Free text: the start of a name, last name, company, email or email domain. */
  readonly q: string
  /** Customer email (the API matches it exactly, case-insensitively). */
  readonly email: string
  /** Email domain, e.g. `contoso.com` (exactly, case-insensitively). */
  readonly emailDomain: string
  /** An offer id or the name leads carry. */
  readonly offer: string
  readonly stage: Stage | ''
  readonly source: string
  /** Local dates (`2026-11-01`) bounding the last event, both inclusive. */
  readonly from: string
  readonly to: string
  readonly test: 'exclude' | 'only' | 'include'
  readonly doNotContact: 'any' | 'only' | 'exclude'
  readonly routed: 'any' | 'yes' | 'no'
}

export const emptyFilters: LeadFilters = {
  q: '',
  email: '',
  emailDomain: '',
  offer: '',
  stage: '',
  source: '',
  from: '',
  to: '',
  test: 'exclude',
  doNotContact: 'any',
  routed: 'any',
}

export type LeadSortField = 'lastActivity' | 'createdAt' | 'name' | 'company'

export interface LeadOrder {
  readonly sort: LeadSortField
  readonly order: 'asc' | 'desc'
}

export const defaultOrder: LeadOrder = { sort: 'lastActivity', order: 'desc' }

/** Times newest first, names A to Z: what a first click on a column asks for. */
export function naturalOrder(sort: LeadSortField): LeadOrder {
  return { sort, order: sort === 'lastActivity' || sort === 'createdAt' ? 'desc' : 'asc' }
}

/** A click on a column header: the other direction if it is the current order, else its natural order. */
export function toggledOrder(current: LeadOrder, sort: LeadSortField): LeadOrder {
  if (current.sort !== sort) return naturalOrder(sort)
  return { sort, order: current.order === 'asc' ? 'desc' : 'asc' }
}

/** The filter part of the query, shared by the list and the CSV export. */
export function buildFilterQuery(filters: LeadFilters): LeadQuery {
  const query: Record<string, string | boolean> = {}
  const q = filters.q.trim()
  if (q) query.q = q
  const offer = filters.offer.trim()
  if (offer) query.offer = offer
  if (filters.stage) query.stage = filters.stage
  const source = filters.source.trim()
  if (source) query.source = source
  const email = filters.email.trim()
  if (email) query.email = email
  const emailDomain = filters.emailDomain.trim().replace(/^@/, '')
  if (emailDomain) query.emailDomain = emailDomain
  const since = startOfDay(filters.from)
  if (since) query.since = since
  const until = endOfDay(filters.to)
  if (until) query.until = until
  if (filters.test === 'exclude') query.test = false
  if (filters.test === 'only') query.test = true
  if (filters.doNotContact === 'only') query.doNotContact = true
  if (filters.doNotContact === 'exclude') query.doNotContact = false
  if (filters.routed === 'yes') query.routed = true
  if (filters.routed === 'no') query.routed = false
  return query as LeadQuery
}

/** The `GET /v1/leads` query for these filters, order and page; the default order is left to the API. */
export function buildLeadQuery(
  filters: LeadFilters,
  page: { limit?: number; cursor?: string | undefined; order?: LeadOrder } = {},
): LeadQuery {
  const query: Record<string, string | number | boolean> = { ...buildFilterQuery(filters) }
  const order = page.order ?? defaultOrder
  if (order.sort !== defaultOrder.sort || order.order !== defaultOrder.order) {
    query.sort = order.sort
    query.order = order.order
  }
  if (page.limit !== undefined) query.limit = page.limit
  if (page.cursor) query.cursor = page.cursor
  return query as LeadQuery
}

export function isFiltered(filters: LeadFilters): boolean {
  return JSON.stringify(filters) !== JSON.stringify(emptyFilters)
}

/** "1 lead", "1,234 leads", or "More than 10,000 leads" when the API stopped counting. */
export function describeTotal(total: number, isEstimate: boolean): string {
  const count = total.toLocaleString('en-US')
  if (isEstimate) return `More than ${count} leads`
  return `${count} ${total === 1 ? 'lead' : 'leads'}`
}
