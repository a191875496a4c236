/**
 * The leads list at the API: every filter, the search, each sort and the total agree with a brute-force computation
 * over all leads fetched unfiltered, and paging through the cursor yields every matching lead exactly once, in
 * order. Runs on PostgreSQL too (LEADRELAY_TEST_STORE=postgres).
 */

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseCsvRecord } from '../../src/services/lead-files/csv-dialect.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

interface ApiLead {
  id: string
  offerId: string | null
  offerName: string | null
  offerTitle: string | null
  routed: boolean
  stage: string
  doNotContact: boolean
  isTest: boolean
  source: string | null
  customer: { firstName?: string; lastName?: string; email?: string; company?: string }
  lastEventAt: string
  createdAt: string
}

interface ListAnswer {
  items: ApiLead[]
  nextCursor?: string
  total: number
  totalIsEstimate: boolean
}

let t: TestServer
let all: ApiLead[]

const configuredOffers = { 'contoso.crm': 'Contoso CRM', 'contoso.hr': 'Contoso HR' } as const
const offerRefs = ['contoso.crm', 'contoso.hr', 'Contoso CRM', 'fabrikam.tool', 'Fabrikam  Analytics']
const sources = ['AzureMarketplace', 'AppSource', 'AzurePortal']
const actions = ['INS', 'PLT', 'DNC', 'StartTestDrive', 'Create']
const firstNames = ['Anna', 'Émile', 'Jörg', 'john', 'John', 'Zoë', 'Ana', undefined]
const lastNames = ['Müller', 'Smith', 'smith', "O'Brien", 'de la  Cruz', 'Åberg', undefined]
const companies = ['Contoso', 'Contoso Ltd', 'Fabrikam', 'Northwind Traders', 'Ümlaut GmbH', undefined]
const domains = ['contoso.com', 'fabrikam.de', 'Example.ORG', 'müller.example']

