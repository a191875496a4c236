import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client.ts'
import { crmKind, destination, webhookKind } from '../test/fixtures.ts'
import { DestinationForm, type DestinationFormValues } from './destination-form.tsx'

function renderForm(props: Partial<Parameters<typeof DestinationForm>[0]> = {}) {
  const onSubmit = vi.fn<(values: DestinationFormValues) => Promise<void>>(async () => {})
  render(<DestinationForm kind={webhookKind} submitLabel="Create destination" onSubmit={onSubmit} {...props} />)
  return { onSubmit, user: userEvent.setup() }
}

describe('the destination form generated from a config schema', () => {
  test('has one labelled input per schema property, with defaults and descriptions', () => {
    renderForm()
    const url = screen.getByLabelText(/^URL/)
    expect(url).toHaveProperty('value', '')
    expect(url.getAttribute('aria-required')).toBe('true')
    expect(screen.getByText(/Where leads are POSTed/)).toBeTruthy()
    const format = screen.getByLabelText(/^Format/) as HTMLSelectElement
    expect(format.tagName).toBe('SELECT')
    expect([...format.options].map((option) => option.value)).toEqual(['', 'leadrelay', 'microsoft'])
    expect(format.value).toBe('leadrelay')
    expect(screen.getByLabelText(/^Timeout \(ms\)/)).toHaveProperty('value', '15000')
    expect(screen.getByRole('group', { name: 'Headers' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Add header' })).toBeTruthy()
  })

  test('shows what is wrong next to each field and does not submit', async () => {
    const { onSubmit, user } = renderForm()
    await user.clear(screen.getByLabelText(/^Timeout/))
    await user.type(screen.getByLabelText(/^Timeout/), '500')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).not.toHaveBeenCalled()
    expect(screen.getByText('Give the destination a name')).toBeTruthy()
    expect(screen.getByText('URL is required')).toBeTruthy()
    expect(screen.getByText('Must be between 1000 and 30000')).toBeTruthy()
    const url = screen.getByLabelText(/^URL/)
    expect(url.getAttribute('aria-invalid')).toBe('true')
    expect(url.getAttribute('aria-describedby')).toContain('destination-url-error')
    // Focus moves to the first field at fault.
    expect(document.activeElement?.id).toBe('destination-name')

    await user.type(url, 'not a url')
    await user.tab()
    expect(screen.getByText('Enter a full URL starting with https://')).toBeTruthy()
    await user.clear(url)
    await user.type(url, 'https://hooks.example.com/leads')
    expect(screen.queryByText('Enter a full URL starting with https://')).toBeNull()
  })

  test('submits typed config, leaves empty optional fields and the empty secret out', async () => {
    const { onSubmit, user } = renderForm()
    await user.type(screen.getByLabelText(/^Name/), 'Sales webhook')
    await user.type(screen.getByLabelText(/^URL/), 'https://hooks.example.com/leads')
    await user.selectOptions(screen.getByLabelText(/^Format/), 'microsoft')
    await user.click(screen.getByRole('button', { name: 'Add header' }))
    await user.type(screen.getByLabelText('Headers 1: name'), 'X-Api-Key')
    await user.type(screen.getByLabelText('Headers 1: value'), 'abc')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).toHaveBeenCalledWith({
      name: 'Sales webhook',
      config: {
        url: 'https://hooks.example.com/leads',
        format: 'microsoft',
        timeoutMs: 15000,
        headers: { 'X-Api-Key': 'abc' },
      },
      secrets: {},
    })
  })

  test('secrets are write-only: a password input, never filled in when editing, sent only when typed', async () => {
    const stored = destination({ config: { url: 'https://hooks.example.com/leads', format: 'leadrelay' } })
    const { onSubmit, user } = renderForm({ destination: stored, submitLabel: 'Save changes' })
    const secret = screen.getByLabelText(/^Signing secret/) as HTMLInputElement
    expect(secret.type).toBe('password')
    expect(secret.value).toBe('')
    expect(secret.placeholder).toMatch(/Stored/)
    expect(screen.getByText(/Leave a field empty to keep the stored value/)).toBeTruthy()
    expect(screen.getByLabelText(/^URL/)).toHaveProperty('value', 'https://hooks.example.com/leads')

    await user.click(screen.getByRole('button', { name: 'Save changes' }))
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ secrets: {} }))

    await user.type(secret, 'whsec_bmV3IHNlY3JldCBmb3IgdGVzdHM=')
    await user.click(screen.getByRole('button', { name: 'Save changes' }))
    expect(onSubmit).toHaveBeenLastCalledWith(
      expect.objectContaining({ secrets: { signingSecret: 'whsec_bmV3IHNlY3JldCBmb3IgdGVzdHM=' } }),
    )
    // After saving, the typed secret is gone from the form.
    expect(secret.value).toBe('')
  })

  test('patterns, nullable numbers, booleans, nested objects and required secrets of other connectors', async () => {
    const { onSubmit, user } = renderForm({ kind: crmKind })
    await user.type(screen.getByLabelText(/^Name/), 'CRM')
    await user.type(screen.getByLabelText(/^Client ID/), 'XYZ')
    expect(screen.getByLabelText(/^Lead source code/)).toHaveProperty('value', '8')
    const fieldMap = screen.getByLabelText(/^Field map/)
    expect(fieldMap.tagName).toBe('TEXTAREA')
    await user.type(fieldMap, '{{"omit": ')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).not.toHaveBeenCalled()
    expect(screen.getByText('This does not have the expected format')).toBeTruthy()
    expect(screen.getByText(/^Not valid JSON/)).toBeTruthy()
    expect(screen.getByText('Client secret is required')).toBeTruthy()

    await user.clear(screen.getByLabelText(/^Client ID/))
    await user.type(screen.getByLabelText(/^Client ID/), '0123abcd')
    await user.clear(fieldMap)
    await user.click(fieldMap)
    await user.paste('{"omit": ["phone"]}')
    await user.clear(screen.getByLabelText(/^Lead source code/))
    await user.click(screen.getByLabelText('Suspend'))
    await user.type(screen.getByLabelText(/^Client secret/), 's3cret')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).toHaveBeenCalledWith({
      name: 'CRM',
      config: { clientId: '0123abcd', leadSourceCode: null, suspend: true, fieldMap: { omit: ['phone'] } },
      secrets: { clientSecret: 's3cret' },
    })
  })

  test("the server's verdict lands on the field it names", async () => {
    const onSubmit = vi.fn(async () => {
      throw new ApiError(400, 'VALIDATION_FAILED', 'config.url: Invalid URL', 'config.url')
    })
    const { user } = renderForm({ onSubmit })
    await user.type(screen.getByLabelText(/^Name/), 'Hook')
    await user.type(screen.getByLabelText(/^URL/), 'https://hooks.example.com/x')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    const url = screen.getByLabelText(/^URL/)
    expect(url.getAttribute('aria-invalid')).toBe('true')
    const field = url.closest('.field') as HTMLElement
    expect(within(field).getByText('Invalid URL')).toBeTruthy()
  })
})
