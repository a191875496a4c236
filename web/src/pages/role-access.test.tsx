/**
 * Every page hides or disables what the signed-in role cannot use and says why (the API refuses it with 403 anyway):
 * viewers read, editors also change offers, replay and edit alerts, admins also destinations, routes and settings.
 */

import { render, screen, waitFor, within } from '@testing-library/react'
import type { ReactNode } from 'react'
import { beforeEach, describe, expect, test, vi } from 'vitest'
import { createApiClient } from '../api/client.ts'
import type { Offer, Role } from '../api/types.ts'
import { AccessContext } from '../lib/access.ts'
import { ApiContext } from '../lib/api-context.ts'
import { delivery, destination, fakeFetch, lead, webhookKind } from '../test/fixtures.ts'
import { AlertsPage } from './alerts.tsx'
import { DeliveriesPage } from './deliveries.tsx'
import { DestinationPage, NewDestinationPage } from './destination.tsx'
import { DestinationsPage } from './destinations.tsx'
import { LeadPage } from './lead.tsx'
import { OfferPage } from './offer.tsx'
import { OffersPage } from './offers.tsx'
import { PeoplePage } from './people.tsx'
import { SettingsPage } from './settings.tsx'

const webhook = destination({ id: 'dst_1', name: 'Sales webhook' })
const offer: Offer = {
  id: 'contoso.crm-suite',
  title: 'Contoso CRM Suite',
  aliases: ['Contoso CRM Suite'],
  destinations: [webhook.id],
  status: 'live',
  publishedAt: '2026-11-20T10:00:00.000Z',
  createdAt: '2026-11-01T10:00:00.000Z',
  updatedAt: '2026-11-20T10:00:00.000Z',
}
const deadDelivery = delivery({ id: 'dlv_1', destinationId: webhook.id, state: 'dead' })

/** Disabled by its own attribute or by a disabled fieldset around it (the `disabled` property sees only the first). */
const isDisabled = (element: Element) => element.matches(':disabled')

/** A server answering every read the pages make. */
function server() {
  return fakeFetch({
    'GET /v1/tenant': () => ({ id: 'tnt_1', name: 'Contoso', createdAt: '2026-11-01T00:00:00.000Z' }),
    'GET /v1/offers': () => ({ items: [offer] }),
    'GET /v1/offers/contoso.crm-suite': () => offer,
    'GET /v1/destinations': () => ({ items: [webhook] }),
    'GET /v1/destinations/dst_1': () => webhook,
    'GET /v1/destinations/dst_1/attempts': () => ({
      items: [],
      successRate: {
        last24h: { attempts: 0, delivered: 0, rate: null },
        last7d: { attempts: 0, delivered: 0, rate: null },
      },
    }),
    'GET /v1/destination-kinds': () => ({ items: [webhookKind] }),
    'GET /v1/routes/default': () => ({ destinations: [] }),
    'GET /v1/deliveries': () => ({ items: [deadDelivery], total: 1, totalIsEstimate: false }),
    'GET /v1/deliveries/troubles': () => ({
      items: [{ trouble: 'dead', destinationId: webhook.id, reason: 'HTTP 400', count: 1 }],
    }),
    'GET /v1/leads/lead_1': () => ({ ...lead(), events: [], deliveries: [deadDelivery] }),
    'GET /v1/leads/lead_1/subscriptions': () => ({ items: [] }),
    'GET /v1/leads/lead_1/alerts': () => ({ items: [] }),
    'GET /v1/alert-channel-kinds': () => ({
      items: [
        {
          kind: 'teams',
          displayName: 'Microsoft Teams',
          configSchema: { properties: {} },
          secretFields: [{ name: 'webhookUrl', label: 'Workflow webhook URL', required: true }],
        },
      ],
    }),
    'GET /v1/alert-channels': () => ({
      items: [{ id: 'ach_1', kind: 'teams', name: 'Sales channel', config: {}, hasSecrets: true }],
    }),
    'GET /v1/alert-rules': () => ({ items: [] }),
    'GET /v1/alert-digest': () => ({ frequency: 'off', emails: [] }),
    'GET /v1/tenant/notifications': () => ({ emails: ['ops@contoso.com'] }),
    'GET /v1/tenant/retention': () => {
      const values = { attemptsDays: 90, leadEventsIdleMonths: 24, auditMonths: 24 }
      const limits = {
        attemptsDays: { min: 7, max: 3650 },
        leadEventsIdleMonths: { min: 1, max: 240 },
        auditMonths: { min: 1, max: 240 },
      }
      return { ...values, defaults: values, limits }
    },
    'GET /v1/keys': () => ({ items: [] }),
    'GET /v1/tenant/ingest-tokens': () => ({ items: [] }),
    'GET /v1/tenant/sign-in': () => ({ entraTenantId: null, role: 'viewer' }),
    'GET /v1/subscription-source': () => ({
      entraTenantId: '6f1c1d2e-0000-4000-8000-00000000c0de',
      clientId: '11111111-2222-4333-8444-555555555555',
      hasSecret: true,
      enabled: true,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
    }),
    'GET /auth/config': () => ({ oidc: true, provider: 'microsoft', apiKeySignIn: false }),
    'GET /v1/audit': () => ({ items: [] }),
    'GET /v1/people': () => ({ items: [] }),
  })
}

