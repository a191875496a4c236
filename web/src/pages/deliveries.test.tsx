import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import { ApiContext } from '../lib/api-context.ts'
import { delivery, destination, fakeFetch } from '../test/fixtures.ts'
import { DeliveriesPage } from './deliveries.tsx'

const hook = destination({ id: 'dst_hook', name: 'Sales webhook' })
const crm = destination({ id: 'dst_crm', name: 'First CRM' })
const held = '2026-11-25T13:00:00.000Z'

/** A tenant with 1,300 queued deliveries: the API pages them 25 at a time and names each lead in the same answer. */
function server() {
  let replayed = false
  const fake = fakeFetch({
    'GET /v1/destinations': () => ({ items: [hook, crm] }),
    'GET /v1/deliveries/troubles': () => ({
      items: replayed
        ? [{ trouble: 'failing', destinationId: 'dst_crm', reason: 'HTTP 503', count: 1300 }]
        : [
            { trouble: 'dead', destinationId: 'dst_hook', reason: 'HTTP 410 Gone', count: 40 },
            { trouble: 'failing', destinationId: 'dst_crm', reason: 'HTTP 503', count: 1300 },
          ],
    }),
    'GET /v1/deliveries': (_body, url) => {
      const start = Number(url.searchParams.get('cursor') ?? '0')
      const limit = Number(url.searchParams.get('limit'))
      return {
        items: Array.from({ length: Math.min(limit, 3) }, (_, offset) => {
          const n = start + offset
          return {
            ...delivery({
              id: `dlv_${n}`,
              leadId: `lead_${n}`,
              destinationId: 'dst_crm',
              state: 'queued',
              nextAttemptAt: '2026-11-25T14:00:00.000Z',
            }),
            lead: {
              id: `lead_${n}`,
              customer: { firstName: 'Customer', lastName: String(n) },
              stage: 'active',
              offerId: 'contoso.crm',
              offerTitle: 'Contoso CRM',
            },
          }
        }),
        ...(start + limit < 1300 && { nextCursor: String(start + limit) }),
        total: 1300,
        totalIsEstimate: false,
      }
    },
    'POST /v1/deliveries/dlv_0/retry': () => ({
      ...delivery({ id: 'dlv_0', state: 'queued', destinationId: 'dst_crm' }),
      destinationState: 'active',
      destinationHeldUntil: held,
    }),
    'POST /v1/deliveries/replay': () => {
      replayed = true
      return { replayed: 40, skipped: 0, ids: ['dlv_a'] }
    },
  })
  render(
    <ApiContext.Provider value={createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })}>
      <DeliveriesPage />
    </ApiContext.Provider>,
  )
  const paths = () => fake.calls.map((call) => `${call.method} ${call.url.pathname}`)
  const lists = () => fake.calls.filter((call) => call.url.pathname === '/v1/deliveries').map((call) => call.url)
  return { fake, paths, lists }
}

describe('the Deliveries page at scale', () => {
  test('groups come counted from the API, one page of rows is shown, names come with it: no request per lead', async () => {
    const { paths, lists } = server()
    expect(await screen.findByText('1,300 deliveries')).toBeTruthy()
    expect(screen.getByText('· 1300 deliveries')).toBeTruthy()
    expect(screen.getByText('Customer 1')).toBeTruthy()
    expect(screen.getAllByText('Contoso CRM').length).toBeGreaterThan(0)
    expect(screen.getByText(/Page 1 of 52/)).toBeTruthy()
    expect(paths().some((path) => path.startsWith('GET /v1/leads'))).toBe(false)
    // Only the one table page: nothing reads every queued delivery.
    expect(lists().every((url) => url.searchParams.get('limit') === '25')).toBe(true)

    await userEvent.setup().click(screen.getByRole('button', { name: /Next/ }))
    await waitFor(() => expect(lists().at(-1)?.searchParams.get('cursor')).toBe('25'))
    expect(await screen.findByText('Customer 26')).toBeTruthy()
  })

  test('a group shows its deliveries in the table: state, destination and reason become the filter', async () => {
    const { lists } = server()
    const group = (await screen.findByText('HTTP 410 Gone')).closest('section')!
    await userEvent.setup().click(within(group as HTMLElement).getByRole('button', { name: 'Show these 40' }))
    await waitFor(() => expect(lists().at(-1)?.searchParams.get('reason')).toBe('HTTP 410 Gone'))
    expect(Object.fromEntries(lists().at(-1)!.searchParams)).toMatchObject({ state: 'dead', destination: 'dst_hook' })
  })

  test('Retry now says when a rate limit holds the destination, and reloads the page of rows', async () => {
    const { paths, lists } = server()
    await screen.findByText('Customer 0')
    const before = lists().length
    const row = screen.getByText('Customer 0').closest('tr')!
    await userEvent.setup().click(within(row).getByRole('button', { name: /Retry now/ }))
    expect(paths()).toContain('POST /v1/deliveries/dlv_0/retry')
    const message = await screen.findByText(/asked for no requests until/)
    expect(message.textContent).toMatch(/First CRM/)
    expect(message.textContent).toMatch(/never jumps a rate limit/)
    await waitFor(() => expect(lists().length).toBeGreaterThan(before))
  })

  test('Replay all shows its progress in its own group and refreshes the lists', async () => {
    const { fake, paths } = server()
    const group = (await screen.findByText('HTTP 410 Gone')).closest('section') as HTMLElement
    const troublesBefore = paths().filter((path) => path === 'GET /v1/deliveries/troubles').length
    await userEvent.setup().click(within(group).getByRole('button', { name: 'Replay all 40' }))
    const body = fake.calls.find((call) => call.url.pathname === '/v1/deliveries/replay')?.body
    expect(body).toEqual({ filter: { state: 'dead', destination: 'dst_hook', reason: 'HTTP 410 Gone' } })
    // The group is gone after the refresh; its progress stays at the top of Needs attention, not elsewhere.
    await waitFor(() => expect(screen.queryByText('HTTP 410 Gone')).toBeNull())
    const status = await screen.findByText(/Replayed 40 deliveries/)
    const attention = screen.getByRole('heading', { name: 'Needs attention' }).closest('section')!
    expect(attention.contains(status)).toBe(true)
    const filterCard = screen.getByRole('heading', { name: 'Replay by filter' }).closest('section')!
    expect(filterCard.contains(status)).toBe(false)
    expect(paths().filter((path) => path === 'GET /v1/deliveries/troubles').length).toBeGreaterThan(troublesBefore)
  })
})
