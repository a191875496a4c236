import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { createApiClient, queryString } from '../api/client.ts'
import { buildLeadQuery, emptyFilters, type LeadFilters as Filters, fetchLeadPage } from '../lib/leads-query.ts'
import { fakeFetch, lead } from '../test/fixtures.ts'
import { LeadFilters } from './lead-filters.tsx'

describe('the leads filters', () => {
  test('build the API query from what the publisher chose', async () => {
    const onApply = vi.fn<(filters: Filters) => void>()
    render(<LeadFilters value={emptyFilters} offers={[]} onApply={onApply} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Customer email'), ' Someone@Contoso.com ')
    await user.type(screen.getByLabelText('Offer'), 'contoso.crm-suite')
    await user.selectOptions(screen.getByLabelText('Stage'), 'active')
    await user.type(screen.getByLabelText('Last event from'), '2026-11-01')
    await user.type(screen.getByLabelText('Last event to'), '2026-11-30')
    await user.selectOptions(screen.getByLabelText('Test leads'), 'include')
    await user.selectOptions(screen.getByLabelText('Routing'), 'yes')
    await user.click(screen.getByRole('button', { name: 'Apply filters' }))

    const filters = onApply.mock.calls[0]![0]
    expect(queryString(buildLeadQuery(filters, { limit: 25 }))).toBe(
      `?${new URLSearchParams({
        offer: 'contoso.crm-suite',
        stage: 'active',
        email: 'Someone@Contoso.com',
        since: new Date(2026, 10, 1).toISOString(),
        until: new Date(2026, 11, 1).toISOString(),
        routed: 'true',
        limit: '25',
      })}`,
    )
  })

  test('hide test leads by default and can show only them', () => {
    expect(buildLeadQuery(emptyFilters)).toEqual({ test: false })
    expect(buildLeadQuery({ ...emptyFilters, test: 'only', routed: 'no' }, { cursor: 'c2' })).toEqual({
      test: true,
      routed: false,
      cursor: 'c2',
    })
  })

  test('Clear resets every field and applies no filter', async () => {
    const onApply = vi.fn<(filters: Filters) => void>()
    render(<LeadFilters value={{ ...emptyFilters, stage: 'trial', email: 'a@b.co' }} offers={[]} onApply={onApply} />)
    await userEvent.setup().click(screen.getByRole('button', { name: 'Clear' }))
    expect(onApply).toHaveBeenCalledWith(emptyFilters)
    expect(screen.getByLabelText('Customer email')).toHaveProperty('value', '')
    expect(screen.getByLabelText('Stage')).toHaveProperty('value', '')
  })
})

describe('a page of leads', () => {
  test('asks the API with the filters, the page size and the cursor', async () => {
    const { fetch, calls } = fakeFetch({ 'GET /v1/leads': () => ({ items: [lead()], nextCursor: 'next' }) })
    const api = createApiClient({ apiKey: 'lr_key_test', fetch })
    const page = await fetchLeadPage(api.listLeads, { ...emptyFilters, stage: 'trial' }, { limit: 25, cursor: 'c1' })
    expect(page.nextCursor).toBe('next')
    expect(calls).toHaveLength(1)
    expect(Object.fromEntries(calls[0]!.url.searchParams)).toEqual({
      stage: 'trial',
      test: 'false',
      limit: '25',
      cursor: 'c1',
    })
    expect(calls[0]!.headers.authorization).toBe('Bearer lr_key_test')
  })

  test('source and do-not-contact are matched on the pages the API returns, reading on with its cursor', async () => {
    const pages: Record<string, { items: unknown[]; nextCursor?: string }> = {
      start: {
        items: [lead({ id: 'a', source: 'AppSource' }), lead({ id: 'b', source: 'AzureMarketplace' })],
        nextCursor: 'p2',
      },
      p2: {
        items: [lead({ id: 'c', source: 'AppSource', doNotContact: true }), lead({ id: 'd', source: 'AppSource' })],
      },
    }
    const { fetch, calls } = fakeFetch({
      'GET /v1/leads': (_body, url) => pages[url.searchParams.get('cursor') ?? 'start'],
    })
    const api = createApiClient({ apiKey: 'k', fetch })
    const page = await fetchLeadPage(
      api.listLeads,
      { ...emptyFilters, source: 'appsource', doNotContact: 'exclude' },
      { limit: 25 },
    )
    expect(page.items.map((item) => item.id)).toEqual(['a', 'd'])
    expect(page.nextCursor).toBeUndefined()
    expect(calls.map((call) => call.url.searchParams.get('cursor'))).toEqual([null, 'p2'])
    // Source is not an API parameter: it never reaches the query.
    expect(calls[0]!.url.searchParams.has('source')).toBe(false)
  })
})