/** A small deterministic generator (mulberry32), so a failure names the same data on every run. */
function seeded(seed: number) {
  let state = seed >>> 0
  return {
    int(below: number) {
      state = (state + 0x6d2b79f5) >>> 0
      let mixed = Math.imul(state ^ (state >>> 15), state | 1)
      mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
      return (((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296) * below
    },
    pick<T>(values: readonly T[]): T {
      return values[Math.floor(this.int(values.length))]!
    },
  }
}

async function get<T>(url: string): Promise<{ status: number; body: T; raw: string }> {
  const response = await t.server.app.inject({ method: 'GET', url, headers: bearer(t.tenant) })
  return { status: response.statusCode, body: response.json() as T, raw: response.body }
}

beforeAll(async () => {
  t = await startTestServer()
  for (const [id, title] of Object.entries(configuredOffers))
    await t.store.putOffer(t.tenant.tenant.id, { id, title, aliases: [] }, t.clock.now())
  const random = seeded(14)
  const sent: { customer: Record<string, string>; offer: string }[] = []
  for (let i = 0; i < 320; i++) {
    // Every seventh send is a customer coming back (merged into their lead, with a later last activity).
    const again = i % 7 === 6 && sent.length > 0 ? random.pick(sent) : undefined
    const first = random.pick(firstNames)
    const last = random.pick(lastNames)
    const company = random.pick(companies)
    const customer =
      again?.customer ??
      Object.fromEntries(
        Object.entries({
          FirstName: first,
          LastName: last,
          Company: company,
          Email: `${(first ?? 'anon').toLowerCase()}.${i}@${random.pick(domains)}`,
        }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      )
    const offer = again?.offer ?? random.pick(offerRefs)
    sent.push({ customer, offer })
    // Whole hours: many leads share a last activity, so the id must break ties for the cursor.
    const occurredAt = new Date(Date.UTC(2026, 9, 1) + Math.floor(random.int(24 * 20)) * 3_600_000).toISOString()
    const response = await t.server.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
      payload: JSON.stringify({
        LeadSource: `${random.pick(sources)}-${random.pick(actions)}|${offer}`,
        CreatedTime: occurredAt,
        CustomerInfo: customer,
        ...(random.int(9) < 1 && { Description: 'MSFT_TEST_1234 validation lead' }),
      }),
    })
    expect(response.statusCode).toBe(202)
    // Often the same creation time, so creation order needs the id to break ties too.
    if (random.int(3) < 1) t.clock.advance(1000)
  }
  const everything = await get<ListAnswer>('/v1/leads?limit=500')
  all = everything.body.items
  expect(everything.body.nextCursor).toBeUndefined()
  expect(everything.body.total).toBe(all.length)
}, 120_000)

afterAll(async () => {
  await t?.close()
})

// The reference semantics, written out independently of the store's code.
const normalise = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase()
const nameOf = (lead: ApiLead) =>
  normalise([lead.customer.firstName, lead.customer.lastName].filter((part) => part !== undefined).join(' '))
const domainOf = (lead: ApiLead) => lead.customer.email?.split('@')[1] ?? ''
const configuredIds: readonly string[] = Object.keys(configuredOffers)

interface Filters {
  offer?: string
  stage?: string
  source?: string
  doNotContact?: boolean
  email?: string
  emailDomain?: string
  q?: string
  since?: string
  until?: string
  test?: boolean
  routed?: boolean
}

function matches(lead: ApiLead, filters: Filters): boolean {
  if (filters.offer !== undefined) {
    const offer = filters.offer
    if (configuredIds.includes(offer) ? lead.offerId !== offer : lead.offerName !== normalise(offer)) return false
  }
  if (filters.stage !== undefined && lead.stage !== filters.stage) return false
  if (filters.source !== undefined && lead.source !== filters.source) return false
  if (filters.doNotContact !== undefined && lead.doNotContact !== filters.doNotContact) return false
  if (filters.email !== undefined && lead.customer.email !== filters.email.trim().toLowerCase()) return false
  if (filters.emailDomain !== undefined && domainOf(lead) !== filters.emailDomain.toLowerCase()) return false
  if (filters.q !== undefined) {
    const q = normalise(filters.q)
    const keys = [
      nameOf(lead),
      normalise(lead.customer.lastName ?? ''),
      normalise(lead.customer.company ?? ''),
      lead.customer.email ?? '',
      domainOf(lead),
    ]
    if (q !== '' && !keys.some((key) => key.startsWith(q))) return false
  }
  if (filters.since !== undefined && Date.parse(lead.lastEventAt) < Date.parse(filters.since)) return false
  if (filters.until !== undefined && Date.parse(lead.lastEventAt) >= Date.parse(filters.until)) return false
  if (filters.test !== undefined && lead.isTest !== filters.test) return false
  if (filters.routed !== undefined && lead.routed !== filters.routed) return false
  return true
}

type SortField = 'lastActivity' | 'createdAt' | 'name' | 'company'

function sortKey(lead: ApiLead, sort: SortField): string | number {
  switch (sort) {
    case 'lastActivity':
      return Date.parse(lead.lastEventAt)
    case 'createdAt':
      return Date.parse(lead.createdAt)
    case 'name':
      return nameOf(lead)
    case 'company':
      return normalise(lead.customer.company ?? '')
  }
}

/** Code point order for strings (SQLite BINARY, PostgreSQL "C"); every name here is in the BMP. */
function expected(filters: Filters, sort: SortField, order: 'asc' | 'desc'): string[] {
  const sign = order === 'asc' ? 1 : -1
  return all
    .filter((lead) => matches(lead, filters))
    .sort((a, b) => {
      const ka = sortKey(a, sort)
      const kb = sortKey(b, sort)
      if (ka !== kb) return (ka < kb ? -1 : 1) * sign
      return (a.id < b.id ? -1 : 1) * sign
    })
    .map((lead) => lead.id)
}

function queryOf(filters: Filters): URLSearchParams {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(filters)) if (value !== undefined) params.set(key, String(value))
  return params
}

/** Every page through the cursor: ids in order, the totals each page reported, and the page sizes. */
async function pageThrough(filters: Filters, sort: SortField, order: 'asc' | 'desc', limit: number) {
  const ids: string[] = []
  const totals = new Set<string>()
  let cursor: string | undefined
  let pages = 0
  do {
    const params = queryOf(filters)
    params.set('sort', sort)
    params.set('order', order)
    params.set('limit', String(limit))
    if (cursor !== undefined) params.set('cursor', cursor)
    const page = await get<ListAnswer>(`/v1/leads?${params}`)
    expect(page.status, page.raw).toBe(200)
    expect(page.body.items.length).toBeLessThanOrEqual(limit)
    ids.push(...page.body.items.map((lead) => lead.id))
    totals.add(`${page.body.total}/${page.body.totalIsEstimate}`)
    cursor = page.body.nextCursor
    pages++
    expect(pages).toBeLessThan(500)
  } while (cursor !== undefined)
  return { ids, totals }
}

