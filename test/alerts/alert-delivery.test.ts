/**
 * Alerts end to end against local receivers: rules fire once per lead and stage through ingest, Teams payloads are
 * Adaptive Cards 1.5 that Microsoft's own library parses and validates without a single event, Slack payloads keep
 * within Block Kit's documented limits, and a Teams outage of an hour delays alerts and loses none, in order.
 */

import { createRequire } from 'node:module'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { AlertChannelKind } from '../../src/alerts/channels/types.ts'
import type { AlertCriteria } from '../../src/core/alert-rules.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'
import { blockKitViolations } from './block-kit-limits.ts'

// The package's ESM build imports without file extensions, which Node refuses; its UMD bundle is the same code.
const AdaptiveCards = createRequire(import.meta.url)(
  'adaptivecards/dist/adaptivecards.js',
) as typeof import('adaptivecards')

/**
 * Parses the card as a Teams client would and collects every parse and validation event. Card format:
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
 */
function adaptiveCardProblems(payload: unknown): string[] {
  const message = payload as { type: string; attachments: { contentType: string; contentUrl: unknown; content: any }[] }
  const problems: string[] = []
  if (message.type !== 'message') problems.push(`type is ${message.type}`)
  const attachment = message.attachments?.[0]
  if (message.attachments?.length !== 1 || !attachment) return [...problems, 'not exactly one attachment']
  if (attachment.contentType !== 'application/vnd.microsoft.card.adaptive') problems.push('contentType')
  if (attachment.contentUrl !== null) problems.push('contentUrl must be null')
  if (attachment.content.version !== '1.5') problems.push(`version ${attachment.content.version}`)
  const card = new AdaptiveCards.AdaptiveCard()
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5)
  card.parse(attachment.content, context)
  for (let index = 0; index < context.eventCount; index++) problems.push(`parse: ${context.getEventAt(index).message}`)
  for (const event of card.validateProperties().validationEvents) problems.push(`validate: ${event.message}`)
  return problems
}

let t: TestServer
let teams: WebhookSink

beforeEach(async () => {
  t = await startTestServer({ LEADRELAY_PUBLIC_URL: 'https://leads.example.com' })
  teams = await startWebhookSink({ reply: { status: 202 } })
})
afterEach(async () => {
  await t.close()
  await teams.close()
})

let serial = 0
async function channel(kind: AlertChannelKind, secrets: Record<string, string>, config: unknown = {}) {
  const id = `ach_TEST${serial++}`
  await t.store.putAlertChannel(
    {
      id,
      tenantId: t.tenant.tenant.id,
      kind,
      name: `${kind} channel`,
      config,
      sealedSecrets: t.server.sealer.seal(JSON.stringify(secrets), id),
    },
    t.clock.now(),
  )
  return id
}

async function rule(channelIds: string[], criteria: Partial<AlertCriteria> = {}) {
  const id = `arl_TEST${serial++}`
  await t.store.putAlertRule(
    {
      id,
      tenantId: t.tenant.tenant.id,
      name: 'Contact me on CRM Suite',
      enabled: true,
      channelIds,
      criteria: { offers: [], stage: 'active', sources: [], countries: [], includeTest: false, ...criteria },
    },
    t.clock.now(),
  )
  return id
}

async function sendLead(action: string, customer: Record<string, string> = johnSmith, extra: object = {}) {
  const response = await t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
    payload: JSON.stringify({ ...seedLead(`AzureMarketplace-${action}|contoso.crm-suite`, customer), ...extra }),
  })
  expect(response.statusCode).toBeLessThan(300)
  return response.json() as { leadId: string }
}

