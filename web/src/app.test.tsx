import { render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import { App } from './app.tsx'
import { destination, fakeFetch, problem, webhookKind } from './test/fixtures.ts'

const tenant = { id: 'tnt_1', name: 'Contoso', createdAt: '2026-11-01T00:00:00.000Z' }
const emptyLists = {
  'GET /v1/leads': () => ({ items: [], total: 0, totalIsEstimate: false }),
  'GET /v1/offers': () => ({ items: [] }),
  'GET /v1/destinations': () => ({ items: [] }),
  'GET /v1/destination-kinds': () => ({ items: [webhookKind] }),
}

beforeEach(() => {
  window.history.replaceState(null, '', '/')
})

describe('signing in', () => {
  test('with a tenant key: the key goes in a header and sessionStorage, never in the URL', async () => {
    const { fetch, calls } = fakeFetch({ 'GET /v1/tenant': () => tenant, ...emptyLists })
    render(<App fetch={fetch} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('API key'), 'lr_key_secret123')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))

    expect(await screen.findByRole('heading', { name: 'No leads yet' })).toBeTruthy()
    expect(screen.getByText('Contoso')).toBeTruthy()
    expect(window.sessionStorage.getItem('leadrelay.apiKey')).toBe('lr_key_secret123')
    expect(window.location.href).not.toContain('lr_key')
    for (const call of calls) expect(call.url.href).not.toContain('lr_key')
    // Every API call carries the key; only /auth/config (what sign-in to offer) is asked without one.
    for (const call of calls.filter((call) => call.url.pathname.startsWith('/v1/'))) {
      expect(call.headers.authorization).toBe('Bearer lr_key_secret123')
      expect(call.headers['Leadrelay-Tenant']).toBeUndefined()
    }

    await user.click(screen.getByRole('button', { name: 'Sign out' }))
    expect(window.sessionStorage.getItem('leadrelay.apiKey')).toBeNull()
    expect(screen.getByLabelText('API key')).toBeTruthy()
  })

  test('an unknown key is refused with a clear message', async () => {
    const { fetch } = fakeFetch({
      'GET /v1/tenant': () => problem(401, 'UNAUTHORIZED', 'This API key is unknown or revoked', 'Authorization'),
    })
    render(<App fetch={fetch} />)
    const user = userEvent.setup()
    await user.type(screen.getByLabelText('API key'), 'lr_key_wrong')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/unknown or revoked/)
    expect(window.sessionStorage.getItem('leadrelay.apiKey')).toBeNull()
  })

  test('with an admin key: asks for a tenant, then sends it in the Leadrelay-Tenant header and can switch', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /v1/tenant': (_body, _url) => {
        const last = calls[calls.length - 1]!
        const chosen = last.headers['Leadrelay-Tenant']
        if (!chosen) {
          return problem(
            400,
            'VALIDATION_FAILED',
            'An admin key must name a tenant in the Leadrelay-Tenant header',
            'Leadrelay-Tenant',
          )
        }
        return { ...tenant, id: chosen, name: chosen === 'tnt_1' ? 'Contoso' : 'Fabrikam' }
      },
      ...emptyLists,
    })
    render(<App fetch={fetch} />)
    const user = userEvent.setup()
    expect(screen.queryByLabelText('Tenant')).toBeNull()
    await user.type(screen.getByLabelText('API key'), 'lr_key_admin')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    const tenantInput = await screen.findByLabelText('Tenant')
    await user.type(tenantInput, 'tnt_1')
    await user.click(screen.getByRole('button', { name: 'Sign in' }))
    await screen.findByRole('heading', { name: 'No leads yet' })
    expect(calls.filter((call) => call.url.pathname === '/v1/leads').at(-1)?.headers['Leadrelay-Tenant']).toBe('tnt_1')

    const switcher = screen.getByLabelText('Tenant')
    await user.clear(switcher)
    await user.type(switcher, 'tnt_2')
    await user.click(screen.getByRole('button', { name: 'Switch' }))
    await waitFor(() =>
      expect(calls.filter((call) => call.url.pathname === '/v1/leads').at(-1)?.headers['Leadrelay-Tenant']).toBe(
        'tnt_2',
      ),
    )
    expect(window.sessionStorage.getItem('leadrelay.tenant')).toBe('tnt_2')
  })
})

