import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test, vi } from 'vitest'
import { ApiError } from '../api/client.ts'
import { connectorKinds } from '../test/destination-kinds.ts'
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
    // A setting with a default has no "Not set": empty would mean the default anyway.
    expect([...format.options].map((option) => option.value)).toEqual(['leadrelay', 'microsoft'])
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
    expect(screen.getByText(/Leave a field empty to keep the stored secret/)).toBeTruthy()
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
    // A nested object is a group of its own fields; a list of strings is one item per line.
    const fieldMap = screen.getByRole('group', { name: 'Field map' })
    const omit = within(fieldMap).getByLabelText(/^Omit/)
    expect(omit.tagName).toBe('TEXTAREA')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).not.toHaveBeenCalled()
    expect(screen.getByText('This does not have the expected format')).toBeTruthy()
    expect(screen.getByText('Client secret is required')).toBeTruthy()

    await user.clear(screen.getByLabelText(/^Client ID/))
    await user.type(screen.getByLabelText(/^Client ID/), '0123abcd')
    await user.type(omit, 'phone{Enter}{Enter} company ')
    await user.clear(screen.getByLabelText(/^Lead source code/))
    await user.click(screen.getByLabelText('Suspend'))
    await user.type(screen.getByLabelText(/^Client secret/), 's3cret')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).toHaveBeenCalledWith({
      name: 'CRM',
      config: { clientId: '0123abcd', leadSourceCode: null, suspend: true, fieldMap: { omit: ['phone', 'company'] } },
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

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const kindOf = (name: string) => {
  const kind = connectorKinds[name]
  if (!kind) throw new Error(`no ${name} kind in the copy`)
  return kind
}

describe('the CRM connectors, as the API describes them', () => {
  test('Salesforce: the choice between REST API and Web-to-Lead is drawn, each with its own fields', async () => {
    const { onSubmit, user } = renderForm({ kind: kindOf('salesforce') })
    const choice = screen.getByRole('group', { name: 'Connection method' })
    const api = within(choice).getByRole('radio', { name: 'REST API (recommended)' }) as HTMLInputElement
    const webToLead = within(choice).getByRole('radio', { name: 'Web-to-Lead (no credentials)' }) as HTMLInputElement
    expect(api.checked).toBe(true)
    // The field Create used to fail on is there, required, in Salesforce's words with where to find it.
    expect(screen.getByLabelText(/^My Domain URL \(required\)/)).toBeTruthy()
    expect(screen.getByText(/Setup → My Domain/)).toBeTruthy()
    const method = screen.getByLabelText(/^Authentication method/) as HTMLSelectElement
    expect([...method.options].map((option) => option.text)).toEqual([
      'Client credentials (Consumer Key and Consumer Secret)',
      'JWT bearer (Consumer Key and certificate private key)',
    ])
    expect(screen.queryByLabelText(/^Integration user username/)).toBeNull()
    const credentials = screen.getByRole('group', { name: 'Credentials' })
    expect(within(credentials).getByLabelText(/^Consumer Key \(required\)/)).toHaveProperty('type', 'password')
    expect(within(credentials).getByLabelText(/^Consumer Secret \(required\)/)).toHaveProperty('type', 'password')
    expect(within(credentials).getAllByText(/App Manager → your connected app/)).toHaveLength(2)
    expect(within(credentials).queryByLabelText(/^Private key/)).toBeNull()

    await user.type(screen.getByLabelText(/^Name/), 'Salesforce')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).not.toHaveBeenCalled()
    expect(screen.getByText('My Domain URL is required')).toBeTruthy()
    expect(screen.getByText('Consumer Secret is required')).toBeTruthy()

    // The JWT bearer flow asks for the username and the private key instead of the consumer secret.
    await user.selectOptions(method, 'jwt_bearer')
    expect(screen.getByLabelText(/^Integration user username/)).toBeTruthy()
    expect(screen.queryByLabelText(/^Consumer Secret/)).toBeNull()
    const key = screen.getByLabelText(/^Private key \(PEM\) \(required\)/)
    expect(key.tagName).toBe('TEXTAREA')
    await user.type(screen.getByLabelText(/^My Domain URL/), 'https://acme.my.salesforce.com')
    await user.type(screen.getByLabelText(/^Integration user username/), 'leadrelay@acme.example')
    await user.type(screen.getByLabelText(/^Consumer Key/), '3MVG9.key')
    await user.click(key)
    await user.paste('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).toHaveBeenCalledTimes(1)
    const sent = onSubmit.mock.calls[0]![0]
    expect(sent.config).toMatchObject({
      mode: 'api',
      loginUrl: 'https://acme.my.salesforce.com',
      authFlow: 'jwt_bearer',
      username: 'leadrelay@acme.example',
      externalIdField: 'Leadrelay_Id__c',
    })
    expect(sent.secrets).toEqual({
      clientId: '3MVG9.key',
      privateKey: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
    })

    // Web-to-Lead: the organization id, no credentials at all.
    await user.click(webToLead)
    expect(screen.queryByLabelText(/^My Domain URL/)).toBeNull()
    expect(screen.queryByRole('group', { name: 'Credentials' })).toBeNull()
    await user.type(screen.getByLabelText(/^Organization ID/), '00D5g000004SdXy')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit).toHaveBeenCalledTimes(2)
    expect(onSubmit.mock.calls[1]![0]).toMatchObject({
      config: { mode: 'web-to-lead', oid: '00D5g000004SdXy' },
      secrets: {},
    })
  })

  test('Salesforce: editing opens the stored shape; secrets stay empty and are kept unless typed', async () => {
    const stored = destination({
      kind: 'salesforce',
      name: 'Salesforce',
      config: { mode: 'web-to-lead', oid: '00D5g000004SdXy', servletUrl: 'https://webto.salesforce.com/servlet' },
    })
    const { onSubmit, user } = renderForm({ kind: kindOf('salesforce'), destination: stored, submitLabel: 'Save' })
    expect(screen.getByRole('radio', { name: 'Web-to-Lead (no credentials)' })).toHaveProperty('checked', true)
    expect(screen.getByLabelText(/^Organization ID/)).toHaveProperty('value', '00D5g000004SdXy')
    // Switching to the REST API shows its credentials as optional: empty keeps what is stored.
    await user.click(screen.getByRole('radio', { name: 'REST API (recommended)' }))
    const consumerKey = screen.getByLabelText(/^Consumer Key \(optional\)/) as HTMLInputElement
    expect(consumerKey.value).toBe('')
    expect(consumerKey.placeholder).toMatch(/leave empty to keep the stored secret/)
    await user.type(screen.getByLabelText(/^My Domain URL/), 'https://acme.my.salesforce.com')
    await user.type(screen.getByLabelText(/^Consumer Secret/), 'new-secret')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect(onSubmit.mock.calls[0]![0].config).toMatchObject({ mode: 'api', loginUrl: 'https://acme.my.salesforce.com' })
    expect(onSubmit.mock.calls[0]![0].secrets).toEqual({ clientSecret: 'new-secret' })
  })

  test.each([
    ['dynamics365', ['Environment URL', 'Directory (tenant) ID', 'Application (client) ID'], ['Client secret (Value)']],
    ['hubspot', ['API base URL'], ['Private app access token']],
    ['marketo', ['Munchkin ID', 'REST API Endpoint'], ['Client ID', 'Client Secret']],
    ['azure-table', ['Table name', 'Column layout'], ['Connection string', 'Table service SAS URL']],
  ])(
    '%s: settings and credentials in the vendor’s words, secrets as write-only password inputs',
    (name, settings, secrets) => {
      renderForm({ kind: kindOf(name) })
      for (const label of settings) expect(screen.getByLabelText(new RegExp(`^${escaped(label)}`))).toBeTruthy()
      const credentials = screen.getByRole('group', { name: 'Credentials' })
      for (const label of secrets) {
        const input = within(credentials).getByLabelText(new RegExp(`^${escaped(label)} \\(`)) as HTMLInputElement
        expect(input.type).toBe('password')
        expect(input.getAttribute('aria-describedby')).toMatch(/-help/)
      }
    },
  )

  test('Dynamics 365: the alternate key column shows only when matching by alternate key', async () => {
    const { user } = renderForm({ kind: kindOf('dynamics365') })
    expect(screen.queryByLabelText(/^Alternate key column/)).toBeNull()
    await user.selectOptions(screen.getByLabelText(/^Match leads by/), 'alternateKey')
    expect(screen.getByLabelText(/^Alternate key column/)).toHaveProperty('value', 'leadrelay_leadid')
  })

  test('HubSpot: a nested object is drawn as its own fields with their defaults and sent as an object', async () => {
    const { onSubmit, user } = renderForm({ kind: kindOf('hubspot') })
    const stages = screen.getByRole('group', { name: 'Lifecycle stage per funnel stage' })
    const trial = within(stages).getByLabelText(/^Trial/) as HTMLInputElement
    expect(trial.value).toBe('lead')
    await user.clear(trial)
    await user.type(screen.getByLabelText(/^Name/), 'HubSpot')
    await user.type(screen.getByLabelText(/^Private app access token/), 'pat-na1-token')
    await user.click(screen.getByRole('button', { name: 'Create destination' }))
    expect(onSubmit.mock.calls[0]![0].config.lifecycleStages).toEqual({
      trial: null,
      initial_interest: 'marketingqualifiedlead',
      active: 'salesqualifiedlead',
      customer: 'customer',
    })
    expect(onSubmit.mock.calls[0]![0].secrets).toEqual({ accessToken: 'pat-na1-token' })
  })
})

describe('secret header records', () => {
  const kind = {
    ...webhookKind,
    secretFields: [
      ...webhookKind.secretFields,
      {
        name: 'headers',
        label: 'Secret headers',
        required: false,
        headerRecord: true,
        help: 'Sent with every request.',
      },
    ],
  }

  test('stored names are listed, never their values; new ones are sent, removed ones as null', async () => {
    const stored = { ...destination(), secretHeaders: ['X-Api-Key'] }
    const { onSubmit, user } = renderForm({ kind, destination: stored, submitLabel: 'Save' })
    const group = screen.getByRole('group', { name: 'Secret headers' })
    expect(within(group).getByText('X-Api-Key')).toBeTruthy()
    await user.click(within(group).getByRole('button', { name: 'Remove stored secret headers X-Api-Key' }))
    await user.click(within(group).getByRole('button', { name: 'Add secret header' }))
    await user.type(within(group).getByLabelText('Secret headers 1: name'), 'Authorization')
    const value = within(group).getByLabelText('Secret headers 1: value') as HTMLInputElement
    expect(value.type).toBe('password')
    await user.type(value, 'Bearer abc')
    await user.click(screen.getByRole('button', { name: 'Save' }))
    expect(onSubmit.mock.calls[0]![0].secrets).toEqual({ headers: { 'X-Api-Key': null, Authorization: 'Bearer abc' } })
  })
})
