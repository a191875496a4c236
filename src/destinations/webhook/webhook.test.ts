import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { lead, t0, t1 } from '../../../test/helpers/sample-lead.ts'
import { startWebhookSink, type WebhookSink } from '../../../test/helpers/webhook-sink.ts'
import { normaliseCustomer } from '../../core/customer.ts'
import { AppError, DeliveryError, type FailureKind } from '../../core/errors.ts'
import { parseInboundLead } from '../../core/inbound.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { interpretLead } from '../../core/lead.ts'
import { createManualClock } from '../../core/ports.ts'
import { createLogger } from '../../logger.ts'
import { createNodeHttpClient, type NodeHttpClient } from '../http-client-node.ts'
import type { DeliveryAttempt, DestinationSecrets, LeadSnapshot } from '../types.ts'
import { type WebhookConfig, webhookConfigSchema } from './config.ts'
import { webhookDestination } from './index.ts'
import { leadrelayPayload, maxPayloadEvents, microsoftPayload } from './payload.ts'
import {
  activeSigningSecrets,
  generateSigningSecret,
  prepareWebhookSecrets,
  rotateWebhookSecrets,
  signWebhook,
  verifyWebhook,
} from './signing.ts'

const knownAnswer = {
  secret: 'whsec_dGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==',
  id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  timestampSeconds: 1674087231,
  body: '{"type":"lead.created","timestamp":"2023-01-19T00:13:51Z","data":{"id":"L1"}}',
  signature: 'v1,qZNjY5Shp16te+pHbmJ3xLG9Do+aj7FgF3ULaFN/gUI=',
}

/** Deterministic "random" bytes: 0, 1, 2, … offset by `seed`. */
function counting(seed = 0) {
  return (size: number) => Uint8Array.from({ length: size }, (_, index) => (index + seed) % 256)
}

const secretA = generateSigningSecret(counting(1))
const secretB = generateSigningSecret(counting(2))
const secretC = generateSigningSecret(counting(3))

describe('signing', () => {
  test('known answer from the Standard Webhooks reference', () => {
    const { secret, id, timestampSeconds, body, signature } = knownAnswer
    expect(signWebhook({ secrets: [secret], id, timestampSeconds, body })).toBe(signature)
  })

  test('a generated secret is whsec_ plus the base64 of 32 random bytes', () => {
    const secret = generateSigningSecret(counting())
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(secret.slice(6), 'base64')).toEqual(Buffer.from(counting()(32)))
  })

  test('one signature per secret, newest first, space-separated', () => {
    const header = signWebhook({ secrets: [secretA, secretB], id: 'dlv_1', timestampSeconds: 1, body: '{}' })
    const [first, second] = header.split(' ')
    expect(header.split(' ')).toHaveLength(2)
    expect(first).toBe(signWebhook({ secrets: [secretA], id: 'dlv_1', timestampSeconds: 1, body: '{}' }))
    expect(second).toBe(signWebhook({ secrets: [secretB], id: 'dlv_1', timestampSeconds: 1, body: '{}' }))
  })

  const headersFor = (secrets: string[], body: string, seconds: number) => ({
    'Webhook-Id': 'dlv_42',
    'Webhook-Timestamp': `${seconds}`,
    'Webhook-Signature': signWebhook({ secrets, id: 'dlv_42', timestampSeconds: seconds, body }),
  })

  test('verifies the known answer', () => {
    const { secret, id, timestampSeconds, body, signature } = knownAnswer
    const headers = { 'webhook-id': id, 'webhook-timestamp': `${timestampSeconds}`, 'webhook-signature': signature }
    expect(verifyWebhook({ secret, body, headers, now: timestampSeconds * 1000 })).toEqual({
      ok: true,
      id,
      timestampSeconds,
    })
  })

  test('while a rotation is in its grace period, either secret verifies', () => {
    const now = Date.UTC(2026, 0, 1)
    const headers = headersFor([secretB, secretA], '{"a":1}', now / 1000)
    expect(verifyWebhook({ secret: secretA, body: '{"a":1}', headers, now }).ok).toBe(true)
    expect(verifyWebhook({ secret: secretB, body: '{"a":1}', headers, now }).ok).toBe(true)
    expect(verifyWebhook({ secret: secretC, body: '{"a":1}', headers, now })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    })
  })

  test('rejects a changed body, an old timestamp and missing headers', () => {
    const now = Date.UTC(2026, 0, 1)
    const headers = headersFor([secretA], '{"a":1}', now / 1000)
    expect(verifyWebhook({ secret: secretA, body: '{"a":2}', headers, now })).toMatchObject({ ok: false })
    expect(verifyWebhook({ secret: secretA, body: '{"a":1}', headers, now: now + 301_000 })).toEqual({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    })
    expect(verifyWebhook({ secret: secretA, body: '{"a":1}', headers, now: now + 299_000 }).ok).toBe(true)
    expect(verifyWebhook({ secret: secretA, body: '{"a":1}', headers: {}, now })).toEqual({
      ok: false,
      reason: 'missing_headers',
    })
  })
})