describe('an operator signed in as a person', () => {
  test('picks the tenant from the list, every call then names it, and a reload stays there', async () => {
    window.sessionStorage.clear()
    const tenants = [tenant, { id: 'tnt_2', name: 'Fabrikam', createdAt: '2026-11-02T00:00:00.000Z' }]
    const operator = { id: 'per_ops', name: 'Olga Ops', email: 'ops@contoso.com', role: 'owner', operator: true }
    const { fetch, calls } = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
      'GET /v1/tenant': () => {
        const chosen = calls.at(-1)!.headers['Leadrelay-Tenant'] ?? 'tnt_1'
        return { ...tenants.find((item) => item.id === chosen)!, person: operator }
      },
      'GET /v1/tenants': () => ({ items: tenants }),
      ...emptyLists,
    })
    const first = render(<App fetch={fetch} />)
    const user = userEvent.setup()
    // A text box until the list arrives, then a list of the tenants.
    await waitFor(() => expect(screen.getByLabelText('Tenant').tagName).toBe('SELECT'))
    const switcher = screen.getByLabelText('Tenant') as HTMLSelectElement
    expect([...switcher.options].map((option) => option.textContent)).toEqual(['Contoso (tnt_1)', 'Fabrikam (tnt_2)'])
    expect(switcher.value).toBe('tnt_1')
    await user.selectOptions(switcher, 'tnt_2')
    // Choosing alone changes nothing; Switch does.
    expect(calls.filter((call) => call.headers['Leadrelay-Tenant'] === 'tnt_2')).toEqual([])
    await user.click(screen.getByRole('button', { name: 'Switch' }))
    await waitFor(() =>
      expect(calls.filter((call) => call.url.pathname === '/v1/leads').at(-1)?.headers['Leadrelay-Tenant']).toBe(
        'tnt_2',
      ),
    )
    // The session cookie is the credential: no key anywhere; the choice is kept for this tab only.
    expect(calls.every((call) => call.headers.authorization === undefined)).toBe(true)
    expect(window.sessionStorage.getItem('leadrelay.tenant')).toBe('tnt_2')
    expect(window.sessionStorage.getItem('leadrelay.apiKey')).toBeNull()
    first.unmount()

    render(<App fetch={fetch} />)
    await waitFor(() => expect((screen.getByLabelText('Tenant') as HTMLSelectElement).value).toBe('tnt_2'))
    await waitFor(() =>
      expect(calls.filter((call) => call.url.pathname === '/v1/leads').at(-1)?.headers['Leadrelay-Tenant']).toBe(
        'tnt_2',
      ),
    )
  })

  test('a person who is not an operator gets no tenant switcher', async () => {
    window.sessionStorage.clear()
    const { fetch, calls } = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
      'GET /v1/tenant': () => ({
        ...tenant,
        person: { id: 'per_1', name: 'Vera Viewer', email: 'vera@contoso.com', role: 'viewer', operator: false },
      }),
      ...emptyLists,
    })
    render(<App fetch={fetch} />)
    expect(await screen.findByText('Vera Viewer')).toBeTruthy()
    expect(screen.queryByLabelText('Tenant')).toBeNull()
    expect(calls.some((call) => call.url.pathname === '/v1/tenants')).toBe(false)
  })
})

