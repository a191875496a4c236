import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import type { Backfill, Offer, OfferInput } from '../api/types.ts'
import { ApiContext } from '../lib/api-context.ts'
import { destination, fakeFetch } from '../test/fixtures.ts'
import { OfferPage } from './offer.tsx'

const first = destination({ id: 'dst_first', name: 'First CRM' })
const second = destination({ id: 'dst_second', name: 'Sales webhook' })
const offer: Offer = {
  id: 'fabrikam.widget',
  title: 'Fabrikam Widget',
  aliases: ['Fabrikam Widget'],
  destinations: [first.id],
  status: 'live',
  publishedAt: '2026-11-20T10:00:00.000Z',
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-11-20T10:00:00.000Z',
}

/** A server whose offer has 12 earlier leads that have not reached the second destination. */
function server() {
  const backfill = (input: OfferInput & { dryRun?: boolean }): Backfill => {
    const gains = input.destinations?.includes(second.id) ?? false
    const choice = input.earlierLeads ?? 'deliver'
    const leads = gains ? 12 : 0
    return {
      earlierLeads: choice,
      dryRun: input.dryRun === true,
      destinations: gains ? [{ id: second.id, leads }] : [],
      leads,
      deliveries: leads,
      queued: choice === 'deliver' && input.dryRun !== true ? leads : 0,
      joinedLeads: 0,
      mergedLeads: 0,
    }
  }
  const fake = fakeFetch({
    'GET /v1/offers/fabrikam.widget': () => offer,
    'GET /v1/destinations': () => ({ items: [first, second] }),
    'PUT /v1/offers/fabrikam.widget': (body) => {
      const input = body as OfferInput & { dryRun?: boolean }
      return { ...offer, destinations: input.destinations, backfill: backfill(input) }
    },
  })
  const client = createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })
  const saves = () =>
    fake.calls
      .filter((call) => call.method === 'PUT' && (call.body as { dryRun?: boolean }).dryRun !== true)
      .map((call) => call.body as OfferInput)
  const previews = () => fake.calls.filter((call) => (call.body as { dryRun?: boolean } | undefined)?.dryRun === true)
  render(
    <ApiContext.Provider value={client}>
      <OfferPage offerId="fabrikam.widget" />
    </ApiContext.Provider>,
  )
  return { saves, previews }
}

describe('the offer page, when routing gains a destination', () => {
  test('says how many earlier leads will be delivered, delivers them by default, and reports how many were queued', async () => {
    const { saves, previews } = server()
    const user = userEvent.setup()
    await user.click(await screen.findByRole('checkbox', { name: /Sales webhook/ }))

    const choice = await screen.findByRole('group', { name: 'Earlier leads' })
    expect(choice.textContent).toContain('12 leads arrived before this change and have not reached Sales webhook yet.')
    const deliver = screen.getByRole('radio', { name: 'Deliver earlier leads (12 earlier leads will be delivered)' })
    expect(deliver).toHaveProperty('checked', true)
    expect(screen.getByRole('radio', { name: 'Only new ones' })).toHaveProperty('checked', false)
    expect(previews().length).toBeGreaterThan(0)
    expect(saves()).toEqual([])

    await user.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(saves()).toHaveLength(1))
    expect(saves()[0]).toMatchObject({ destinations: [first.id, second.id], earlierLeads: 'deliver' })
    expect((await screen.findByText(/queued for delivery/)).textContent).toContain(
      '12 earlier leads queued for delivery (12 deliveries).',
    )
  })

  test('"Only new ones" saves with skip and says the earlier leads were left out', async () => {
    const { saves } = server()
    const user = userEvent.setup()
    await user.click(await screen.findByRole('checkbox', { name: /Sales webhook/ }))
    await user.click(await screen.findByRole('radio', { name: 'Only new ones' }))
    await user.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(saves()).toHaveLength(1))
    expect(saves()[0]).toMatchObject({ earlierLeads: 'skip' })
    expect((await screen.findByText(/left out/)).textContent).toContain(
      '12 earlier leads left out: only new leads go to the new destinations.',
    )
  })

  test('no question while the routing is as saved, or when no earlier lead is concerned', async () => {
    const { previews } = server()
    const user = userEvent.setup()
    await screen.findByRole('checkbox', { name: /Sales webhook/ })
    await user.click(screen.getByRole('checkbox', { name: /First CRM/ }))
    await waitFor(() => expect(previews().length).toBeGreaterThan(0))
    expect(screen.queryByRole('group', { name: 'Earlier leads' })).toBeNull()
  })
})
