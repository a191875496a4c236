import { act, render, screen, waitFor, within } from '@testing-library/react'
import { expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import type { LeadSubscription } from '../api/types.ts'
import { fakeFetch } from '../test/fixtures.ts'
import { LeadSubscriptions } from './lead-subscriptions.tsx'

const subscribed: LeadSubscription = {
  id: '37f9dea2-4345-438f-b0bd-03d40d28c7e0',
  name: 'Contoso CRM for Fabrikam',
  offer: 'contoso.crm-suite',
  status: 'Subscribed',
  planId: 'gold',
  quantity: 25,
  isTest: false,
  isFreeTrial: true,
  termStart: '2026-11-01T00:00:00Z',
  termEnd: '2026-11-30T00:00:00Z',
  termUnit: 'P1M',
  created: '2026-11-01T09:30:00Z',
  lastModified: '2026-11-02T10:00:00Z',
  seenAt: '2026-11-25T12:00:00.000Z',
}

function renderFor(items: LeadSubscription[]) {
  const fake = fakeFetch({ 'GET /v1/leads/lead_1/subscriptions': () => ({ items }) })
  const view = render(<LeadSubscriptions api={createApiClient({ fetch: fake.fetch })} leadId="lead_1" />)
  return { ...view, fake }
}

test("a lead's subscription: plan, quantity, status, term and dates", async () => {
  renderFor([subscribed])
  const panel = await screen.findByRole('region', { name: 'Subscription' })
  const fact = (term: string) => within(panel).getByText(term).nextElementSibling?.textContent
  expect(fact('Plan')).toBe('gold')
  expect(fact('Quantity')).toBe('25')
  expect(fact('Status')).toBe('SubscribedFree trial')
  expect(fact('Term')).toBe('Nov 1, 2026 – Nov 30, 2026 (monthly)')
  expect(fact('Subscription id')).toBe(subscribed.id)
  expect(fact('Bought')).toMatch(/2026/)
  expect(within(panel).getByText('Contoso CRM for Fabrikam')).toBeTruthy()
})

test('a cancelled one reads Cancelled in the churned colour; two are listed each under its name', async () => {
  renderFor([
    { ...subscribed, status: 'Unsubscribed', isFreeTrial: false },
    { ...subscribed, id: 'sub-2', name: 'Second seat pack', status: 'Suspended', isFreeTrial: false },
  ])
  const panel = await screen.findByRole('region', { name: 'Subscriptions' })
  expect(within(panel).getByRole('heading', { name: 'Second seat pack' })).toBeTruthy()
  const cancelled = within(panel).getByText('Cancelled')
  expect(cancelled.className).toContain('stage-churned')
  expect(within(panel).getByText('Suspended').className).toContain('stage-suspended')
})

test('nothing is drawn for a lead without a subscription', async () => {
  const { container, fake } = renderFor([])
  await waitFor(() => expect(fake.calls).toHaveLength(1))
  // Let the answer render.
  await act(async () => {
    await Promise.resolve()
  })
  expect(container.textContent).toBe('')
})