describe('signing out a person', () => {
  const person = { id: 'per_1', name: 'Vera Viewer', email: 'vera@contoso.com', role: 'viewer', operator: false }
  const endSessionUrl =
    'https://login.microsoftonline.com/organizations/oauth2/v2.0/logout?client_id=x&id_token_hint=eyJ&post_logout_redirect_uri=https%3A%2F%2Fleads.contoso.com%2Fsigned-out'

  test('Sign out ends the session here, then sends the browser to the provider to end it there', async () => {
    window.sessionStorage.clear()
    let signedIn = true
    const { fetch, calls } = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
      'GET /v1/tenant': () =>
        signedIn ? { ...tenant, person } : problem(401, 'UNAUTHORIZED', 'This session has ended; sign in again'),
      'POST /auth/logout': () => {
        signedIn = false
        return { endSessionUrl }
      },
      ...emptyLists,
    })
    const leave = vi.fn<(url: string) => void>()
    render(<App fetch={fetch} leave={leave} />)
    await screen.findByText('Vera Viewer')
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sign out' }))
    await waitFor(() => expect(leave).toHaveBeenCalledWith(endSessionUrl))
    expect(calls.filter((call) => call.url.pathname === '/auth/logout')).toHaveLength(1)
    expect(screen.getByRole('link', { name: 'Sign in with Microsoft' })).toBeTruthy()
  })

  test('a provider without end-session leaves the browser here, signed out', async () => {
    window.sessionStorage.clear()
    const { fetch } = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'oidc', apiKeySignIn: false }),
      'GET /v1/tenant': () => ({ ...tenant, person }),
      'POST /auth/logout': () => ({ endSessionUrl: null }),
      ...emptyLists,
    })
    const leave = vi.fn<(url: string) => void>()
    render(<App fetch={fetch} leave={leave} />)
    await screen.findByText('Vera Viewer')
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sign out' }))
    expect(await screen.findByText('You are signed out.')).toBeTruthy()
    expect(leave).not.toHaveBeenCalled()
  })

  test('back from the provider at /signed-out, the sign-in page says so', async () => {
    window.sessionStorage.clear()
    window.history.replaceState(null, '', '/signed-out')
    const { fetch } = fakeFetch({
      'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
      'GET /v1/tenant': () => problem(401, 'UNAUTHORIZED', 'Send your API key'),
    })
    render(<App fetch={fetch} />)
    expect(await screen.findByText('You are signed out.')).toBeTruthy()
    expect(await screen.findByRole('link', { name: 'Sign in with Microsoft' })).toBeTruthy()
  })
})

describe('creating a webhook destination', () => {
  test('shows the generated signing secret once, with a copy button and a warning', async () => {
    window.sessionStorage.setItem('leadrelay.apiKey', 'lr_key_secret123')
    window.history.replaceState(null, '', '/destinations/new')
    const created = destination({ id: 'dst_new', name: 'Hook' })
    const { fetch, calls } = fakeFetch({
      'GET /v1/tenant': () => tenant,
      ...emptyLists,
      'POST /v1/destinations': () => ({ ...created, signingSecret: 'whsec_c2VjcmV0IHNob3duIG9uY2U=' }),
      'GET /v1/destinations/dst_new': () => created,
    })
    render(<App fetch={fetch} />)
    const user = userEvent.setup()
    await user.type(await screen.findByLabelText(/^Name/), 'Hook')
    await user.type(screen.getByLabelText(/^URL/), 'https://hooks.example.com/leads')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))

    expect(await screen.findByRole('heading', { name: 'Copy this secret now' })).toBeTruthy()
    expect(screen.getByText(/only once/)).toBeTruthy()
    expect(screen.getByLabelText('Signing secret')).toHaveProperty('value', 'whsec_c2VjcmV0IHNob3duIG9uY2U=')
    await user.click(screen.getByRole('button', { name: 'Copy signing secret' }))
    // user-event stands in for the system clipboard.
    expect(await navigator.clipboard.readText()).toBe('whsec_c2VjcmV0IHNob3duIG9uY2U=')
    expect(screen.getByText('Copied')).toBeTruthy()
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({
      kind: 'webhook',
      name: 'Hook',
      config: { url: 'https://hooks.example.com/leads', format: 'leadrelay', timeoutMs: 15000 },
    })

    await user.click(screen.getByRole('button', { name: 'I have stored it — continue' }))
    expect(window.location.pathname).toBe('/destinations/dst_new')
    expect(await screen.findByRole('heading', { name: 'Hook', level: 1 })).toBeTruthy()
    // Never again: the edit page has an empty password input and no secret anywhere on the page.
    expect(document.body.textContent).not.toContain('whsec_c2VjcmV0')
    expect(screen.getByLabelText(/^Signing secret/)).toHaveProperty('value', '')
  })
})