function renderAs(role: Role, page: ReactNode) {
  const fake = server()
  render(
    <ApiContext.Provider value={createApiClient({ fetch: fake.fetch })}>
      <AccessContext.Provider value={role}>{page}</AccessContext.Provider>
    </ApiContext.Provider>,
  )
  return fake
}

const note = (role: Role, needed: Role, what: string) =>
  `Your role is ${role}: ${what} needs ${needed}${needed === 'owner' ? '' : ' or above'}.`

beforeEach(() => {
  window.history.replaceState(null, '', '/')
  vi.restoreAllMocks()
})

describe('offers', () => {
  test('a viewer gets no New offer and a read-only default route, and is told why', async () => {
    renderAs('viewer', <OffersPage />)
    await screen.findByText('Contoso CRM Suite')
    expect(screen.queryByRole('link', { name: 'New offer' })).toBeNull()
    expect(screen.getByText(note('viewer', 'editor', 'adding, changing or publishing offers'))).toBeTruthy()
    const box = await screen.findByRole('checkbox', { name: 'Sales webhook' })
    expect(isDisabled(box)).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save default route' })).toBeNull()
    expect(screen.getByText(note('viewer', 'admin', 'changing the default route'))).toBeTruthy()
  })

  test('an editor adds offers but leaves the default route to admins; an admin changes it', async () => {
    renderAs('editor', <OffersPage />)
    expect(await screen.findByRole('link', { name: 'New offer' })).toBeTruthy()
    expect(screen.queryByText(/adding, changing or publishing offers needs/)).toBeNull()
    expect(isDisabled(await screen.findByRole('checkbox', { name: 'Sales webhook' }))).toBe(true)
    expect(screen.getByText(note('editor', 'admin', 'changing the default route'))).toBeTruthy()
  })

  test('an admin saves the default route', async () => {
    renderAs('admin', <OffersPage />)
    const box = await screen.findByRole('checkbox', { name: 'Sales webhook' })
    expect(isDisabled(box)).toBe(false)
    expect(screen.getByRole('button', { name: 'Save default route' })).toBeTruthy()
  })

  test('a viewer reads an offer with every field disabled and no Save or Publish', async () => {
    renderAs('viewer', <OfferPage offerId="contoso.crm-suite" />)
    const title = (await screen.findByLabelText(/Title/)) as HTMLInputElement
    await waitFor(() => expect(title.value).toBe('Contoso CRM Suite'))
    expect(isDisabled(title)).toBe(true)
    expect(isDisabled(screen.getByRole('checkbox', { name: /Sales webhook/ }))).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Publish' })).toBeNull()
    expect(screen.getByText(note('viewer', 'editor', 'changing or publishing this offer'))).toBeTruthy()
  })

  test('an editor edits and publishes an offer', async () => {
    renderAs('editor', <OfferPage offerId="contoso.crm-suite" />)
    const title = (await screen.findByLabelText(/Title/)) as HTMLInputElement
    expect(isDisabled(title)).toBe(false)
    expect(screen.getByRole('button', { name: 'Save' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Publish' })).toBeTruthy()
  })
})

describe('destinations', () => {
  test('an editor sees destinations and their health, but no New destination, Test connection or Rotate', async () => {
    renderAs('editor', <DestinationsPage />)
    await screen.findByRole('link', { name: 'Sales webhook' })
    expect(screen.queryByRole('link', { name: 'New destination' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Test connection' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Rotate secret' })).toBeNull()
    expect(screen.getByText(note('editor', 'admin', 'adding, testing or changing destinations'))).toBeTruthy()
  })

  test('an admin adds, tests and rotates', async () => {
    renderAs('admin', <DestinationsPage />)
    await screen.findByRole('link', { name: 'Sales webhook' })
    expect(screen.getByRole('link', { name: 'New destination' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Test connection' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Rotate secret' })).toBeTruthy()
    expect(screen.queryByText(/destinations needs admin/)).toBeNull()
  })

  test("an editor reads a destination's settings disabled, without Delete; an admin may delete", async () => {
    renderAs('editor', <DestinationPage destinationId="dst_1" />)
    const name = (await screen.findByLabelText(/^Name/)) as HTMLInputElement
    expect(isDisabled(name)).toBe(true)
    expect(isDisabled(screen.getByRole('button', { name: 'Save changes' }))).toBe(true)
    expect(screen.queryByRole('button', { name: 'Delete destination' })).toBeNull()
    expect(screen.getByText(note('editor', 'admin', 'changing or deleting destinations'))).toBeTruthy()
  })

  test('an admin may delete a destination', async () => {
    renderAs('admin', <DestinationPage destinationId="dst_1" />)
    expect(await screen.findByRole('button', { name: 'Delete destination' })).toBeTruthy()
    expect(isDisabled(await screen.findByLabelText(/^Name/))).toBe(false)
  })

  test('an editor who opens New destination is told it is an admin’s, and no form is drawn', async () => {
    const fake = renderAs('editor', <NewDestinationPage />)
    expect(await screen.findByText(note('editor', 'admin', 'adding destinations'))).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Create destination' })).toBeNull()
    expect(fake.calls.every((call) => call.method === 'GET')).toBe(true)
  })
})

describe('deliveries and leads', () => {
  test('a viewer sees failing deliveries but no replay; an editor replays', async () => {
    renderAs('viewer', <DeliveriesPage />)
    await screen.findByRole('heading', { name: 'Needs attention' })
    await screen.findAllByText(/HTTP 400/)
    expect(screen.queryByRole('button', { name: /^Replay/ })).toBeNull()
    expect(screen.queryByRole('heading', { name: 'Replay by filter' })).toBeNull()
    expect(screen.getByText(note('viewer', 'editor', 'replaying or retrying deliveries'))).toBeTruthy()
  })

  test('an editor gets the replay controls', async () => {
    renderAs('editor', <DeliveriesPage />)
    await screen.findAllByText(/HTTP 400/)
    expect(screen.getAllByRole('button', { name: /^Replay/ }).length).toBeGreaterThan(0)
    expect(screen.getByRole('heading', { name: 'Replay by filter' })).toBeTruthy()
    expect(screen.queryByText(/replaying or retrying deliveries needs/)).toBeNull()
  })

  test("a viewer reads a lead's deliveries without the replay button, and is told why", async () => {
    renderAs('viewer', <LeadPage leadId="lead_1" />)
    await screen.findByRole('heading', { name: 'Deliveries' })
    expect(screen.queryByRole('button', { name: 'Replay this delivery' })).toBeNull()
    expect(screen.getByText(note('viewer', 'editor', 'replaying deliveries'))).toBeTruthy()
  })

  test('an editor replays from the lead page', async () => {
    renderAs('editor', <LeadPage leadId="lead_1" />)
    expect(await screen.findByRole('button', { name: 'Replay this delivery' })).toBeTruthy()
  })
})

describe('alerts', () => {
  test('a viewer sees channels without test, edit, delete or add; an editor has them', async () => {
    renderAs('viewer', <AlertsPage />)
    const channels = await screen.findByRole('table', { name: 'Alert channels' })
    expect(within(channels).queryAllByRole('button')).toEqual([])
    expect(screen.queryByRole('form', { name: 'New rule' })).toBeNull()
    expect(
      screen.getByText(note('viewer', 'editor', 'adding, testing or changing alert channels, rules and the digest')),
    ).toBeTruthy()
  })

  test('an editor tests, edits and adds alerts', async () => {
    renderAs('editor', <AlertsPage />)
    const channels = await screen.findByRole('table', { name: 'Alert channels' })
    expect(within(channels).getByRole('button', { name: 'Send test alert to Sales channel' })).toBeTruthy()
    expect(within(channels).getByRole('button', { name: 'Edit Sales channel' })).toBeTruthy()
    expect(screen.getByRole('form', { name: 'New rule' })).toBeTruthy()
  })
})

describe('settings and people', () => {
  test('an editor reads notification contacts and retention but changes nothing, and is told why', async () => {
    const fake = renderAs('editor', <SettingsPage />)
    const emails = (await screen.findByLabelText(/Email addresses/)) as HTMLTextAreaElement
    await waitFor(() => expect(emails.value).toBe('ops@contoso.com'))
    expect(isDisabled(emails)).toBe(true)
    expect(screen.queryByRole('button', { name: 'Save contacts' })).toBeNull()
    expect(screen.queryByRole('heading', { name: 'API keys' })).toBeNull()
    expect(screen.queryByRole('heading', { name: 'Sign-in with Microsoft Entra ID' })).toBeNull()
    expect(screen.queryByRole('heading', { name: 'Marketplace subscriptions' })).toBeNull()
    expect(screen.getByText(/Your role is editor: changing settings .* needs admin or above\./)).toBeTruthy()
    // Nothing an editor may not read is even asked for.
    const asked = fake.calls.map((call) => call.url.pathname)
    expect(asked).not.toContain('/v1/keys')
    expect(asked).not.toContain('/v1/subscription-source')
    expect(asked).not.toContain('/v1/tenant/sign-in')
  })

  test('an admin changes contacts, sign-in and the subscription source', async () => {
    renderAs('admin', <SettingsPage />)
    expect(await screen.findByRole('button', { name: 'Save contacts' })).toBeTruthy()
    expect(await screen.findByRole('heading', { name: 'Sign-in with Microsoft Entra ID' })).toBeTruthy()
    expect(await screen.findByRole('button', { name: 'Poll now' })).toBeTruthy()
    expect(screen.queryByText(/changing settings .* needs admin/)).toBeNull()
  })

  test('an editor who opens People is told it is an admin’s; the list is not asked for', async () => {
    const fake = renderAs('editor', <PeoplePage />)
    expect(await screen.findByText(note('editor', 'admin', 'seeing and managing people'))).toBeTruthy()
    expect(fake.calls.some((call) => call.url.pathname === '/v1/people')).toBe(false)
  })
})
