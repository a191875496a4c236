import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import type { Delivery, Page } from '../api/types.ts'
import { groupTroubles, replayProgress } from '../lib/deliveries.ts'
import { delivery, destination } from '../test/fixtures.ts'
import { ReplayStatus, TroubleGroups } from './replay.tsx'

const hook = destination({ id: 'dst_hook', name: 'Sales webhook' })
const crm = destination({ id: 'dst_crm', name: 'CRM', state: 'paused', stateReason: 'HTTP 401: bad token' })
const destinations = new Map([
  [hook.id, hook],
  [crm.id, crm],
])

const deliveries: Delivery[] = [
  delivery({ id: 'd1', leadId: 'lead_1', destinationId: 'dst_hook', lastError: 'HTTP 400: rejected' }),
  delivery({ id: 'd2', leadId: 'lead_2', destinationId: 'dst_hook', lastError: 'HTTP 400: rejected' }),
  delivery({ id: 'd3', leadId: 'lead_3', destinationId: 'dst_hook', lastError: 'Gave up after 3 attempts: HTTP 500' }),
  delivery({ id: 'd4', leadId: 'lead_4', destinationId: 'dst_crm', state: 'queued', lastError: 'HTTP 503' }),
  delivery({ id: 'd5', leadId: 'lead_5', destinationId: 'dst_crm', state: 'delivered', lastError: null }),
]

describe('failing and dead deliveries', () => {
  test('are grouped by destination and reason, dead first, delivered ones left out', () => {
    const groups = groupTroubles(deliveries)
    expect(groups.map((group) => [group.trouble, group.destinationId, group.deliveries.map((d) => d.id)])).toEqual([
      ['dead', 'dst_hook', ['d1', 'd2']],
      ['dead', 'dst_hook', ['d3']],
      ['failing', 'dst_crm', ['d4']],
    ])
  })

  test('replay a selection, a whole group, or one', async () => {
    const onReplay = vi.fn(async (_ids: string[]) => {})
    render(<TroubleGroups groups={groupTroubles(deliveries)} destinations={destinations} onReplay={onReplay} />)
    const user = userEvent.setup()
    const replaySelected = screen.getByRole('button', { name: /Replay selected/ })
    expect(replaySelected).toHaveProperty('disabled', true)

    await user.click(screen.getByRole('checkbox', { name: 'Select delivery d1' }))
    await user.click(screen.getByRole('checkbox', { name: 'Select delivery d3' }))
    expect(screen.getByText('2 selected')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Replay selected (2)' }))
    expect(onReplay).toHaveBeenLastCalledWith(['d1', 'd3'])
    // The replayed ones are no longer selected.
    expect(screen.getByRole('checkbox', { name: 'Select delivery d1' })).toHaveProperty('checked', false)

    const rejected = screen.getByRole('region', { name: /Dead Sales webhook · 2 deliveries/ })
    expect(within(rejected).getByText('HTTP 400: rejected')).toBeTruthy()
    await user.click(within(rejected).getByRole('checkbox', { name: 'Select all 2 in this group' }))
    expect(screen.getByRole('checkbox', { name: 'Select delivery d2' })).toHaveProperty('checked', true)
    await user.click(within(rejected).getByRole('button', { name: 'Replay all 2' }))
    expect(onReplay).toHaveBeenLastCalledWith(['d1', 'd2'])

    // Each group is named by its destination and its reason, so two groups of one destination are told apart.
    const gaveUp = screen.getByRole('region', {
      name: /Dead Sales webhook · 1 delivery Gave up after 3 attempts: HTTP 500$/,
    })
    await user.click(within(gaveUp).getByRole('button', { name: 'Replay it' }))
    expect(onReplay).toHaveBeenLastCalledWith(['d3'])

    // Failing deliveries are still being retried: no checkbox, no replay button, and their destination's health.
    const failing = screen.getByRole('region', { name: /Failing CRM/ })
    expect(within(failing).queryByRole('checkbox')).toBeNull()
    expect(within(failing).queryByRole('button')).toBeNull()
    expect(within(failing).getByText('Paused')).toBeTruthy()
  })

  test('replay progress counts replayed deliveries by where they are now, and says when it is done', async () => {
    let round = 0
    const listDeliveries = vi.fn(async (query: { state?: string }): Promise<Page<Delivery>> => {
      const after = round >= 3
      const inState: Record<string, string[]> = after
        ? { queued: [], in_flight: [], dead: ['d3'] }
        : { queued: ['d1', 'd2'], in_flight: ['d3'], dead: [] }
      if (query.state === 'dead') round++
      return { items: (inState[query.state ?? ''] ?? []).map((id) => delivery({ id, state: 'queued' })) }
    })
    expect(await replayProgress(listDeliveries, ['d1', 'd2', 'd3', 'd9'])).toEqual({
      total: 4,
      pending: 3,
      dead: 0,
      delivered: 1,
    })

    const onSettled = vi.fn()
    render(
      <ReplayStatus
        result={{ replayed: 3, skipped: 1, ids: ['d1', 'd2', 'd3'] }}
        listDeliveries={listDeliveries}
        onSettled={onSettled}
        intervalMs={5}
      />,
    )
    expect(screen.getByText('Replayed 3 deliveries, skipped 1 (still queued or sending).')).toBeTruthy()
    await waitFor(() => expect(screen.getByText('Done: 2 delivered, 1 failed again.')).toBeTruthy())
    expect(onSettled).toHaveBeenCalledTimes(1)
    expect(screen.getByRole('progressbar', { name: 'Replay progress' })).toHaveProperty('value', 3)
  })
})
