import { render, screen, within } from '@testing-library/react'
import { expect, test } from 'vitest'
import { createApiClient } from '../api/client.ts'
import type { AuditEntry } from '../api/types.ts'
import { ApiContext } from '../lib/api-context.ts'
import { fakeFetch } from '../test/fixtures.ts'
import { AuditLog } from './settings.tsx'

const entries: AuditEntry[] = [
  {
    id: 'aud_3',
    tenantId: 'tnt_default',
    actor: 'key:key_admin',
    action: 'offer.publish_failed',
    target: 'contoso.crm',
    targetName: 'Contoso CRM',
    detail: { failed: [{ destinationId: 'dst_1', name: 'Sales CRM', step: 'verify', reason: 'HTTP 500' }] },
    at: '2026-11-25T12:03:00.000Z',
  },
  {
    id: 'aud_2',
    tenantId: 'tnt_default',
    actor: 'key:key_admin',
    action: 'routes.changed',
    target: 'default',
    detail: { scope: 'default', before: [], after: ['dst_1'] },
    at: '2026-11-25T12:02:00.000Z',
  },
  {
    id: 'aud_1',
    tenantId: 'tnt_default',
    actor: 'cli:ops',
    action: 'destination.created',
    target: 'dst_1',
    targetName: 'Sales CRM',
    at: '2026-11-25T12:01:00.000Z',
  },
  {
    id: 'aud_0',
    tenantId: 'tnt_default',
    actor: 'cli:ops',
    action: 'destination.deleted',
    target: 'dst_gone',
    at: '2026-11-25T12:00:00.000Z',
  },
]

test('audit targets are shown by name with the id beneath, and actions in words', async () => {
  const fake = fakeFetch({ 'GET /v1/audit': () => ({ items: entries }) })
  render(
    <ApiContext.Provider value={createApiClient({ apiKey: 'lr_key_test', fetch: fake.fetch })}>
      <AuditLog />
    </ApiContext.Provider>,
  )
  const table = await screen.findByRole('table', { name: 'Audit log, newest first' })
  const rows = within(table).getAllByRole('row').slice(1)
  expect(rows).toHaveLength(4)
  const target = (row: HTMLElement) => within(row).getAllByRole('cell')[2]!
  const what = (row: HTMLElement) => within(row).getAllByRole('cell')[1]!

  expect(what(rows[0]!).textContent).toBe('Offer publish failedSales CRM: HTTP 500')
  expect(target(rows[0]!).textContent).toBe('Contoso CRMcontoso.crm')
  expect(within(target(rows[0]!)).getByText('contoso.crm').className).toContain('sub')

  expect(what(rows[1]!).textContent).toBe('Routing changed0 destinations → 1 destination')
  expect(target(rows[1]!).textContent).toBe('Default route')

  expect(target(rows[2]!).textContent).toBe('Sales CRMdst_1')
  // Without a name (nothing found for it), the id is all there is.
  expect(target(rows[3]!).textContent).toBe('dst_gone')
})
