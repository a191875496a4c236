import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import { ApiContext } from '../lib/api-context.ts'
import { fakeFetch, lead } from '../test/fixtures.ts'
import { forgetLeadFilters, LeadsPage } from './leads.tsx'

afterEach(() => forgetLeadFilters())

/** A server with 60 leads whose answer depends only on the query it is asked. */
function server(total = 60, totalIsEstimate = false) {
  const fake = fakeFetch({
    'GET /v1/offers': () => ({
      items: [{ id: 'contoso.crm-suite', title: 'Contoso CRM Suite', aliases: [], status: 'live' }],
    }),
    'GET /v1/leads': (_body, url) => {
      const cursor = url.searchParams.get('cursor')
      const start = cursor === null ? 0 : Number(cursor)
      return {
        items: [0, 1].map((offset) =>
          lead({
            id: `lead_${start + offset}`,
            customer: { firstName: 'Customer', lastName: String(start + offset) },
            offerTitle: 'Contoso CRM Suite',
          }),
        ),
        ...(start + 2 < total && { nextCursor: String(start + 25) }),
        total,
        totalIsEstimate,
      }
    },
  })
  render(
    <ApiContext.Provider value={createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })}>
      <LeadsPage />
    </ApiContext.Provider>,
  )
  const leadQueries = () =>
    fake.calls.filter((call) => call.url.pathname === '/v1/leads').map((call) => call.url.searchParams)
  return { leadQueries }
}

describe('the Leads page', () => {
  test('shows the total the API counted, and the offer by its title', async () => {
    server(1234)
    expect(await screen.findByText('1,234 leads')).toBeTruthy()
    const rows = screen.getAllByRole('row')
    expect(within(rows[1]!).getByText('Contoso CRM Suite')).toBeTruthy()
    expect(screen.getByText(/Page 1 of 50/)).toBeTruthy()
  })

  test('says "more than" when the API stopped counting', async () => {
    server(10_000, true)
    expect(await screen.findByText('More than 10,000 leads')).toBeTruthy()
  })

  test('column headers sort on the server and say how (aria-sort)', async () => {
    const { leadQueries } = server()
    await screen.findByText('60 leads')
    const header = (name: string) => screen.getByRole('columnheader', { name: new RegExp(name) })
    expect(header('Last event').getAttribute('aria-sort')).toBe('descending')
    expect(header('Customer').getAttribute('aria-sort')).toBe('none')

    const user = userEvent.setup()
    await user.click(within(header('Customer')).getByRole('button'))
    await waitFor(() => expect(leadQueries().at(-1)?.get('sort')).toBe('name'))
    expect(leadQueries().at(-1)?.get('order')).toBe('asc')
    await waitFor(() => expect(header('Customer').getAttribute('aria-sort')).toBe('ascending'))
    expect(header('Last event').getAttribute('aria-sort')).toBe('none')

    await user.click(within(header('Customer')).getByRole('button'))
    await waitFor(() => expect(leadQueries().at(-1)?.get('order')).toBe('desc'))
    await waitFor(() => expect(header('Customer').getAttribute('aria-sort')).toBe('descending'))
  })

  test('the search box and the filters are sent to the API, and paging follows its cursor', async () => {
    const { leadQueries } = server()
    await screen.findByText('60 leads')
    const user = userEvent.setup()
    await user.click(screen.getByRole('button', { name: /Next/ }))
    await waitFor(() => expect(leadQueries().at(-1)?.get('cursor')).toBe('25'))
    expect(await screen.findByText('Customer 25')).toBeTruthy()

    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'Contoso{Enter}')
    await waitFor(() => expect(leadQueries().at(-1)?.get('q')).toBe('Contoso'))
    // A new search starts at the first page.
    expect(leadQueries().at(-1)?.has('cursor')).toBe(false)

    await user.selectOptions(screen.getByLabelText('Do not contact'), 'only')
    await user.selectOptions(screen.getByLabelText('Source'), 'AppSource')
    await user.click(screen.getByRole('button', { name: 'Apply filters' }))
    await waitFor(() => expect(leadQueries().at(-1)?.get('doNotContact')).toBe('true'))
    const last = leadQueries().at(-1)!
    expect(last.get('source')).toBe('AppSource')
    expect(last.get('q')).toBe('Contoso')
    expect(await screen.findByText('60 leads match')).toBeTruthy()
  })
})
