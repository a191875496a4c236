import { render, screen, waitFor } from '@testing-library/react'
import userEvent, { type UserEvent } from '@testing-library/user-event'
import { expect, test, vi } from 'vitest'
import type { TenantSignIn } from '../api/types.ts'
import { SignInSettings } from './sign-in-settings.tsx'

/** Types a value the way a person pastes an id copied from the Entra admin center: at once. */
async function fill(user: UserEvent, field: HTMLElement | Promise<HTMLElement>, value: string) {
  await user.click(await field)
  await user.paste(value)
}

function fakeApi(oidc = true) {
  let current: TenantSignIn = { entraTenantId: null, role: 'viewer' }
  return {
    getTenantSignIn: vi.fn(async () => current),
    putTenantSignIn: vi.fn(async (settings: TenantSignIn) => {
      current = { entraTenantId: settings.entraTenantId?.toLowerCase() ?? null, role: settings.role }
      return current
    }),
    authConfig: vi.fn(async () => ({ oidc, provider: oidc ? ('microsoft' as const) : null, apiKeySignIn: !oidc })),
  }
}

test("naming the organisation's Entra tenant lets its people join with a role; clearing it ends that", async () => {
  const api = fakeApi()
  render(<SignInSettings api={api} />)
  expect(await screen.findByText(/No Entra tenant is named/)).toBeTruthy()
  const user = userEvent.setup()
  await fill(user, screen.getByLabelText(/Entra tenant \(directory\) id/), '6F1C1D2E-0000-4000-8000-00000000C0DE')
  await user.selectOptions(screen.getByLabelText('Role of people who join this way'), 'editor')
  // Owners are made person by person, never a whole directory at once.
  expect(
    [...(screen.getByLabelText('Role of people who join this way') as HTMLSelectElement).options].map((o) => o.value),
  ).toEqual(['viewer', 'editor', 'admin'])
  await user.click(screen.getByRole('button', { name: 'Save sign-in' }))
  expect(api.putTenantSignIn).toHaveBeenCalledWith({
    entraTenantId: '6f1c1d2e-0000-4000-8000-00000000c0de',
    role: 'editor',
  })
  await waitFor(() => expect(screen.getByText(/Only people of that tenant may enter/)).toBeTruthy())

  await user.clear(screen.getByLabelText(/Entra tenant \(directory\) id/))
  await user.click(screen.getByRole('button', { name: 'Save sign-in' }))
  expect(api.putTenantSignIn).toHaveBeenLastCalledWith({ entraTenantId: null, role: 'editor' })
  expect(await screen.findByText(/people enter by invitation\.$/)).toBeTruthy()
})

test('a value that is not a tenant id is named at the field and not sent; without a provider the page says so', async () => {
  const api = fakeApi(false)
  render(<SignInSettings api={api} />)
  expect(await screen.findByText(/has no identity provider yet/)).toBeTruthy()
  const user = userEvent.setup()
  await fill(user, screen.getByLabelText(/Entra tenant \(directory\) id/), 'contoso.com')
  await user.click(screen.getByRole('button', { name: 'Save sign-in' }))
  expect(screen.getByText('Enter the Directory (tenant) id, a GUID, or leave it empty')).toBeTruthy()
  expect(api.putTenantSignIn).not.toHaveBeenCalled()
})