const filterKeys: (keyof Filters)[] = [
  'offer',
  'stage',
  'source',
  'doNotContact',
  'email',
  'emailDomain',
  'q',
  'since',
  'until',
  'test',
  'routed',
]

const hour = (offset: number) => new Date(Date.UTC(2026, 9, 1) + offset * 3_600_000).toISOString()

const filterValues: fc.Arbitrary<Required<Filters>> = fc.record({
  offer: fc.constantFrom(...offerRefs, 'fabrikam analytics', 'unknown.offer'),
  stage: fc.constantFrom('initial_interest', 'trial', 'active', 'do_not_contact', 'unclassified'),
  source: fc.constantFrom(...sources, 'TestDrive'),
  doNotContact: fc.boolean(),
  email: fc.constantFrom('JOHN.3@contoso.com', 'anna.10@example.org', ' nobody@nowhere.test '),
  emailDomain: fc.constantFrom('contoso.com', 'FABRIKAM.DE', 'example.org', 'müller.example', 'none.test'),
  q: fc.constantFrom('jo', 'JOHN', 'smi', 'müll', 'contoso', 'contoso l', 'de la cruz', 'fabrikam.de', 'é', 'zz'),
  since: fc.integer({ min: 0, max: 480 }).map(hour),
  until: fc.integer({ min: 0, max: 480 }).map(hour),
  test: fc.boolean(),
  routed: fc.boolean(),
})

/** Up to three filters at once: more would match nothing most of the time and prove little. */
const filtersArbitrary: fc.Arbitrary<Filters> = fc
  .tuple(filterValues, fc.subarray(filterKeys, { maxLength: 3 }))
  .map(([values, keys]) => Object.fromEntries(keys.map((key) => [key, values[key]])) as Filters)

