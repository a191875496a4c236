import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client.ts'
import type { ApiKey, IngestToken } from '../api/types.ts'
import { ApiKeys, IngestUrl, type KeysApi } from './api-keys.tsx'

function key(overrides: Partial<ApiKey>): ApiKey {
  return {
    id: 'key_1',
    name: 'created with the tenant',
    scopes: ['admin'],
    hint: 'lr_key_AbCd…',
    createdAt: '2026-11-25T12:00:00.000Z',
    revokesAt: null,
    ...overrides,
  }
}

/** An API with the server's behaviour for keys: a list that creation, rotation and revocation change. */
function fakeApi(initial: ApiKey[], tokens: IngestToken[] = []) {
  let keys = [...initial]
  const api = {
    listKeys: vi.fn(async () => ({ items: keys })),
    createKey: vi.fn(async (input: { name: string; scopes: ApiKey['scopes'][number][] }) => {
      const created = key({
        id: `key_${keys.length + 1}`,
        name: input.name,
        scopes: input.scopes,
        hint: 'lr_key_New1…',
      })
      keys = [...keys, created]
      return { ...created, key: 'lr_key_New1secretsecret' }
    }),
    rotateKey: vi.fn(async (id: string) => {
      const old = keys.find((candidate) => candidate.id === id)!
      const rotated = key({ ...old, id: `${id}_r`, hint: 'lr_key_Rot1…' })
      keys = keys.map((candidate) => (candidate.id === id ? rotated : candidate))
      return { ...rotated, key: 'lr_key_Rot1secretsecret', previous: old }
    }),
    revokeKey: vi.fn(async (id: string) => {
      keys = keys.filter((candidate) => candidate.id !== id)
    }),
    listIngestTokens: vi.fn(async () => ({ items: tokens })),
    rotateIngestToken: vi.fn(async (overlapHours: number) => {
      tokens = [
        { id: 'itk_2', current: true, hint: 'lr_in_Zz…', createdAt: '2026-11-25T12:00:00.000Z', revokesAt: null },
        ...tokens.map((token) => ({ ...token, current: false, revokesAt: '2026-11-28T12:00:00.000Z' })),
      ]
      return {
        ...tokens[0]!,
        ingestToken: 'lr_in_Zzsecret',
        ingestUrl: `https://leads.contoso.com/ingest/microsoft/lr_in_Zzsecret?overlap=${overlapHours}`,
        tokens,
      }
    }),
    revokeIngestToken: vi.fn(async (id: string) => {
      tokens = tokens.filter((token) => token.id !== id)
    }),
  }
  return api satisfies KeysApi
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('API keys on the settings page', () => {
  test('lists keys with scopes and hints, never a secret; creating one shows its key once with a copy button', async () => {
    const api = fakeApi([key({}), key({ id: 'key_2', name: 'CRM script', scopes: ['ingest'], hint: 'lr_key_Xy12…' })])
    render(<ApiKeys api={api as unknown as KeysApi} signedInKeyId="key_1" />)
    const user = userEvent.setup()
    const table = await screen.findByRole('table')
    const script = within(table).getByText('CRM script').closest('tr')!
    expect(within(script).getByText('ingest')).toBeTruthy()
    expect(within(script).getByText('lr_key_Xy12…')).toBeTruthy()
    expect(within(table).getByText('(this portal)')).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Create key' }))
    expect(screen.getByText(/Give the key a name/)).toBeTruthy()
    expect(api.createKey).not.toHaveBeenCalled()

    await user.type(screen.getByLabelText('Name'), 'Portal viewer')
    // Read is ticked by default; add ingest, then untick read again.
    await user.click(screen.getByLabelText(/^Ingest/))
    await user.click(screen.getByLabelText(/^Read/))
    await user.click(screen.getByRole('button', { name: 'Create key' }))
    expect(api.createKey).toHaveBeenCalledWith({ name: 'Portal viewer', scopes: ['ingest'] })
    const reveal = await screen.findByRole('region', { name: /API key "Portal viewer" created/ })
    expect(within(reveal).getByLabelText('API key')).toHaveProperty('value', 'lr_key_New1secretsecret')
    expect(within(reveal).getByRole('button', { name: 'Copy api key' })).toBeTruthy()
    await waitFor(() => expect(within(screen.getByRole('table')).getByText('Portal viewer')).toBeTruthy())

    await user.click(within(reveal).getByRole('button', { name: 'I have stored it' }))
    expect(screen.queryByDisplayValue('lr_key_New1secretsecret')).toBeNull()
  })

  test('revoke asks first and does nothing when cancelled; rotate shows the new secret', async () => {
    const api = fakeApi([key({}), key({ id: 'key_2', name: 'CRM script', scopes: ['ingest'] })])
    render(<ApiKeys api={api as unknown as KeysApi} />)
    const user = userEvent.setup()
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false)

    await user.click(await screen.findByRole('button', { name: 'Revoke CRM script' }))
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining('"CRM script"'))
    expect(api.revokeKey).not.toHaveBeenCalled()

    confirm.mockReturnValue(true)
    await user.click(screen.getByRole('button', { name: 'Revoke CRM script' }))
    expect(api.revokeKey).toHaveBeenCalledWith('key_2')
    await waitFor(() => expect(screen.queryByText('CRM script')).toBeNull())
    expect(screen.getByText('Revoked "CRM script".')).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Rotate created with the tenant' }))
    expect(api.rotateKey).toHaveBeenCalledWith('key_1')
    expect(await screen.findByDisplayValue('lr_key_Rot1secretsecret')).toBeTruthy()
  })

  test('a refused call is said, with its code', async () => {
    const api = fakeApi([key({})])
    api.revokeKey.mockRejectedValueOnce(new ApiError(409, 'CONFLICT', 'This is the last admin key of the tenant'))
    vi.spyOn(window, 'confirm').mockReturnValue(true)
    render(<ApiKeys api={api as unknown as KeysApi} />)
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Revoke created with the tenant' }))
    expect(await screen.findByText('This is the last admin key of the tenant (CONFLICT)')).toBeTruthy()
    expect(screen.getByText('created with the tenant')).toBeTruthy()
  })
})

describe('the ingest URL on the settings page', () => {
  test('rotates with the chosen overlap, shows the new URL once, and can stop the previous one', async () => {
    const api = fakeApi(
      [],
      [{ id: 'itk_1', current: true, hint: 'lr_in_Aa…', createdAt: '2026-11-01T00:00:00.000Z', revokesAt: null }],
    )
    render(<IngestUrl api={api as unknown as KeysApi} />)
    const user = userEvent.setup()
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true)

    const overlap = await screen.findByLabelText('Keep the current URL working for')
    expect(overlap).toHaveProperty('value', '72')
    await user.selectOptions(overlap, '24')
    await user.click(screen.getByRole('button', { name: 'Replace the ingest URL' }))
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining('24 hours'))
    expect(api.rotateIngestToken).toHaveBeenCalledWith(24)
    expect(await screen.findByLabelText('Ingest URL')).toHaveProperty(
      'value',
      'https://leads.contoso.com/ingest/microsoft/lr_in_Zzsecret?overlap=24',
    )
    expect(await screen.findByText(/Previous URL/)).toBeTruthy()

    await user.click(screen.getByRole('button', { name: 'Stop it now' }))
    expect(api.revokeIngestToken).toHaveBeenCalledWith('itk_1')
    await waitFor(() => expect(screen.queryByText(/Previous URL/)).toBeNull())
  })
})
