import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { createApiClient, queryString } from '../api/client.ts'
import { buildLeadQuery, emptyFilters, type LeadFilters as Filters } from '../lib/leads-query.ts'
import { fakeFetch } from '../test/fixtures.ts'
import { LeadFilters } from './lead-filters.tsx'

describe('the leads filters', () => {
  test('offer every stage, the subscription stages included, and filter by one', async () => {
    const onApply = vi.fn<(filters: Filters) => void>()
    render(<LeadFilters value={emptyFilters} offers={[]} onApply={onApply} />)
    const stage = screen.getByLabelText('Stage') as HTMLSelectElement
    expect([...stage.options].map((option) => option.textContent)).toEqual([
      'Any stage',
      'Unclassified',
      'Do not contact',
      'Trial',
      'Initial interest',
      'Active',
      'Customer',
      'Suspended',
      'Churned',
    ])
    const user = userEvent.setup()
    await user.selectOptions(stage, 'Churned')
    await user.click(screen.getByRole('button', { name: 'Apply filters' }))
    expect(queryString(buildLeadQuery(onApply.mock.calls[0]![0]))).toContain('stage=churned')
  })

  test('build the API query from what the publisher chose', async () => {
    const onApply = vi.fn<(filters: Filters) => void>()
    const offers = [
      { id: 'contoso.crm-suite', title: 'Contoso CRM Suite', aliases: [], status: 'live' as const },
      { id: 'contoso.hr', aliases: [], status: 'draft' as const },
    ] as unknown as Parameters<typeof LeadFilters>[0]['offers']
    render(<LeadFilters value={emptyFilters} offers={offers} onApply={onApply} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('Customer email'), ' Someone@Contoso.com ')
    // Offers are listed by title; the query names the offer by id.
    expect(screen.getByRole('option', { name: 'Contoso CRM Suite' })).toBeTruthy()
    expect(screen.getByRole('option', { name: 'contoso.hr' })).toBeTruthy()
    await user.selectOptions(screen.getByLabelText('Offer'), 'Contoso CRM Suite')
    await user.selectOptions(screen.getByLabelText('Source'), 'AppSource')
    await user.type(screen.getByLabelText('Email domain'), '@Fabrikam.com')
    await user.selectOptions(screen.getByLabelText('Do not contact'), 'only')
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
        source: 'AppSource',
        email: 'Someone@Contoso.com',
        emailDomain: 'Fabrikam.com',
        since: new Date(2026, 10, 1).toISOString(),
        until: new Date(2026, 11, 1).toISOString(),
        doNotContact: 'true',
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
  test('every filter, the search and the order go to the API in one request: nothing is filtered in the browser', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /v1/leads': () => ({ items: [], total: 0, totalIsEstimate: false }),
    })
    const api = createApiClient({ apiKey: 'lr_key_test', fetch })
    await api.listLeads(
      buildLeadQuery(
        { ...emptyFilters, q: ' müll ', source: 'AppSource', doNotContact: 'only', stage: 'trial' },
        { limit: 25, cursor: 'c1', order: { sort: 'name', order: 'asc' } },
      ),
    )
    expect(calls).toHaveLength(1)
    expect(Object.fromEntries(calls[0]!.url.searchParams)).toEqual({
      q: 'müll',
      stage: 'trial',
      source: 'AppSource',
      doNotContact: 'true',
      test: 'false',
      sort: 'name',
      order: 'asc',
      limit: '25',
      cursor: 'c1',
    })
    expect(calls[0]!.headers.authorization).toBe('Bearer lr_key_test')
  })

  test('the default order is left to the API', () => {
    expect(buildLeadQuery(emptyFilters, { order: { sort: 'lastActivity', order: 'desc' } })).toEqual({ test: false })
  })
})