describe('alert rules through ingest', () => {
  test('"first time active" on one offer: once per lead through INS → PLT → PLT again, never for test or DNC leads', async () => {
    const teamsId = await channel('teams', { webhookUrl: teams.url })
    await rule([teamsId], { offers: ['contoso.crm-suite'] })

    const { leadId } = await sendLead('INS', johnSmith, { Description: 'Pricing for 500 seats?' })
    expect(await t.server.alerts.runUntilIdle()).toBe(0)
    await sendLead('PLT')
    await sendLead('PLT') // the same payload again: a duplicate event
    t.clock.advance(60_000)
    await sendLead('PLT', { ...johnSmith, Title: 'CEO' }) // a new event, lead already active
    await sendLead('PLT', johnSmith, { LeadSource: 'AzureMarketplace-PLT|contoso.other-offer' }) // another offer
    // A test lead, and a DNC lead (the PLT occurred before the do-not-contact notice, so the notice stands).
    await sendLead('PLT', { ...johnSmith, Email: 'tester@contoso.com', FirstName: 'MSFT_TEST_123' })
    const dnc = { ...johnSmith, Email: 'dnc@contoso.com' }
    await sendLead('DNC', dnc)
    await sendLead('PLT', dnc, { CreatedTime: new Date(t.clock.now() - 3_600_000).toISOString() })

    expect(await t.server.alerts.runUntilIdle()).toBe(1)
    expect(teams.received).toHaveLength(1)
    const card = teams.received[0]!.json as any
    expect(adaptiveCardProblems(card)).toEqual([])
    const content = card.attachments[0].content
    const text = JSON.stringify(content)
    expect(text).toContain('John Smith')
    expect(text).toContain('Microsoft')
    expect(text).toContain('Pricing for 500 seats?')
    expect(content.actions[0]).toEqual({
      type: 'Action.OpenUrl',
      title: 'Open in Leadrelay',
      url: `https://leads.example.com/leads/${leadId}`,
    })
    const sent = await t.store.listAlertSends(t.tenant.tenant.id, { leadId, limit: 10 })
    expect(sent.map((send) => [send.state, send.stage])).toEqual([['delivered', 'active']])
  })

  test('a rule with includeTest takes test leads; a country filter leaves others out', async () => {
    const teamsId = await channel('teams', { webhookUrl: teams.url })
    await rule([teamsId], { includeTest: true, countries: ['us'], stage: 'initial_interest' })
    await sendLead('INS', { ...johnSmith, FirstName: 'MSFT_TEST_9' })
    await sendLead('INS', { ...johnSmith, Email: 'fr@contoso.com', Country: 'FR' })
    expect(await t.server.alerts.runUntilIdle()).toBe(1)
    expect(JSON.stringify(teams.received[0]!.json)).toContain('MSFT_TEST_9')
  })

  test('a Teams receiver failing for an hour gets every alert afterwards, in the order they fired', async () => {
    const teamsId = await channel('teams', { webhookUrl: teams.url })
    await rule([teamsId])
    const start = t.clock.now()
    teams.respondWith((_request) => (t.clock.now() - start < 3_600_000 ? { status: 503 } : { status: 202 }))
    const emails: string[] = []
    for (let minute = 0; minute < 60; minute += 10) {
      const email = `customer${minute}@contoso.com`
      emails.push(email)
      await sendLead('PLT', { ...johnSmith, Email: email })
      await t.server.alerts.runUntilIdle()
      t.clock.advance(10 * 60_000)
    }
    // Only the oldest alert was tried while the channel failed: the others waited behind it.
    const tried = new Set(teams.received.map((request) => JSON.stringify(request.json).match(/customer\d+@/)?.[0]))
    expect([...tried]).toEqual(['customer0@'])
    for (let step = 0; step < 48; step++) {
      t.clock.advance(10 * 60_000)
      await t.server.alerts.runUntilIdle()
    }
    const accepted = teams.received.filter((_request, index) => index >= teams.received.length - emails.length)
    expect(accepted.map((request) => JSON.stringify(request.json).match(/customer\d+@contoso\.com/)?.[0])).toEqual(
      emails,
    )
    const sends = await t.store.listAlertSends(t.tenant.tenant.id, { limit: 100 })
    expect(sends.every((send) => send.state === 'delivered')).toBe(true)
    const first = sends.find((send) => send.createdAt === start)!
    const attempts = await t.store.listAlertAttempts(t.tenant.tenant.id, first.id)
    expect(attempts.length).toBeGreaterThan(2)
    expect(attempts.at(-1)?.outcome).toBe('delivered')
    expect(attempts[0]).toMatchObject({ outcome: 'retryable', status: 503, number: 1 })
  })
})

describe('channel payloads', () => {
  test('Slack: Block Kit within its documented limits, even for very long customer text', async () => {
    const slack = await startWebhookSink()
    try {
      const slackId = await channel('slack', { webhookUrl: slack.url })
      await rule([slackId])
      const long = `<!channel> & ${'x'.repeat(5000)} 😀`.repeat(2)
      await sendLead('PLT', { ...johnSmith, Company: long, Title: long }, { Description: long })
      expect(await t.server.alerts.runUntilIdle()).toBe(1)
      const payload = slack.received[0]!.json as any
      expect(blockKitViolations(payload)).toEqual([])
      // Everything but the header (plain_text, where Slack parses no mentions) is mrkdwn.
      const text = JSON.stringify({ ...payload, blocks: payload.blocks.slice(1) })
      expect(text).not.toContain('<!channel>')
      expect(text).toContain('&lt;!channel&gt;')
      expect(payload.blocks.at(-1).elements[0].url).toMatch(/^https:\/\/leads\.example\.com\/leads\//)
    } finally {
      await slack.close()
    }
  })

  test('Teams: a card with the longest customer text still parses cleanly', async () => {
    const teamsId = await channel('teams', { webhookUrl: teams.url })
    await rule([teamsId])
    const long = `**bold** [link](https://evil.example) ${'y'.repeat(9000)}`
    await sendLead('PLT', { ...johnSmith, Company: long }, { Description: long })
    await t.server.alerts.runUntilIdle()
    expect(adaptiveCardProblems(teams.received[0]!.json)).toEqual([])
  })

  test('signed webhook: Standard Webhooks signature verifies with the channel secret', async () => {
    const { verifyWebhook } = await import('../../src/destinations/webhook/signing.ts')
    const hook = await startWebhookSink()
    try {
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
      const hookId = await channel('webhook', { signingSecret: secret }, { url: hook.url })
      await rule([hookId])
      await sendLead('PLT')
      await t.server.alerts.runUntilIdle()
      const request = hook.received[0]!
      expect(verifyWebhook({ secret, body: request.body, headers: request.headers, now: t.clock.now() }).ok).toBe(true)
      expect((request.json as any).type).toBe('leadrelay.alert')
    } finally {
      await hook.close()
    }
  })
})
