import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError, createApiClient } from '../api/client.ts'
import type { RetentionValues, RetentionSettings as Settings } from '../api/privacy-types.ts'
import { ApiContext } from '../lib/api-context.ts'
import { AuditLog } from '../pages/settings.tsx'
import { fakeFetch } from '../test/fixtures.ts'
import { type RetentionApi, RetentionSettings } from './retention-settings.tsx'

const defaults: RetentionValues = { attemptsDays: 90, leadEventsIdleMonths: 24, auditMonths: 24 }
const limits = {
  attemptsDays: { min: 7, max: 3650 },
  leadEventsIdleMonths: { min: 1, max: 240 },
  auditMonths: { min: 1, max: 240 },
}

/** The server's behaviour: defaults until saved, the saved values afterwards, limits enforced. */
function fakeApi() {
  let current: Settings = { ...defaults, defaults, limits }
  return {
    getRetention: vi.fn(async () => current),
    putRetention: vi.fn(async (values: RetentionValues) => {
      if (values.auditMonths > 240) throw new ApiError(400, 'VALIDATION_FAILED', 'too long', 'auditMonths')
      current = { ...values, updatedAt: '2026-11-25T12:00:00.000Z', defaults, limits }
      return current
    }),
  } satisfies RetentionApi
}

describe('Retention on the settings page', () => {
  test('shows the defaults; an admin saves new values, which are shown as saved', async () => {
    const api = fakeApi()
    render(<RetentionSettings api={api} canEdit />)
    const user = userEvent.setup()
    const attempts = (await screen.findByLabelText(/Delivery attempts/)) as HTMLInputElement
    expect(attempts.value).toBe('90')
    expect(screen.getByText(/These are the defaults/)).toBeTruthy()

    await user.clear(attempts)
    await user.type(attempts, '30')
    const idle = screen.getByLabelText(/Events of idle leads/) as HTMLInputElement
    await user.clear(idle)
    await user.type(idle, '12')
    await user.click(screen.getByRole('button', { name: 'Save retention' }))

    expect(api.putRetention).toHaveBeenCalledWith({ attemptsDays: 30, leadEventsIdleMonths: 12, auditMonths: 24 })
    expect(await screen.findByText(/Saved\. The next retention run/)).toBeTruthy()
    await waitFor(() => expect(screen.getByText(/Last changed/)).toBeTruthy())
    expect((screen.getByLabelText(/Delivery attempts/) as HTMLInputElement).value).toBe('30')
  })

  test('a value outside the limits is named at its field and nothing is sent', async () => {
    const api = fakeApi()
    render(<RetentionSettings api={api} canEdit />)
    const user = userEvent.setup()
    const attempts = (await screen.findByLabelText(/Delivery attempts/)) as HTMLInputElement
    await user.clear(attempts)
    await user.type(attempts, '3')
    await user.click(screen.getByRole('button', { name: 'Save retention' }))
    expect(screen.getByText('Enter a whole number of days from 7 to 3650')).toBeTruthy()
    expect(attempts.getAttribute('aria-invalid')).toBe('true')
    expect(api.putRetention).not.toHaveBeenCalled()
  })

  test('without the admin role the values are shown but cannot be changed', async () => {
    render(<RetentionSettings api={fakeApi()} canEdit={false} />)
    const attempts = (await screen.findByLabelText(/Delivery attempts/)) as HTMLInputElement
    expect(attempts.disabled).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save retention' })).toBeNull()
  })

  test('a retention change reads as such in the audit log', async () => {
    const fake = fakeFetch({
      'GET /v1/audit': () => ({
        items: [
          {
            id: 'aud_1',
            actor: 'key:key_admin',
            action: 'retention.changed',
            target: 'retention',
            detail: { before: defaults, after: { ...defaults, attemptsDays: 30 } },
            at: '2026-11-25T12:00:00.000Z',
          },
        ],
      }),
    })
    render(
      <ApiContext.Provider value={createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })}>
        <AuditLog />
      </ApiContext.Provider>,
    )
    const table = await screen.findByRole('table', { name: 'Audit log, newest first' })
    const [row] = within(table).getAllByRole('row').slice(1)
    const cells = within(row!).getAllByRole('cell')
    expect(cells[1]!.textContent).toBe('Retention changed')
    expect(cells[2]!.textContent).toBe('Retention')
  })
})
