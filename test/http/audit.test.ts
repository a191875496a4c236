import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

let t: TestServer
let sink: WebhookSink

beforeEach(async () => {
  t = await startTestServer()
  sink = await startWebhookSink()
})
afterEach(async () => {
  await t.close()
  await sink.close()
})

async function api(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  // Entries of one millisecond have no order among themselves; each call gets its own second.
  t.clock.advance(1000)
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, json: response.body ? response.json() : undefined }
}

interface AuditItem {
  action: string
  target?: string
  targetName?: string
  actor: string
  detail?: Record<string, unknown>
}

async function audit(): Promise<AuditItem[]> {
  const listed = await api('GET', '/v1/audit')
  expect(listed.status).toBe(200)
  return listed.json.items
}

async function webhook(name: string): Promise<string> {
  const created = await api('POST', '/v1/destinations', { kind: 'webhook', name, config: { url: sink.url } })
  expect(created.status).toBe(201)
  return created.json.id
}

describe('the audit log', () => {
  test('a failed publish is offer.publish_failed with the reason; only a successful one is offer.published', async () => {
    const id = await webhook('CRM hook')
    expect((await api('PUT', '/v1/offers/contoso.crm', { title: 'Contoso CRM', destinations: [id] })).status).toBe(200)
    sink.respondWith({ status: 500, body: 'receiver down' })
    const failed = await api('POST', '/v1/offers/contoso.crm/publish')
    expect(failed.json.status).toBe('draft')
    let entries = await audit()
    expect(entries.map((entry) => entry.action)).not.toContain('offer.published')
    const failure = entries.find((entry) => entry.action === 'offer.publish_failed')
    expect(failure).toMatchObject({ target: 'contoso.crm', targetName: 'Contoso CRM' })
    const [failedCheck] = (failure?.detail?.failed ?? []) as { destinationId: string; name: string; reason: string }[]
    expect(failedCheck).toMatchObject({ destinationId: id, name: 'CRM hook', step: 'verify', status: 500 })
    expect(failedCheck?.reason).toMatch(/500/)

    sink.respondWith({ status: 200 })
    expect((await api('POST', '/v1/offers/contoso.crm/publish')).json.status).toBe('live')
    entries = await audit()
    expect(entries.filter((entry) => entry.action === 'offer.published')).toHaveLength(1)
    expect(entries.filter((entry) => entry.action === 'offer.publish_failed')).toHaveLength(1)
    expect(entries[0]).toMatchObject({ action: 'offer.published', target: 'contoso.crm', targetName: 'Contoso CRM' })
  })

  test('routing changes of an offer and of the default route are logged with before and after', async () => {
    const first = await webhook('First CRM')
    const second = await webhook('Second CRM')
    await api('PUT', '/v1/offers/contoso.crm', { title: 'Contoso CRM', destinations: [first] })
    await api('PUT', '/v1/offers/contoso.crm', { title: 'Contoso CRM', destinations: [second] })
    // Unchanged routing and a title-only change are not routing changes.
    await api('PUT', '/v1/offers/contoso.crm', { title: 'Contoso CRM', destinations: [second] })
    await api('PUT', '/v1/offers/contoso.crm', { title: 'Contoso CRM Suite' })
    expect((await api('PUT', '/v1/routes/default', { destinations: [first, second] })).status).toBe(200)

    const changes = (await audit()).filter((entry) => entry.action === 'routes.changed')
    expect(changes).toHaveLength(3)
    const [toDefault, toSecond, toFirst] = changes
    expect(toFirst).toMatchObject({
      target: 'contoso.crm',
      targetName: 'Contoso CRM Suite',
      detail: { scope: 'offer:contoso.crm', before: [], after: [first] },
    })
    expect(toSecond?.detail).toMatchObject({ before: [first], after: [second] })
    expect(toDefault).toMatchObject({
      target: 'default',
      detail: { scope: 'default', before: [], after: [first, second].sort() },
    })
    expect(toDefault?.actor).toMatch(/^key:/)
  })

  test('notification contact changes are logged with masked addresses and no webhook URL', async () => {
    const webhookUrl = 'https://hooks.slack.com/services/T000/B000/recognisable-slack-token'
    const set = await api('PUT', '/v1/tenant/notifications', {
      emails: ['ops.lead@contoso.com', 'sales@contoso.com'],
      webhookUrl,
    })
    expect(set.status).toBe(200)
    await api('PUT', '/v1/tenant/notifications', { emails: ['ops.lead@contoso.com', 'sales@contoso.com'], webhookUrl })
    await api('PUT', '/v1/tenant/notifications', { emails: ['sales@contoso.com', 'new.person@fabrikam.com'] })

    const entries = (await audit()).filter((entry) => entry.action === 'notifications.changed')
    expect(entries).toHaveLength(2)
    expect(entries[1]?.detail).toEqual({
      before: { emails: [], webhookHost: null },
      after: { emails: ['o…@contoso.com', 's…@contoso.com'], webhookHost: 'hooks.slack.com' },
      addedEmails: ['o…@contoso.com', 's…@contoso.com'],
      removedEmails: [],
      webhookChanged: true,
    })
    expect(entries[0]?.detail).toMatchObject({
      addedEmails: ['n…@fabrikam.com'],
      removedEmails: ['o…@contoso.com'],
      webhookChanged: true,
      after: { webhookHost: null },
    })
    const text = JSON.stringify(entries)
    expect(text).not.toContain('recognisable-slack-token')
    expect(text).not.toContain('ops.lead')
    expect(text).not.toContain('new.person')
  })

  test('destination entries carry the destination name, kept after it is renamed to the current one', async () => {
    const id = await webhook('Old name')
    t.clock.advance(1000)
    await t.server.app.inject({
      method: 'PATCH',
      url: `/v1/destinations/${id}`,
      headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Sales CRM' }),
    })
    const entries = (await audit()).filter((entry) => entry.target === id)
    expect(entries.map((entry) => entry.action)).toEqual(['destination.updated', 'destination.created'])
    for (const entry of entries) expect(entry.targetName).toBe('Sales CRM')
    const replayed = (await audit()).find((entry) => entry.action === 'deliveries.replayed')
    expect(replayed).toBeUndefined()
  })
})
