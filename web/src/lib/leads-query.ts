/**
 * The Leads page's filters and the API query they become. The API filters by offer, stage, email, period, test and
 * routing; source and do-not-contact are checked here, on the leads each page brings back.
 */

import type { LeadQuery } from '../api/client.ts'
import type { Lead, Stage } from '../api/types.ts'
import { endOfDay, startOfDay } from './format.ts'

export interface LeadFilters {
  /** Customer email (the API matches it exactly, case-insensitively). */
  readonly email: string
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
  email: '',
  offer: '',
  stage: '',
  source: '',
  from: '',
  to: '',
  test: 'exclude',
  doNotContact: 'any',
  routed: 'any',
}

/** The `GET /v1/leads` query for these filters and page. */
export function buildLeadQuery(filters: LeadFilters, page: { limit?: number; cursor?: string } = {}): LeadQuery {
  const query: Record<string, string | number | boolean> = {}
  const offer = filters.offer.trim()
  if (offer) query.offer = offer
  if (filters.stage) query.stage = filters.stage
  const email = filters.email.trim()
  if (email) query.email = email
  const since = startOfDay(filters.from)
  if (since) query.since = since
  const until = endOfDay(filters.to)
  if (until) query.until = until
  if (filters.test === 'exclude') query.test = false
  if (filters.test === 'only') query.test = true
  if (filters.routed === 'yes') query.routed = true
  if (filters.routed === 'no') query.routed = false
  if (page.limit !== undefined) query.limit = page.limit
  if (page.cursor) query.cursor = page.cursor
  return query as LeadQuery
}

/** True when a filter is applied on the page rather than by the API. */
export function hasLocalFilters(filters: LeadFilters): boolean {
  return filters.source.trim() !== '' || filters.doNotContact !== 'any'
}

/** The filters the API cannot apply. */
export function matchesLocalFilters(lead: Lead, filters: LeadFilters): boolean {
  const source = filters.source.trim().toLowerCase()
  if (source && (lead.source ?? '').toLowerCase() !== source) return false
  if (filters.doNotContact === 'only' && !lead.doNotContact) return false
  if (filters.doNotContact === 'exclude' && lead.doNotContact) return false
  return true
}

export function isFiltered(filters: LeadFilters): boolean {
  return JSON.stringify(filters) !== JSON.stringify(emptyFilters)
}

export interface LeadPage {
  readonly items: Lead[]
  readonly nextCursor?: string
}

/**
 * One page of leads matching every filter. With page-side filters it reads on through the API's pages until it has
 * `limit` matches or has read `maxScans` pages; the cursor it returns continues where it stopped.
 */
export async function fetchLeadPage(
  listLeads: (query: LeadQuery) => Promise<LeadPage>,
  filters: LeadFilters,
  page: { limit: number; cursor?: string | undefined },
  maxScans = 10,
): Promise<LeadPage> {
  if (!hasLocalFilters(filters)) {
    return listLeads(buildLeadQuery(filters, { limit: page.limit, ...(page.cursor && { cursor: page.cursor }) }))
  }
  const items: Lead[] = []
  let cursor = page.cursor
  for (let scan = 0; scan < maxScans; scan++) {
    const answer = await listLeads(buildLeadQuery(filters, { limit: 100, ...(cursor && { cursor }) }))
    items.push(...answer.items.filter((lead) => matchesLocalFilters(lead, filters)))
    cursor = answer.nextCursor
    if (!cursor || items.length >= page.limit) break
  }
  return { items, ...(cursor && { nextCursor: cursor }) }
}
