import { render, screen, waitFor } from '@testing-library/react'
import userEvent, { type UserEvent } from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client.ts'
import type { SubscriptionSource, SubscriptionSourceInput } from '../api/types.ts'
import { type SubscriptionSourceApi, SubscriptionSourceSettings } from './subscription-source.tsx'

/** Types a value the way a person pastes an id copied from the Entra admin center: at once. */
async function fill(user: UserEvent, field: HTMLElement | Promise<HTMLElement>, value: string) {
  await user.click(await field)
  await user.paste(value)
}

const entraTenantId = '6f1c1d2e-0000-4000-8000-00000000c0de'
const clientId = '11111111-2222-4333-8444-555555555555'

/** The API's behaviour: 404 until set up, the secret never read back, a poll that records the outcome. */
function fakeApi(pollError?: string) {
  let stored: SubscriptionSource | undefined
  const api = {
    getSubscriptionSource: vi.fn(async () => {
      if (!stored) throw new ApiError(404, 'NOT_FOUND', 'No subscription source is set up for this tenant')
      return stored
    }),
    putSubscriptionSource: vi.fn(async (input: SubscriptionSourceInput) => {
      const saved: SubscriptionSource = {
        entraTenantId: input.entraTenantId,
        clientId: input.clientId,
        hasSecret: Boolean(input.clientSecret) || (stored?.hasSecret ?? false),
        credential: 'secret',
        enabled: input.enabled ?? true,
        relay: null,
        createdAt: '2026-11-25T12:00:00.000Z',
        updatedAt: '2026-11-25T12:00:00.000Z',
      }
      stored = saved
      return saved
    }),
    deleteSubscriptionSource: vi.fn(async () => {
      stored = undefined
    }),
    pollSubscriptions: vi.fn(async () => {
      const summary = { read: 3, recorded: 2, duplicates: 0, unchanged: 1, skipped: 0 }
      stored = stored && {
        ...stored,
        lastPollAt: '2026-11-25T12:01:00.000Z',
        ...(pollError ? { lastPollError: pollError } : { lastPollCount: 3 }),
      }
      return pollError ? { ...summary, read: 0, recorded: 0, unchanged: 0, error: pollError } : summary
    }),
  } satisfies SubscriptionSourceApi
  return api
}

describe('the subscription source', () => {
  test('set up with a write-only secret, poll now, and the last poll shown', async () => {
    const api = fakeApi()
    render(<SubscriptionSourceSettings api={api} />)
    const user = userEvent.setup()
    await fill(user, await screen.findByLabelText('Directory (tenant) id'), entraTenantId)
    await fill(user, screen.getByLabelText('Application (client) id'), clientId)
    await fill(user, screen.getByLabelText(/^Client secret/), 'app-secret-value')
    expect(screen.queryByRole('button', { name: 'Poll now' })).toBeNull()
    await user.click(screen.getByRole('button', { name: 'Set up' }))
    expect(api.putSubscriptionSource).toHaveBeenCalledWith({
      entraTenantId,
      clientId,
      clientSecret: 'app-secret-value',
      enabled: true,
    })
    // Stored: the secret field is empty again and says one is kept.
    const secret = (await screen.findByLabelText(/Client secret \(stored/)) as HTMLInputElement
    expect(secret.value).toBe('')
    expect(screen.getByText('Not yet')).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Poll now' }))
    expect(await screen.findByText('Read 3 subscriptions, 2 changes recorded, 1 unchanged.')).toBeTruthy()
    await waitFor(() => expect(screen.getByText('3 subscriptions read')).toBeTruthy())

    // Saving again without a secret keeps the stored one: none is sent.
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect(api.putSubscriptionSource).toHaveBeenLastCalledWith({ entraTenantId, clientId, enabled: true })
  })

  test('ids that are not GUIDs and a missing secret are named at their fields; nothing is sent', async () => {
    const api = fakeApi()
    render(<SubscriptionSourceSettings api={api} />)
    const user = userEvent.setup()
    await fill(user, await screen.findByLabelText('Directory (tenant) id'), 'contoso.onmicrosoft.com')
    await fill(user, screen.getByLabelText('Application (client) id'), clientId)
    await user.click(screen.getByRole('button', { name: 'Set up' }))
    expect(screen.getByText('Enter the Directory (tenant) id, a GUID')).toBeTruthy()
    expect(screen.getByText('Enter the client secret')).toBeTruthy()
    expect(screen.getByLabelText('Directory (tenant) id').getAttribute('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(screen.getByLabelText('Directory (tenant) id'))
    expect(api.putSubscriptionSource).not.toHaveBeenCalled()
  })

  test('a failed poll says why, here and as the last result', async () => {
    const api = fakeApi('Microsoft Entra refused the client credentials (AADSTS7000215)')
    render(<SubscriptionSourceSettings api={api} />)
    const user = userEvent.setup()
    await fill(user, await screen.findByLabelText('Directory (tenant) id'), entraTenantId)
    await fill(user, screen.getByLabelText('Application (client) id'), clientId)
    await fill(user, screen.getByLabelText(/^Client secret/), 'wrong')
    await user.click(screen.getByRole('button', { name: 'Set up' }))
    await user.click(await screen.findByRole('button', { name: 'Poll now' }))
    expect((await screen.findByRole('status')).textContent).toMatch(/^The poll stopped: Microsoft Entra refused/)
    expect(await screen.findByText(/^Failed: Microsoft Entra refused/)).toBeTruthy()
  })
})