describe('secrets', () => {
  test('generates a signing secret when none is given', () => {
    expect(webhookDestination.prepareSecrets(undefined, counting())).toEqual({
      signingSecret: generateSigningSecret(counting()),
    })
    expect(webhookDestination.prepareSecrets({}, counting(5))).toEqual({
      signingSecret: generateSigningSecret(counting(5)),
    })
  })

  test('keeps a valid given secret', () => {
    expect(webhookDestination.prepareSecrets({ signingSecret: knownAnswer.secret }, counting())).toEqual({
      signingSecret: knownAnswer.secret,
    })
  })

  test.each<[Record<string, unknown>, string]>([
    [{ signingSecret: 'hunter2' }, 'secrets.signingSecret'],
    [{ signingSecret: 'whsec_short' }, 'secrets.signingSecret'],
    [{ signingSecret: `whsec_${'a'.repeat(40)}!` }, 'secrets.signingSecret'],
    [{ signingSecret: 42 }, 'secrets.signingSecret'],
    [{ signing_secret: knownAnswer.secret }, 'secrets.signing_secret'],
    [{ previousSigningSecret: secretA }, 'secrets.previousExpiresAt'],
    [{ previousSigningSecret: secretA, previousExpiresAt: 'tomorrow' }, 'secrets.previousExpiresAt'],
    [{ previousExpiresAt: '1767225600000' }, 'secrets.previousExpiresAt'],
    [{ previousSigningSecret: 'nope', previousExpiresAt: '1' }, 'secrets.previousSigningSecret'],
  ])('refuses %j', (given, field) => {
    try {
      webhookDestination.prepareSecrets(given, counting())
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field })
      // The message never echoes what was given.
      for (const value of Object.values(given)) {
        if (typeof value === 'string' && value.length > 8) expect((error as Error).message).not.toContain(value)
      }
    }
  })

  test('keeps a rotation in progress', () => {
    const given = { signingSecret: secretB, previousSigningSecret: secretA, previousExpiresAt: '1767225600000' }
    expect(prepareWebhookSecrets(given, counting())).toEqual(given)
  })

  test('rotation keeps the old secret signing for the grace period', () => {
    const now = Date.UTC(2026, 0, 1)
    const rotated = rotateWebhookSecrets({ signingSecret: secretA }, counting(9), now)
    expect(rotated).toEqual({
      signingSecret: generateSigningSecret(counting(9)),
      previousSigningSecret: secretA,
      previousExpiresAt: `${now + 24 * 3600 * 1000}`,
    })
    const stored: DestinationSecrets = rotated
    expect(activeSigningSecrets(stored, now)).toEqual([rotated.signingSecret, secretA])
    expect(activeSigningSecrets(stored, now + 24 * 3600 * 1000)).toEqual([rotated.signingSecret])
  })
  test('secret headers are stored one per name; an update replaces or removes them by name, any letter case', () => {
    const created = webhookDestination.prepareSecrets(
      { signingSecret: secretA, headers: { 'X-Api-Key': 'k-1', Authorization: 'Bearer t' } },
      counting(),
    )
    expect(created).toEqual({ signingSecret: secretA, 'header:X-Api-Key': 'k-1', 'header:Authorization': 'Bearer t' })
    // On an update the stored secrets come back with the patch on top.
    const updated = webhookDestination.prepareSecrets(
      { ...created, headers: { 'x-api-key': 'k-2', AUTHORIZATION: null, Cookie: 'session=1' } },
      counting(),
    )
    expect(updated).toEqual({ signingSecret: secretA, 'header:x-api-key': 'k-2', 'header:Cookie': 'session=1' })
    expect(webhookDestination.describeSecrets?.(updated)).toEqual({ secretHeaders: ['Cookie', 'x-api-key'] })
  })

  test.each<[unknown, string]>([
    ['Bearer t', 'secrets.headers'],
    [['X-Api-Key'], 'secrets.headers'],
    [{ 'Bad Name': 'v' }, 'secrets.headers.Bad Name'],
    [{ 'Webhook-Signature': 'v1,forged' }, 'secrets.headers.Webhook-Signature'],
    [{ Host: 'internal' }, 'secrets.headers.Host'],
    [{ 'X-Api-Key': 'a\r\nHost: evil' }, 'secrets.headers.X-Api-Key'],
    [{ 'X-Api-Key': 42 }, 'secrets.headers.X-Api-Key'],
    [{ 'X-Api-Key': '' }, 'secrets.headers.X-Api-Key'],
    [Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-Key-${i}`, 'v'])), 'secrets.headers'],
  ])('refuses secret headers %j', (headers, field) => {
    expect(() => webhookDestination.prepareSecrets({ headers }, counting())).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', field }),
    )
  })

  test('rotation keeps the secret headers', () => {
    const rotated = rotateWebhookSecrets({ signingSecret: secretA, 'header:X-Api-Key': 'k-1' }, counting(9), 0)
    expect(rotated['header:X-Api-Key']).toBe('k-1')
  })

  test('credential headers stored in the plain config move to the secrets; a secret header replaces a plain one', () => {
    const legacy = { url: 'https://hooks.example.com/', headers: { 'X-Api-Key': 'k-1', 'X-Tenant': 'contoso' } }
    expect(webhookDestination.normalizeStored?.(legacy, { signingSecret: secretA })).toEqual({
      config: { url: 'https://hooks.example.com/', headers: { 'X-Tenant': 'contoso' } },
      secrets: { signingSecret: secretA, 'header:X-Api-Key': 'k-1' },
      changed: true,
    })
    const onlyCredentials = { url: 'https://hooks.example.com/', headers: { authorization: 'Bearer t' } }
    expect(webhookDestination.normalizeStored?.(onlyCredentials, {})).toEqual({
      config: { url: 'https://hooks.example.com/' },
      secrets: { 'header:authorization': 'Bearer t' },
      changed: true,
    })
    const duplicate = { url: 'https://hooks.example.com/', headers: { 'X-Tenant': 'plain' } }
    expect(webhookDestination.normalizeStored?.(duplicate, { 'header:x-tenant': 'sealed' })).toMatchObject({
      config: { url: 'https://hooks.example.com/' },
      changed: true,
    })
    const clean = { url: 'https://hooks.example.com/', headers: { 'X-Tenant': 'contoso' } }
    expect(webhookDestination.normalizeStored?.(clean, { signingSecret: secretA })?.changed).toBe(false)
  })
})

describe('config', () => {
  test('defaults', () => {
    expect(webhookConfigSchema.parse({ url: 'https://hooks.example.com/leads' })).toEqual({
      url: 'https://hooks.example.com/leads',
      format: 'leadrelay',
      timeoutMs: 15_000,
    })
  })

  test('accepts http, the Microsoft format and extra headers', () => {
    const config = webhookConfigSchema.parse({
      url: 'http://hooks.example.com/leads',
      format: 'microsoft',
      timeoutMs: 1000,
      headers: { 'X-Tenant': 'contoso', Accept: 'application/json' },
    })
    expect(config.format).toBe('microsoft')
    expect(config.headers).toEqual({ 'X-Tenant': 'contoso', Accept: 'application/json' })
  })

  test.each([
    'Authorization',
    'authorization',
    'Proxy-Authorization',
    'Cookie',
    'X-Api-Key',
    'x-apikey',
    'Ocp-Apim-Subscription-Key',
    'X-Access-Token',
    'X-Client-Secret',
    'my_token',
    'X-Auth',
  ])('refuses the credential header %s in the plain headers, pointing to secrets.headers', (name) => {
    const result = webhookConfigSchema.safeParse({ url: 'https://hooks.example.com/', headers: { [name]: 'v' } })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path).toEqual(['headers', name])
    expect(result.error?.issues[0]?.message).toContain('secrets.headers')
  })

  test.each([
    { url: 'ftp://hooks.example.com/' },
    { url: 'file:///etc/passwd' },
    { url: 'hooks.example.com/leads' },
    { url: 'https://hooks.example.com/', format: 'xml' },
    { url: 'https://hooks.example.com/', timeoutMs: 999 },
    { url: 'https://hooks.example.com/', timeoutMs: 30_001 },
    { url: 'https://hooks.example.com/', timeoutMs: 1500.5 },
    { url: 'https://hooks.example.com/', headers: { 'Webhook-Signature': 'v1,forged' } },
    { url: 'https://hooks.example.com/', headers: { 'webhook-id': 'x' } },
    { url: 'https://hooks.example.com/', headers: { 'Content-Type': 'text/plain' } },
    { url: 'https://hooks.example.com/', headers: { 'content-length': '1' } },
    { url: 'https://hooks.example.com/', headers: { Host: 'internal' } },
    { url: 'https://hooks.example.com/', headers: { 'Bad Name': 'x' } },
    { url: 'https://hooks.example.com/', headers: { 'X-Injected': 'a\r\nHost: evil' } },
    { url: 'https://hooks.example.com/', headers: { 'X-A': 'a', 'x-a': 'b' } },
    { url: 'https://hooks.example.com/', secret: 'whsec_…' },
  ])('refuses %j', (input) => {
    expect(webhookConfigSchema.safeParse(input).success).toBe(false)
  })

  test('renders as JSON Schema for the UI', () => {
    const schema = z.toJSONSchema(webhookConfigSchema, { io: 'input' }) as { properties: Record<string, unknown> }
    expect(Object.keys(schema.properties)).toEqual(['url', 'format', 'timeoutMs', 'headers'])
  })
})

function event(
  id: string,
  occurredAt: number,
  action: string,
  stage: LeadEvent['stage'],
  description?: string,
): LeadEvent {
  return {
    id,
    leadId: lead.id,
    format: 'microsoft',
    receivedAt: occurredAt + 1000,
    occurredAt,
    leadSource: `AzureMarketplace-${action}|contoso.widget-saas`,
    source: 'AzureMarketplace',
    action,
    stage,
    offerRef: 'contoso.widget-saas',
    ...(description !== undefined && { description }),
    customer: lead.customer,
    isTest: false,
  }
}

// Newest last in time, but listed first: payloads must order by occurrence, not by array position.
const snapshot: LeadSnapshot = {
  lead,
  events: [event('evt_2', t1, 'PLT', 'active', 'Contact me'), event('evt_1', t0, 'INS', 'initial_interest')],
  offerTitle: 'Contoso Widget',
}

describe('payloads', () => {
  test("Leadrelay's shape", () => {
    const now = Date.UTC(2026, 2, 4)
    expect(leadrelayPayload(snapshot, now)).toEqual({
      type: 'lead.updated',
      timestamp: '2026-03-04T00:00:00.000Z',
      data: {
        id: 'lead_01JQ',
        offerId: 'contoso.widget-saas',
        offerName: 'Contoso Widget',
        stage: 'active',
        doNotContact: false,
        isTest: false,
        customer: {
          firstName: 'Jane',
          lastName: 'Doe',
          email: 'jane.doe@contoso.com',
          phone: '+1 617 555 0100',
          country: 'US',
          company: 'Contoso',
          title: 'CTO',
        },
        source: 'AzureMarketplace',
        action: 'PLT',
        eventCount: 2,
        firstEventAt: '2026-03-01T09:00:00.000Z',
        lastEventAt: '2026-03-03T15:30:00.000Z',
        version: 3,
        events: [
          {
            id: 'evt_1',
            occurredAt: '2026-03-01T09:00:00.000Z',
            source: 'AzureMarketplace',
            action: 'INS',
            stage: 'initial_interest',
            description: null,
          },
          {
            id: 'evt_2',
            occurredAt: '2026-03-03T15:30:00.000Z',
            source: 'AzureMarketplace',
            action: 'PLT',
            stage: 'active',
            description: 'Contact me',
          },
        ],
      },
    })
  })

  test('test leads are lead.test; unknown values are null; events are capped', () => {
    const events = Array.from({ length: maxPayloadEvents + 5 }, (_, index) =>
      event(`evt_${index}`, t0 + index, 'INS', 'initial_interest'),
    )
    const bare: Lead = { ...lead, isTest: true, customer: { email: 'x@example.com' }, offerId: undefined }
    const payload = leadrelayPayload({ lead: bare, events }, t1)
    expect(payload.type).toBe('lead.test')
    expect(payload.data.customer).toEqual({
      firstName: null,
      lastName: null,
      email: 'x@example.com',
      phone: null,
      country: null,
      company: null,
      title: null,
    })
    expect(payload.data.offerId).toBeNull()
    expect(payload.data.offerName).toBe('contoso.widget-saas')
    expect(payload.data.events).toHaveLength(maxPayloadEvents)
    expect(payload.data.events.at(-1)?.id).toBe(`evt_${maxPayloadEvents + 4}`)
  })

  test("Microsoft's shape, from the latest event", () => {
    expect(microsoftPayload(snapshot)).toEqual({
      UserDetails: {
        FirstName: 'Jane',
        LastName: 'Doe',
        Email: 'jane.doe@contoso.com',
        Phone: '+1 617 555 0100',
        Country: 'US',
        Company: 'Contoso',
        Title: 'CTO',
      },
      LeadSource: 'AzureMarketplace-PLT|contoso.widget-saas',
      ActionCode: 'PLT',
      OfferTitle: 'Contoso Widget',
      Description: 'Contact me',
    })
  })

  test("Microsoft's shape round-trips through Leadrelay's own ingest", () => {
    const body = JSON.parse(JSON.stringify(microsoftPayload(snapshot)))
    const incoming = parseInboundLead(body, 'microsoft')
    expect(normaliseCustomer(incoming.customer).customer).toEqual(lead.customer)
    const draft = interpretLead(incoming, { receivedAt: t1 })
    expect(draft).toMatchObject({
      source: 'AzureMarketplace',
      action: 'PLT',
      stage: 'active',
      offerRef: 'contoso.widget-saas',
      description: 'Contact me',
      customer: lead.customer,
    })
  })

  test("Microsoft's shape with missing values sends empty strings", () => {
    const bare: Lead = { ...lead, customer: { email: 'x@example.com' }, source: undefined, action: undefined }
    const payload = microsoftPayload({ lead: bare, events: [] })
    expect(payload.UserDetails).toEqual({
      FirstName: '',
      LastName: '',
      Email: 'x@example.com',
      Phone: '',
      Country: '',
      Company: '',
      Title: '',
    })
    expect(payload.LeadSource).toBe('|contoso.widget-saas')
    expect(payload.ActionCode).toBe('')
    expect(normaliseCustomer(parseInboundLead(payload, 'microsoft').customer).customer).toEqual(bare.customer)
  })
})

describe('the connector against a local receiver', () => {
  let sink: WebhookSink
  let http: NodeHttpClient
  const clock = createManualClock(Date.UTC(2026, 2, 4, 10, 0, 0))
  const log = createLogger('silent')
  const secrets: DestinationSecrets = { signingSecret: secretA }

  const connect = (overrides: Partial<WebhookConfig> = {}, stored: DestinationSecrets = secrets) =>
    webhookDestination.connect({ url: sink.url, format: 'leadrelay', timeoutMs: 5000, ...overrides }, stored, {
      http,
      clock,
      log,
    })
  const attempt = (deliveryId: string, number = 1, signal = new AbortController().signal): DeliveryAttempt => ({
    deliveryId,
    number,
    signal,
  })

  async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
    try {
      await promise
    } catch (error) {
      if (error instanceof DeliveryError) return error
      throw error
    }
    throw new Error('Expected a DeliveryError')
  }

  beforeEach(async () => {
    sink = await startWebhookSink()
    http = createNodeHttpClient({ allowPrivateNetworks: true, maxResponseBytes: 4096 })
    clock.set(Date.UTC(2026, 2, 4, 10, 0, 0))
  })
  afterEach(async () => {
    http.close()
    await sink.close()
  })

  test('POSTs the signed lead and returns the status', async () => {
    const receipt = await connect(
      { headers: { 'X-Tenant': 'contoso' } },
      { ...secrets, 'header:X-Api-Key': 'k-123' },
    ).deliver(snapshot, attempt('dlv_01'))
    expect(receipt).toEqual({ status: 200 })
    const [request] = sink.received
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe('/hook')
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Leadrelay-Webhook/1',
      'webhook-id': 'dlv_01',
      'webhook-timestamp': `${clock.now() / 1000}`,
      'x-tenant': 'contoso',
      'x-api-key': 'k-123',
    })
    expect(request?.json).toEqual(leadrelayPayload(snapshot, clock.now()))
    const verified = verifyWebhook({
      secret: secretA,
      body: request?.body ?? '',
      headers: request?.headers ?? {},
      now: clock.now(),
    })
    expect(verified).toEqual({ ok: true, id: 'dlv_01', timestampSeconds: clock.now() / 1000 })
  })

  test('sends the Microsoft shape when configured', async () => {
    await connect({ format: 'microsoft' }).deliver(snapshot, attempt('dlv_01'))
    expect(sink.received[0]?.json).toEqual(microsoftPayload(snapshot))
  })

  test('webhook-id is the delivery id across attempts; the timestamp is each attempt’s own', async () => {
    const connector = connect()
    await connector.deliver(snapshot, attempt('dlv_01', 1))
    clock.advance(5000)
    await connector.deliver(snapshot, attempt('dlv_01', 2))
    await connector.deliver(snapshot, attempt('dlv_02', 1))
    const [first, retry, other] = sink.received
    expect(retry?.headers['webhook-id']).toBe(first?.headers['webhook-id'])
    expect(other?.headers['webhook-id']).not.toBe(first?.headers['webhook-id'])
    expect(Number(retry?.headers['webhook-timestamp']) - Number(first?.headers['webhook-timestamp'])).toBe(5)
    expect(retry?.headers['webhook-signature']).not.toBe(first?.headers['webhook-signature'])
    for (const request of sink.received) {
      expect(
        verifyWebhook({ secret: secretA, body: request.body, headers: request.headers, now: clock.now() }).ok,
      ).toBe(true)
    }
  })

  test('both secrets sign during a rotation, only the new one after it expires', async () => {
    const rotated = rotateWebhookSecrets(secrets, counting(7), clock.now(), 60_000)
    const connector = connect({}, rotated)
    await connector.deliver(snapshot, attempt('dlv_01'))
    clock.advance(60_000)
    await connector.deliver(snapshot, attempt('dlv_01', 2))
    const [during, after] = sink.received
    expect(during?.headers['webhook-signature']?.split(' ')).toHaveLength(2)
    expect(after?.headers['webhook-signature']?.split(' ')).toHaveLength(1)
    const check = (secret: string, request: typeof during) =>
      verifyWebhook({ secret, body: request?.body ?? '', headers: request?.headers ?? {}, now: clock.now() }).ok
    expect(check(secretA, during)).toBe(true)
    expect(check(rotated.signingSecret, during)).toBe(true)
    expect(check(secretA, after)).toBe(false)
    expect(check(rotated.signingSecret, after)).toBe(true)
  })

  test.each<[number, FailureKind | undefined, Record<string, string>?]>([
    [200, undefined],
    [201, undefined],
    [204, undefined],
    [301, 'rejected', { location: 'https://elsewhere.example.com/' }],
    [302, 'rejected', { location: '/elsewhere' }],
    [400, 'rejected'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'rejected'],
    [408, 'retryable'],
    [410, 'gone'],
    [422, 'rejected'],
    [425, 'retryable'],
    [429, 'rate_limited', { 'retry-after': '30' }],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
  ])('HTTP %i → %s', async (status, kind, headers) => {
    sink.respondWith({ status, ...(headers && { headers }), body: status === 204 ? '' : '{"message":"answer"}' })
    const delivery = connect().deliver(snapshot, attempt('dlv_01'))
    if (kind === undefined) {
      expect(await delivery).toEqual({ status })
    } else {
      const error = await failure(delivery)
      expect(error.kind).toBe(kind)
      expect(error.details.status).toBe(status)
    }
    expect(sink.received).toHaveLength(1)
  })

  test('429 with Retry-After in seconds and as an HTTP date', async () => {
    sink.respondWith([
      { status: 429, headers: { 'retry-after': '12' } },
      { status: 429, headers: { 'retry-after': new Date(clock.now() + 120_000).toUTCString() } },
      { status: 503, headers: { 'retry-after': '5' } },
    ])
    const connector = connect()
    expect((await failure(connector.deliver(snapshot, attempt('dlv_01')))).details).toMatchObject({
      status: 429,
      retryAfterMs: 12_000,
    })
    expect(await failure(connector.deliver(snapshot, attempt('dlv_01', 2)))).toMatchObject({
      kind: 'rate_limited',
      details: { status: 429, retryAfterMs: 120_000 },
    })
    // A 503 is a failure even with Retry-After: it counts as a failed attempt, retried no sooner than asked.
    expect(await failure(connector.deliver(snapshot, attempt('dlv_01', 3)))).toMatchObject({
      kind: 'retryable',
      details: { status: 503, retryAfterMs: 5000 },
    })
  })

  test('a scripted sequence: 503, then 429 with Retry-After, then 200', async () => {
    sink.respondWith([{ status: 503 }, { status: 429, headers: { 'retry-after': '2' } }, { status: 200 }])
    const connector = connect()
    expect((await failure(connector.deliver(snapshot, attempt('dlv_01', 1)))).kind).toBe('retryable')
    expect((await failure(connector.deliver(snapshot, attempt('dlv_01', 2)))).kind).toBe('rate_limited')
    expect(await connector.deliver(snapshot, attempt('dlv_01', 3))).toEqual({ status: 200 })
    expect(await connector.deliver(snapshot, attempt('dlv_01', 4))).toEqual({ status: 200 })
  })

  test('a receiver that hangs times out as retryable', async () => {
    sink.respondWith({ hang: true })
    const started = Date.now()
    const error = await failure(connect({ timeoutMs: 200 }).deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('retryable')
    expect(Date.now() - started).toBeLessThan(3000)
    expect(sink.received).toHaveLength(1)
  })

  test('an aborted attempt is retryable', async () => {
    sink.respondWith({ hang: true })
    const controller = new AbortController()
    const delivery = connect().deliver(snapshot, attempt('dlv_01', 1, controller.signal))
    await sink.waitForRequests(1)
    controller.abort()
    expect((await failure(delivery)).kind).toBe('retryable')
  })

  test('an oversized answer is cut and the delivery classified by its status', async () => {
    sink.respondWith({ status: 200, body: 'a'.repeat(200_000) })
    expect(await connect().deliver(snapshot, attempt('dlv_01'))).toEqual({ status: 200 })
    sink.respondWith({ status: 500, body: 'b'.repeat(200_000) })
    const error = await failure(connect().deliver(snapshot, attempt('dlv_02')))
    expect(error.kind).toBe('retryable')
    expect(error.message.length).toBeLessThan(400)
  })

  test('redirects are not followed', async () => {
    sink.respondWith((request) =>
      request.path === '/hook' ? { status: 307, headers: { location: '/moved' } } : { status: 200 },
    )
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('rejected')
    expect(error.message).toContain('point the destination at the final URL')
    expect(sink.received.map((request) => request.path)).toEqual(['/hook'])
  })

  test('a private address is refused as misconfigured before anything is sent', async () => {
    const guarded = createNodeHttpClient({ allowPrivateNetworks: false })
    try {
      for (const url of [sink.url, `http://localhost:${sink.port}/hook`, `http://[::ffff:127.0.0.1]:${sink.port}/`]) {
        const connector = webhookDestination.connect({ url, format: 'leadrelay', timeoutMs: 5000 }, secrets, {
          http: guarded,
          clock,
          log,
        })
        const error = await failure(connector.deliver(snapshot, attempt('dlv_01')))
        expect(error.kind).toBe('misconfigured')
        expect(error.message).toContain('LEADRELAY_ALLOW_PRIVATE_NETWORKS')
        await expect(connector.verify(new AbortController().signal)).rejects.toMatchObject({ kind: 'misconfigured' })
      }
      expect(sink.connections).toBe(0)
    } finally {
      guarded.close()
    }
  })

  test('an unusable URL or secret is misconfigured', async () => {
    const badUrl = await failure(connect({ url: 'ftp://example.com/' }).deliver(snapshot, attempt('dlv_01')))
    expect(badUrl.kind).toBe('misconfigured')
    const noSecret = await failure(connect({}, {}).deliver(snapshot, attempt('dlv_01')))
    expect(noSecret.kind).toBe('misconfigured')
    expect(sink.received).toHaveLength(0)
  })

  test('verify sends a signed ping', async () => {
    sink.respondWith({ status: 204 })
    await connect({}, { ...secrets, 'header:Authorization': 'Bearer t' }).verify(new AbortController().signal)
    const [ping] = sink.received
    expect(ping?.json).toEqual({ type: 'leadrelay.ping', timestamp: new Date(clock.now()).toISOString() })
    expect(ping?.headers['webhook-id']).toBe(`ping_${clock.now()}`)
    expect(ping?.headers.authorization).toBe('Bearer t')
    expect(
      verifyWebhook({ secret: secretA, body: ping?.body ?? '', headers: ping?.headers ?? {}, now: clock.now() }).ok,
    ).toBe(true)
  })

  test.each<[number, FailureKind]>([
    [401, 'auth'],
    [404, 'rejected'],
    [410, 'gone'],
    [500, 'retryable'],
  ])('verify throws on HTTP %i (%s)', async (status, kind) => {
    sink.respondWith({ status })
    await expect(connect().verify(new AbortController().signal)).rejects.toMatchObject({ kind, details: { status } })
  })
})
