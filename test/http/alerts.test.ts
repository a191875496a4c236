/**
 * The alerts API: channels with write-only secrets sealed at rest, rules that only name the tenant's own channels,
 * "send test alert" that says what happened without retrying, a lead's alerts, replay, scopes, and the audit log.
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

let t: TestServer
let receiver: WebhookSink

beforeEach(async () => {
  t = await startTestServer({ LEADRELAY_PUBLIC_URL: 'https://leads.example.com' })
  receiver = await startWebhookSink({ reply: { status: 202 } })
})
afterEach(async () => {
  await t.close()
  await receiver.close()
})

async function call(method: string, url: string, body?: unknown, headers = bearer(t.tenant)) {
  const response = await t.server.app.inject({
    method: method as 'GET',
    url,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, body: response.body ? (response.json() as any) : undefined, response }
}

async function teamsChannel(url = receiver.url) {
  const created = await call('POST', '/v1/alert-channels', {
    kind: 'teams',
    name: 'Sales channel',
    secrets: { webhookUrl: `${url}?sig=TOPSECRETSIGNATURE` },
  })
  expect(created.status).toBe(201)
  return created.body.id as string
}

async function sendLead(action: string) {
  const response = await t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
    payload: JSON.stringify(seedLead(`AzureMarketplace-${action}|contoso.crm-suite`, johnSmith)),
  })
  expect(response.statusCode).toBeLessThan(300)
  return (response.json() as { leadId: string }).leadId
}

describe('alert channels', () => {
  test('the webhook URL is write-only: never answered, sealed at rest, kept when a patch leaves it out', async () => {
    const id = await teamsChannel()
    const read = await call('GET', `/v1/alert-channels/${id}`)
    expect(read.body).toMatchObject({ id, kind: 'teams', name: 'Sales channel', hasSecrets: true })
    const listed = await call('GET', '/v1/alert-channels')
    expect(JSON.stringify([read.body, listed.body])).not.toContain('TOPSECRETSIGNATURE')
    expect((await t.rawContents()).includes('TOPSECRETSIGNATURE')).toBe(false)

    const renamed = await call('PATCH', `/v1/alert-channels/${id}`, { name: 'Deal desk' })
    expect(renamed.body.name).toBe('Deal desk')
    const tested = await call('POST', `/v1/alert-channels/${id}/test`)
    expect(tested.body).toMatchObject({ ok: true, status: 202, channelId: id })
    expect(receiver.received[0]?.path).toBe('/hook?sig=TOPSECRETSIGNATURE')
  })

  test("a channel needs its kind's secrets and valid settings", async () => {
    const missing = await call('POST', '/v1/alert-channels', { kind: 'teams', name: 'x' })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'secrets.webhookUrl' })
    const badEmail = await call('POST', '/v1/alert-channels', { kind: 'email', name: 'x', config: { to: ['nope'] } })
    expect(badEmail.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'config.to.0' })
    const unknown = await call('POST', '/v1/alert-channels', { kind: 'pager', name: 'x' })
    expect(unknown.body.code).toBe('VALIDATION_FAILED')
    expect(missing.response.headers['content-type']).toContain('application/problem+json')
  })

  test('a generated signing secret is shown once, on creation', async () => {
    const created = await call('POST', '/v1/alert-channels', {
      kind: 'webhook',
      name: 'Ops',
      config: { url: receiver.url },
    })
    expect(created.body.secrets.signingSecret).toMatch(/^whsec_/)
    const read = await call('GET', `/v1/alert-channels/${created.body.id}`)
    expect(read.body.secrets).toBeUndefined()
  })

  test('send test alert says what the receiver answered and does not retry', async () => {
    receiver.respondWith({ status: 503 })
    const id = await teamsChannel()
    const tested = await call('POST', `/v1/alert-channels/${id}/test`)
    expect(tested.status).toBe(200)
    expect(tested.body).toMatchObject({ ok: false, status: 503, failureKind: 'retryable' })
    expect(tested.body.reason).not.toMatch(/will retry/i)
    expect(receiver.received).toHaveLength(1)
    const card = receiver.received[0]?.json as any
    expect(card.attachments[0].content.version).toBe('1.5')
  })

  test('a channel a rule uses cannot be deleted until the rule is', async () => {
    const id = await teamsChannel()
    const rule = await call('POST', '/v1/alert-rules', {
      name: 'Active',
      criteria: { stage: 'active' },
      channelIds: [id],
    })
    expect((await call('DELETE', `/v1/alert-channels/${id}`)).body.code).toBe('CONFLICT')
    expect((await call('DELETE', `/v1/alert-rules/${rule.body.id}`)).status).toBe(204)
    expect((await call('DELETE', `/v1/alert-channels/${id}`)).status).toBe(204)
    expect((await call('GET', `/v1/alert-channels/${id}`)).body.code).toBe('NOT_FOUND')
  })
})

describe('alert rules', () => {
  test('create, read, edit, test; only channels of the tenant', async () => {
    const id = await teamsChannel()
    const other = await t.addTenant('fabrikam')
    const foreign = await call(
      'POST',
      '/v1/alert-channels',
      { kind: 'teams', name: 'Theirs', secrets: { webhookUrl: receiver.url } },
      bearer(other),
    )
    const refused = await call('POST', '/v1/alert-rules', {
      name: 'Active',
      criteria: { stage: 'active' },
      channelIds: [foreign.body.id],
    })
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'channelIds' })

    const created = await call('POST', '/v1/alert-rules', {
      name: 'Active on CRM Suite',
      criteria: { stage: 'active', offers: ['contoso.crm-suite'], countries: ['us'] },
      channelIds: [id],
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      enabled: true,
      criteria: { stage: 'active', offers: ['contoso.crm-suite'], countries: ['US'], sources: [], includeTest: false },
    })
    const ruleId = created.body.id as string
    const edited = await call('PATCH', `/v1/alert-rules/${ruleId}`, { enabled: false })
    expect(edited.body).toMatchObject({ enabled: false, name: 'Active on CRM Suite' })
    expect((await call('GET', '/v1/alert-rules')).body.items).toHaveLength(1)
    expect((await call('GET', '/v1/alert-rules', undefined, bearer(other))).body.items).toHaveLength(0)
    expect((await call('GET', `/v1/alert-rules/${ruleId}`, undefined, bearer(other))).status).toBe(404)

    const tested = await call('POST', `/v1/alert-rules/${ruleId}/test`)
    expect(tested.body).toMatchObject({ ok: true, results: [{ channelId: id, ok: true }] })
    expect(JSON.stringify(receiver.received[0]?.json)).toContain('Active on CRM Suite')
  })

  test('a read key lists rules but cannot change them', async () => {
    const key = await call('POST', '/v1/keys', { name: 'reader', scopes: ['read'] })
    const reader = { authorization: `Bearer ${key.body.key}` }
    expect((await call('GET', '/v1/alert-rules', undefined, reader)).status).toBe(200)
    const refused = await call('POST', '/v1/alert-rules', { name: 'x', criteria: { stage: 'active' } }, reader)
    expect(refused.body.code).toBe('FORBIDDEN')
  })
})

describe("a lead's alerts and replay", () => {
  test('the lead lists the alert that went out; a delivered one can be replayed; all is audited', async () => {
    const channelId = await teamsChannel()
    const rule = await call('POST', '/v1/alert-rules', {
      name: 'Active',
      criteria: { stage: 'active' },
      channelIds: [channelId],
    })
    const leadId = await sendLead('PLT')
    expect(await t.server.alerts.runUntilIdle()).toBe(1)

    const alerts = await call('GET', `/v1/leads/${leadId}/alerts`)
    expect(alerts.body.items).toMatchObject([
      { ruleId: rule.body.id, ruleName: 'Active', channelId, channelName: 'Sales channel', stage: 'active' },
    ])
    const sent = alerts.body.items[0]
    expect(sent.state).toBe('delivered')
    expect(sent.sentAt).toBe(new Date(t.clock.now()).toISOString())
    expect((await call('GET', '/v1/leads/lead_NOPE/alerts')).body.code).toBe('LEAD_NOT_FOUND')

    const replayed = await call('POST', `/v1/alert-sends/${sent.id}/replay`)
    expect(replayed.body.state).toBe('queued')
    expect((await call('POST', `/v1/alert-sends/${sent.id}/replay`)).body.code).toBe('CONFLICT')
    expect(await t.server.alerts.runUntilIdle()).toBe(1)
    expect(receiver.received).toHaveLength(2)
    const detail = await call('GET', `/v1/alert-sends/${sent.id}`)
    expect(detail.body.attemptLog.map((attempt: any) => attempt.outcome)).toEqual(['delivered', 'delivered'])

    const audit = await call('GET', '/v1/audit')
    const actions = (audit.body.items as { action: string }[]).map((entry) => entry.action)
    expect(actions).toEqual(
      expect.arrayContaining(['alert_channel.created', 'alert_rule.created', 'alert_send.replayed']),
    )
  })

  test('digest settings: weekly needs a recipient; saved and audited', async () => {
    const refused = await call('PUT', '/v1/alert-digest', { frequency: 'weekly', emails: [] })
    expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'emails' })
    const saved = await call('PUT', '/v1/alert-digest', { frequency: 'daily', emails: ['sales@contoso.com'] })
    expect(saved.body).toEqual({ frequency: 'daily', emails: ['sales@contoso.com'] })
    expect((await call('GET', '/v1/alert-digest')).body.frequency).toBe('daily')
    const audit = await call('GET', '/v1/audit')
    expect(audit.body.items[0]).toMatchObject({ action: 'alert_digest.changed' })
  })
})
