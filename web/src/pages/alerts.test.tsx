import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { expect, test } from 'vitest'
import type { AlertChannel, AlertChannelKind, AlertRule } from '../api/alert-types.ts'
import { createApiClient } from '../api/client.ts'
import { AccessContext } from '../lib/access.ts'
import { ApiContext } from '../lib/api-context.ts'
import { fakeFetch } from '../test/fixtures.ts'
import { AlertsPage } from './alerts.tsx'

const kinds: AlertChannelKind[] = [
  {
    kind: 'teams',
    displayName: 'Microsoft Teams',
    configSchema: { properties: {} },
    secretFields: [{ name: 'webhookUrl', label: 'Workflow webhook URL', required: true }],
  },
  {
    kind: 'email',
    displayName: 'Email',
    configSchema: { properties: { to: { type: 'array', description: 'Who gets the alert' } } },
    secretFields: [],
  },
]

function portal(role: 'viewer' | 'editor' = 'editor') {
  const channels: AlertChannel[] = []
  const rules: AlertRule[] = []
  const fake = fakeFetch({
    'GET /v1/alert-channel-kinds': () => ({ items: kinds }),
    'GET /v1/alert-channels': () => ({ items: channels }),
    'GET /v1/alert-rules': () => ({ items: rules }),
    'GET /v1/alert-digest': () => ({ frequency: 'off', emails: [] }),
    'PUT /v1/alert-digest': (body) => body,
    'POST /v1/alert-channels': (body) => {
      const input = body as { kind: string; name: string; config: Record<string, unknown> }
      const channel = {
        id: `ach_${channels.length + 1}`,
        kind: input.kind,
        name: input.name,
        config: input.config,
        hasSecrets: true,
        createdAt: '2026-11-25T12:00:00.000Z',
        updatedAt: '2026-11-25T12:00:00.000Z',
      }
      channels.push(channel)
      return channel
    },
    'POST /v1/alert-rules': (body) => {
      const rule = { id: `arl_${rules.length + 1}`, ...(body as Omit<AlertRule, 'id'>) }
      rules.push(rule)
      return rule
    },
    'POST /v1/alert-channels/ach_1/test': () => ({
      channelId: 'ach_1',
      name: 'Sales channel',
      kind: 'teams',
      ok: false,
      status: 404,
      failureKind: 'rejected',
      reason: 'The webhook URL is not known to Teams.',
    }),
  })
  render(
    <ApiContext.Provider value={createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })}>
      <AccessContext.Provider value={role}>
        <AlertsPage />
      </AccessContext.Provider>
    </ApiContext.Provider>,
  )
  return fake
}

test('creates a Teams channel with a write-only webhook URL, tests it, then a rule that tells it', async () => {
  const fake = portal()
  const user = userEvent.setup()
  const channelForm = await screen.findByRole('form', { name: 'New channel' })
  await user.type(within(channelForm).getByLabelText('Name'), 'Sales channel')
  const secret = within(channelForm).getByLabelText('Workflow webhook URL')
  expect(secret).toHaveProperty('type', 'password')
  await user.type(secret, 'https://prod.westus.logic.azure.com/workflows/1?sig=SECRET')
  await user.click(within(channelForm).getByRole('button', { name: 'Create channel' }))

  await screen.findByText('Channel Sales channel created.')
  const created = fake.calls.find((call) => call.method === 'POST' && call.url.pathname === '/v1/alert-channels')
  expect(created?.body).toEqual({
    kind: 'teams',
    name: 'Sales channel',
    config: {},
    secrets: { webhookUrl: 'https://prod.westus.logic.azure.com/workflows/1?sig=SECRET' },
  })
  // The typed secret does not stay on the page.
  expect(within(channelForm).getByLabelText('Workflow webhook URL')).toHaveProperty('value', '')
  const channels = await screen.findByRole('table', { name: 'Alert channels' })
  expect(within(channels).getByText('Microsoft Teams')).toBeTruthy()

  await user.click(within(channels).getByRole('button', { name: 'Send test alert to Sales channel' }))
  expect((await screen.findByText(/Test alert to Sales channel failed \(HTTP 404\)/)).textContent).toBe(
    'Test alert to Sales channel failed (HTTP 404): The webhook URL is not known to Teams.',
  )

  const ruleForm = screen.getByRole('form', { name: 'New rule' })
  await user.type(within(ruleForm).getByLabelText('Name'), 'Contact me on CRM Suite')
  await user.selectOptions(within(ruleForm).getByLabelText('When a lead first reaches'), 'initial_interest')
  await user.type(within(ruleForm).getByLabelText(/^Offers/), 'contoso.crm-suite, contoso.erp')
  await user.type(within(ruleForm).getByLabelText(/^Countries/), 'us,de')
  await user.click(within(ruleForm).getByRole('button', { name: 'Create rule' }))
  expect((await within(ruleForm).findByRole('alert')).textContent).toBe('Choose at least one channel to tell.')
  await user.click(within(ruleForm).getByLabelText('Sales channel'))
  await user.click(within(ruleForm).getByRole('button', { name: 'Create rule' }))

  const rules = await screen.findByRole('table', { name: 'Alert rules' })
  const posted = fake.calls.find((call) => call.method === 'POST' && call.url.pathname === '/v1/alert-rules')
  expect(posted?.body).toEqual({
    name: 'Contact me on CRM Suite',
    enabled: true,
    criteria: {
      stage: 'initial_interest',
      offers: ['contoso.crm-suite', 'contoso.erp'],
      sources: [],
      countries: ['us', 'de'],
      includeTest: false,
    },
    channelIds: ['ach_1'],
  })
  const row = within(rules).getAllByRole('row')[1]!
  expect(within(row).getAllByRole('cell')[2]?.textContent).toBe('Sales channel')
})

test('a viewer sees rules and channels and may test, but gets no forms', async () => {
  portal('viewer')
  await screen.findByText('No channels yet')
  expect(screen.queryByRole('form', { name: 'New channel' })).toBeNull()
  expect(screen.queryByRole('form', { name: 'New rule' })).toBeNull()
})

test('the digest: how often and to whom', async () => {
  const fake = portal()
  const user = userEvent.setup()
  const form = await screen.findByRole('form', { name: 'Digest' })
  await user.selectOptions(within(form).getByLabelText('How often'), 'daily')
  await user.type(within(form).getByLabelText(/^Send to/), 'sales@contoso.com, ceo@contoso.com')
  await user.click(within(form).getByRole('button', { name: 'Save digest' }))
  await screen.findByText('The daily digest goes to sales@contoso.com, ceo@contoso.com.')
  const put = fake.calls.find((call) => call.method === 'PUT' && call.url.pathname === '/v1/alert-digest')
  expect(put?.body).toEqual({ frequency: 'daily', emails: ['sales@contoso.com', 'ceo@contoso.com'] })
})