describe('GET /v1/leads against a brute-force reference over every lead', () => {
  test('the data covers what the filters look for', () => {
    expect(all.length).toBeGreaterThan(250)
    expect(all.some((lead) => lead.doNotContact)).toBe(true)
    expect(all.some((lead) => lead.isTest)).toBe(true)
    expect(all.some((lead) => !lead.routed)).toBe(true)
    expect(new Set(all.map((lead) => lead.source)).size).toBe(3)
    expect(new Set(all.map((lead) => lead.lastEventAt)).size).toBeLessThan(all.length)
  })

  test('each filter alone: rows in the default order (most recent activity first) and the total', async () => {
    const singles: Filters[] = [
      { offer: 'contoso.crm' },
      { offer: 'Fabrikam  Analytics' },
      { offer: 'fabrikam.tool' },
      { stage: 'trial' },
      { source: 'AppSource' },
      { doNotContact: true },
      { doNotContact: false },
      { email: 'JOHN.3@contoso.com' },
      { emailDomain: 'Fabrikam.DE' },
      { q: 'smi' },
      { q: '  De  la ' },
      { q: 'müller.ex' },
      { since: hour(100), until: hour(300) },
      { test: true },
      { routed: false },
    ]
    for (const filters of singles) {
      const want = expected(filters, 'lastActivity', 'desc')
      const page = await get<ListAnswer>(`/v1/leads?${queryOf(filters)}&limit=500`)
      expect(
        page.body.items.map((lead) => lead.id),
        JSON.stringify(filters),
      ).toEqual(want)
      expect(page.body.total, JSON.stringify(filters)).toBe(want.length)
      expect(page.body.totalIsEstimate).toBe(false)
    }
    // A filter that used to be applied in the browser, page by page: matches far down the list are found.
    expect(expected({ doNotContact: true }, 'lastActivity', 'desc').length).toBeGreaterThan(0)
  })

  test('any combination, sort and page size: every matching lead exactly once, in order, with the right total', async () => {
    let nonEmpty = 0
    await fc.assert(
      fc.asyncProperty(
        filtersArbitrary,
        fc.constantFrom<SortField>('lastActivity', 'createdAt', 'name', 'company'),
        fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
        fc.constantFrom(9, 40, 500),
        async (filters, sort, order, limit) => {
          const want = expected(filters, sort, order)
          if (want.length > 0) nonEmpty++
          const { ids, totals } = await pageThrough(filters, sort, order, limit)
          expect(ids).toEqual(want)
          expect([...totals]).toEqual([`${want.length}/false`])
        },
      ),
      { numRuns: 80 },
    )
    // Most combinations must match something, or the comparison proves little.
    expect(nonEmpty).toBeGreaterThan(40)
  }, 300_000)

  test('names sort A to Z by default and times newest first; the answer says which', async () => {
    const byName = await get<ListAnswer & { sort: string; order: string }>('/v1/leads?sort=name&limit=500')
    expect(byName.body.order).toBe('asc')
    expect(byName.body.items.map((lead) => lead.id)).toEqual(expected({}, 'name', 'asc'))
    const byDefault = await get<ListAnswer & { sort: string; order: string }>('/v1/leads?limit=500')
    expect([byDefault.body.sort, byDefault.body.order]).toEqual(['lastActivity', 'desc'])
  })

  test('a cursor continues only the order it came from', async () => {
    const first = await get<ListAnswer>('/v1/leads?sort=name&limit=5')
    expect(first.body.nextCursor).toBeDefined()
    const other = await get<{ code: string; detail: string }>(`/v1/leads?sort=company&cursor=${first.body.nextCursor}`)
    expect(other.status).toBe(400)
    expect(other.body.code).toBe('VALIDATION_FAILED')
    const garbage = await get<{ code: string }>('/v1/leads?cursor=bm90LWEtY3Vyc29y')
    expect(garbage.status).toBe(400)
  })

  test('a lead id cursor of earlier versions continues after that lead', async () => {
    const want = expected({}, 'lastActivity', 'desc')
    const after = want[10]!
    const page = await get<ListAnswer>(`/v1/leads?limit=5&cursor=${Buffer.from(after).toString('base64url')}`)
    expect(page.body.items.map((lead) => lead.id)).toEqual(want.slice(11, 16))
  })

  test('configured offers come with their title', async () => {
    const page = await get<ListAnswer>('/v1/leads?offer=contoso.hr&limit=3')
    expect(page.body.items.length).toBeGreaterThan(0)
    for (const lead of page.body.items) expect(lead.offerTitle).toBe('Contoso HR')
    const unrouted = await get<ListAnswer>('/v1/leads?routed=false&limit=3')
    for (const lead of unrouted.body.items) expect(lead.offerTitle).toBeNull()
  })

  test('the count stops at its cap and says so', async () => {
    expect(await t.store.countLeads(t.tenant.tenant.id, {}, 10)).toEqual({ count: 10, capped: true })
    expect(await t.store.countLeads(t.tenant.tenant.id, {}, all.length)).toEqual({
      count: all.length,
      capped: false,
    })
  })

  test('the CSV export holds exactly the leads of the filter, each with all its events', async () => {
    const filters: Filters = { source: 'AppSource', q: 'jo' }
    const response = await t.server.app.inject({
      method: 'GET',
      url: `/v1/leads/export.csv?${queryOf(filters)}`,
      headers: bearer(t.tenant),
    })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/csv/)
    expect(response.headers['content-disposition']).toContain('attachment')
    const lines = response.body.trim().split('\n')
    const header = parseCsvRecord(lines[0]!) as string[]
    const leadColumn = header.indexOf('leadId')
    const exported = lines.slice(1).map((line) => (parseCsvRecord(line) as string[])[leadColumn]!)
    const want = expected(filters, 'lastActivity', 'desc')
    expect(want.length).toBeGreaterThan(0)
    expect(new Set(exported)).toEqual(new Set(want))
    const events = await Promise.all(
      want.map(async (id) => (await get<{ events: unknown[] }>(`/v1/leads/${id}`)).body.events.length),
    )
    expect(exported.length).toBe(events.reduce((sum, count) => sum + count, 0))
  })
})
