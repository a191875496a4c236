import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { beforeEach, describe, expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import type { Person, Role } from '../api/types.ts'
import { App } from '../app.tsx'
import { AccessContext } from '../lib/access.ts'
import { ApiContext } from '../lib/api-context.ts'
import { fakeFetch, problem } from '../test/fixtures.ts'
import { PeoplePage } from './people.tsx'

const people: Person[] = [
  {
    id: 'per_1',
    name: 'Olga Owner',
    email: 'olga@contoso.com',
    role: 'owner',
    operator: false,
    memberSince: '2026-11-01T00:00:00.000Z',
  },
  {
    id: 'per_2',
    name: 'Vera Viewer',
    email: 'vera@contoso.com',
    role: 'viewer',
    operator: false,
    memberSince: '2026-11-02T00:00:00.000Z',
  },
]

function renderPeople(role: Role, routes: Parameters<typeof fakeFetch>[0] = {}) {
  const fake = fakeFetch({ 'GET /v1/people': () => ({ items: people }), ...routes })
  render(
    <ApiContext.Provider value={createApiClient({ fetch: fake.fetch })}>
      <AccessContext.Provider value={role}>
        <PeoplePage />
      </AccessContext.Provider>
    </ApiContext.Provider>,
  )
  return fake
}

beforeEach(() => {
  window.history.replaceState(null, '', '/')
})

describe('People page', () => {
  test('an admin may not touch an owner nor grant ownership; changing a role sends it', async () => {
    const fake = renderPeople('admin', {
      'PATCH /v1/people/per_2': (body) => ({ ...people[1], ...(body as object) }),
    })
    const owner = await screen.findByLabelText('Role of Olga Owner')
    expect((owner as HTMLSelectElement).disabled).toBe(true)
    const viewer = screen.getByLabelText('Role of Vera Viewer') as HTMLSelectElement
    expect([...viewer.options].map((option) => option.value)).toEqual(['viewer', 'editor', 'admin'])
    const rows = screen.getAllByRole('row')
    expect(within(rows[1]!).queryByRole('button', { name: 'Remove' })).toBeNull()
    await userEvent.setup().selectOptions(viewer, 'editor')
    await waitFor(() => expect(fake.calls.some((call) => call.method === 'PATCH')).toBe(true))
    expect(fake.calls.find((call) => call.method === 'PATCH')?.body).toEqual({ role: 'editor' })
    // The session cookie is the credential: no key header, no key anywhere.
    expect(fake.calls.every((call) => call.headers.authorization === undefined)).toBe(true)
  })

  test('an invitation without email shows its link once', async () => {
    renderPeople('owner', {
      'POST /v1/invitations': (body) => ({
        id: 'inv_1',
        ...(body as object),
        expiresAt: '2026-12-02T00:00:00.000Z',
        emailed: false,
        link: 'https://leads.contoso.com/auth/login?invitation=abc',
      }),
    })
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText('Email'), 'new@contoso.com')
    const roleSelect = screen.getByLabelText('Role') as HTMLSelectElement
    expect([...roleSelect.options].map((option) => option.value)).toContain('owner')
    await user.click(screen.getByRole('button', { name: 'Invite' }))
    expect(((await screen.findByLabelText('Link')) as HTMLInputElement).value).toBe(
      'https://leads.contoso.com/auth/login?invitation=abc',
    )
  })
})

describe('sign-in page with an identity provider', () => {
  test('offers Microsoft only, shows a refusal, and opens signed in when the session cookie works', async () => {
    window.history.replaceState(null, '', '/?signInError=People%20of%20Entra%20tenant%20x%20may%20not%20sign%20in')
    const refused = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
      'GET /v1/tenant': () => problem(401, 'UNAUTHORIZED', 'This session has ended; sign in again'),
    })
    const { unmount } = render(<App fetch={refused.fetch} />)
    const link = await screen.findByRole('link', { name: 'Sign in with Microsoft' })
    expect(link.getAttribute('href')).toBe('/auth/login?returnTo=%2Fleads')
    expect(screen.queryByLabelText('API key')).toBeNull()
    expect(screen.getByRole('alert').textContent).toContain('may not sign in')
    unmount()

    window.history.replaceState(null, '', '/')
    const signedIn = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
      'GET /v1/tenant': () => ({
        id: 'tnt_1',
        name: 'Contoso',
        createdAt: '2026-11-01T00:00:00.000Z',
        person: { id: 'per_2', name: 'Vera Viewer', email: 'vera@contoso.com', role: 'viewer', operator: false },
      }),
      'GET /v1/leads': () => ({ items: [], total: 0, totalIsEstimate: false }),
      'GET /v1/offers': () => ({ items: [] }),
    })
    render(<App fetch={signedIn.fetch} />)
    expect(await screen.findByText('Vera Viewer')).toBeTruthy()
    const nav = screen.getByRole('navigation', { name: 'Main' })
    expect(within(nav).queryByRole('link', { name: 'People' })).toBeNull()
    expect(within(nav).getByRole('link', { name: 'Leads' })).toBeTruthy()
  })
})
