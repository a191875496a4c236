import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { fakeToken, type HubSpotFake, startHubSpotFake } from '../../../test/fakes/hubspot-fake.ts'
import { lead, t0, t1 } from '../../../test/helpers/sample-lead.ts'
import { AppError, DeliveryError, type FailureKind } from '../../core/errors.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { createManualClock } from '../../core/ports.ts'
import { createLogger } from '../../logger.ts'
import { createNodeHttpClient, type NodeHttpClient } from '../http-client-node.ts'
import type { BatchItem, Connector, DeliveryAttempt, LeadSnapshot } from '../types.ts'
import { prepareHubSpotSecrets } from './auth.ts'
import { createRequestWindow } from './client.ts'
import { type HubSpotConfig, hubspotConfigSchema } from './config.ts'
import { hubspotErrorTable, untilMidnight } from './errors.ts'
import { contactProperties, furthestStage, mappedPropertyNames, upsertInput } from './field-map.ts'
import { hubspotDestination, planCalls } from './index.ts'

function event(id: string, occurredAt: number, action: string, stage: LeadEvent['stage']): LeadEvent {
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
    customer: lead.customer,
    isTest: false,
  }
}

const snapshot: LeadSnapshot = {
  lead,
  events: [event('evt_1', t0, 'INS', 'initial_interest'), event('evt_2', t1, 'PLT', 'active')],
  offerTitle: 'Contoso Widget',
}

/** A different customer, as a separate lead. */
function customer(n: number, overrides: Partial<Lead> = {}): LeadSnapshot {
  const id = `lead_${n}`
  return {
    lead: {
      ...lead,
      id,
      customer: { ...lead.customer, email: `customer${n}@example.com`, firstName: `C${n}` },
      ...overrides,
    },
    events: [{ ...event(`evt_${n}`, t0, 'INS', 'initial_interest'), leadId: id }],
  }
}

const config = (overrides: Record<string, unknown> = {}): HubSpotConfig =>
  hubspotConfigSchema.parse({ baseUrl: 'http://127.0.0.1:1', ...overrides })

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DeliveryError) return error
    throw error
  }
  throw new Error('Expected a DeliveryError')
}

describe('settings', () => {
  test('defaults', () => {
    expect(hubspotConfigSchema.parse({})).toEqual({
      baseUrl: 'https://api.hubapi.com',
      timeoutMs: 15_000,
      lifecycleStages: {
        trial: 'lead',
        initial_interest: 'marketingqualifiedlead',
        active: 'salesqualifiedlead',
        customer: 'customer',
      },
      accountTimeZone: 'UTC',
      requestsPer10Seconds: 80,
    })
  })

  test.each<[Record<string, unknown>, string]>([
    [{ baseUrl: 'ftp://example.com' }, 'baseUrl'],
    [{ doNotContactProperty: 'Do Not Contact' }, 'doNotContactProperty'],
    [{ testLeadProperty: 'lifecyclestage' }, 'testLeadProperty'],
    [{ doNotContactProperty: 'leadrelay_flag', testLeadProperty: 'leadrelay_flag' }, 'testLeadProperty'],
    [{ lifecycleStages: { trial: 'salesqualifiedlead', active: 'lead' } }, 'lifecycleStages.active'],
    [{ lifecycleStages: { trial: 'lead;drop' } }, 'lifecycleStages.trial'],
    [{ accountTimeZone: 'Mars/Olympus' }, 'accountTimeZone'],
    [{ fieldMap: { fields: { 'Job Title': { from: 'customer.title' } } } }, 'fieldMap.fields.Job Title'],
    [{ requestsPer10Seconds: 0 }, 'requestsPer10Seconds'],
    [{ apiKey: 'x' }, ''],
  ])('refuses %j', (given, path) => {
    const result = hubspotConfigSchema.safeParse(given)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path)
  })

  test('custom lifecycle stages (numeric ids) and null are accepted', () => {
    const parsed = config({ lifecycleStages: { trial: null, initial_interest: '1234567', active: 'customer' } })
    expect(parsed.lifecycleStages).toEqual({
      trial: null,
      initial_interest: '1234567',
      active: 'customer',
      customer: 'customer',
    })
  })
})

describe('secrets', () => {
  test('takes a private app token, trimmed', () => {
    expect(prepareHubSpotSecrets({ accessToken: `  ${fakeToken}\n` })).toEqual({ accessToken: fakeToken })
    expect(hubspotDestination.prepareSecrets({ accessToken: fakeToken }, () => new Uint8Array())).toEqual({
      accessToken: fakeToken,
    })
  })

  test.each<[Record<string, unknown> | undefined, RegExp]>([
    [undefined, /required.*Private Apps/],
    [{ accessToken: '' }, /required/],
    [{ accessToken: 42 }, /string/],
    [{ accessToken: 'pat na1 with spaces in it 123' }, /not a HubSpot access token/],
    [{ accessToken: '0a1b2c3d-1111-2222-3333-444455556666' }, /legacy HubSpot API key/],
    [{ accessToken: fakeToken, clientSecret: 'x' }, /unknown secret clientSecret/],
  ])('refuses %j', (given, message) => {
    try {
      prepareHubSpotSecrets(given)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).code).toBe('VALIDATION_FAILED')
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toContain('0a1b2c3d-1111')
    }
  })
})

describe('field map', () => {
  test('standard properties and the lifecycle stage of the furthest funnel stage', () => {
    expect(upsertInput(snapshot, config())).toEqual({
      idProperty: 'email',
      id: 'jane.doe@contoso.com',
      objectWriteTraceId: 'lead_01JQ',
      properties: {
        email: 'jane.doe@contoso.com',
        firstname: 'Jane',
        lastname: 'Doe',
        phone: '+1 617 555 0100',
        country: 'US',
        company: 'Contoso',
        jobtitle: 'CTO',
        lifecyclestage: 'salesqualifiedlead',
      },
    })
  })

  test.each<[LeadEvent['stage'][], LeadEvent['stage'], string | undefined]>([
    [['trial'], 'trial', 'lead'],
    [['initial_interest'], 'initial_interest', 'marketingqualifiedlead'],
    [['active', 'trial'], 'active', 'salesqualifiedlead'],
    [['initial_interest', 'do_not_contact'], 'initial_interest', 'marketingqualifiedlead'],
    [['do_not_contact'], 'do_not_contact', undefined],
    [['unclassified'], 'unclassified', undefined],
    // A marketplace subscription: a customer, and still one in HubSpot once suspended or cancelled.
    [['initial_interest', 'customer'], 'customer', 'customer'],
    [['customer', 'churned'], 'customer', 'customer'],
  ])('events %j → furthest %s → lifecyclestage %s', (stages, furthest, lifecycle) => {
    // The lead row says `trial` on purpose: the events decide when they went further.
    const events = stages.map((stage, i) => event(`evt_${i}`, t0 + i, 'X', stage))
    const shot = { lead: { ...lead, stage: stages.includes('trial') ? 'trial' : stages[0]! }, events }
    expect(furthestStage(shot)).toBe(furthest)
    expect(contactProperties(shot, config()).lifecyclestage).toBe(lifecycle)
  })

  test('a null stage leaves the lifecycle alone', () => {
    expect(contactProperties(snapshot, config({ lifecycleStages: { active: null } })).lifecyclestage).toBeUndefined()
  })

  test('settings properties: do-not-contact, test flag, lead status, lead source and history', () => {
    const settings = config({
      leadStatus: 'NEW',
      doNotContactLeadStatus: 'UNQUALIFIED',
      doNotContactProperty: 'leadrelay_do_not_contact',
      testLeadProperty: 'leadrelay_test',
      leadSourceProperty: 'leadrelay_source',
      historyProperty: 'leadrelay_history',
    })
    expect(contactProperties(snapshot, settings)).toMatchObject({
      hs_lead_status: 'NEW',
      leadrelay_do_not_contact: 'false',
      leadrelay_test: 'false',
      leadrelay_source: 'AzureMarketplace-PLT|contoso.widget-saas',
      leadrelay_history:
        '2026-03-01T09:00:00.000Z AzureMarketplace INS (initial_interest)\n2026-03-03T15:30:00.000Z AzureMarketplace PLT (active)',
    })
    const dnc = { ...snapshot, lead: { ...lead, doNotContact: true, isTest: true } }
    expect(contactProperties(dnc, settings)).toMatchObject({
      hs_lead_status: 'UNQUALIFIED',
      leadrelay_do_not_contact: 'true',
      leadrelay_test: 'true',
      lifecyclestage: 'salesqualifiedlead',
    })
    expect(mappedPropertyNames(settings).sort()).toEqual(
      [
        'company',
        'country',
        'email',
        'firstname',
        'hs_lead_status',
        'jobtitle',
        'lastname',
        'leadrelay_do_not_contact',
        'leadrelay_history',
        'leadrelay_source',
        'leadrelay_test',
        'lifecyclestage',
        'phone',
      ].sort(),
    )
  })

  test('overrides replace and omit properties, settings ones included; absent values are not sent', () => {
    const settings = config({
      leadSourceProperty: 'leadrelay_source',
      fieldMap: {
        fields: {
          jobtitle: { template: '{{customer.title}} at {{customer.company}}' },
          leadrelay_source: { constant: 'Azure Marketplace' },
          hs_analytics_source_data_1: { from: 'offerTitle' },
        },
        omit: ['phone', 'lifecyclestage'],
      },
    })
    const bare = { ...snapshot, lead: { ...lead, customer: { email: 'x@example.com', title: 'CTO' } } }
    expect(contactProperties(bare, settings)).toEqual({
      email: 'x@example.com',
      jobtitle: 'CTO at ',
      leadrelay_source: 'Azure Marketplace',
      hs_analytics_source_data_1: 'Contoso Widget',
    })
    expect(mappedPropertyNames(settings)).not.toContain('phone')
    expect(mappedPropertyNames(settings)).not.toContain('lifecyclestage')
  })

  test('a very long history keeps its newest lines', () => {
    const events = Array.from({ length: 2000 }, (_, i) => event(`evt_${i}`, t0 + i * 60_000, 'INS', 'initial_interest'))
    const history = contactProperties({ lead, events }, config({ historyProperty: 'leadrelay_history' }))
      .leadrelay_history!
    expect(history.length).toBeLessThanOrEqual(65_536)
    expect(history.startsWith('…\n')).toBe(true)
    expect(
      history.endsWith(new Date(t0 + 1999 * 60_000).toISOString().concat(' AzureMarketplace INS (initial_interest)')),
    ).toBe(true)
  })

  test('calls: ids unique per call, at most 100 per call', () => {
    const entries = [
      ...Array.from({ length: 150 }, (_, i) => ({ input: { id: `c${i}@example.com` } })),
      { input: { id: 'c1@example.com' } },
      { input: { id: 'c1@example.com' } },
    ]
    const calls = planCalls(entries)
    expect(calls.map((call) => call.length)).toEqual([100, 50, 1, 1])
    for (const call of calls) expect(new Set(call.map((entry) => entry.input.id)).size).toBe(call.length)
  })
})

describe('the connector against the HubSpot fake', () => {
  let fake: HubSpotFake
  let http: NodeHttpClient
  const clock = createManualClock(Date.UTC(2026, 2, 4, 10, 0, 0))
  const log = createLogger('silent')

  const connect = (overrides: Record<string, unknown> = {}, token = fakeToken): Connector =>
    hubspotDestination.connect(
      hubspotConfigSchema.parse({ baseUrl: fake.url, timeoutMs: 5000, ...overrides }),
      { accessToken: token },
      { http, clock, log },
    )
  const attempt = (deliveryId = 'dlv_01', signal = new AbortController().signal): DeliveryAttempt => ({
    deliveryId,
    number: 1,
    signal,
  })
  const batchOf = (snapshots: LeadSnapshot[]): BatchItem[] =>
    snapshots.map((shot, i) => ({ snapshot: shot, attempt: { deliveryId: `dlv_${i}`, number: 1 } }))

  beforeEach(async () => {
    fake = await startHubSpotFake()
    http = createNodeHttpClient({ allowPrivateNetworks: true })
    clock.set(Date.UTC(2026, 2, 4, 10, 0, 0))
  })
  afterEach(async () => {
    http.close()
    await fake.close()
  })

  test('creates the contact, then updates the same one: never a second contact', async () => {
    const connector = connect()
    const created = await connector.deliver(snapshot, attempt())
    expect(created).toEqual({ externalId: '101', status: 200, note: 'created contact' })
    const [request] = fake.requests
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe('/crm/v3/objects/contacts/batch/upsert')
    expect(request?.headers.authorization).toBe(`Bearer ${fakeToken}`)
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.json).toEqual(connector.preview!(snapshot))

    const later = { ...snapshot, lead: { ...lead, customer: { ...lead.customer, title: 'CEO' }, version: 4 } }
    expect(await connector.deliver(later, attempt('dlv_02'))).toEqual({
      externalId: '101',
      status: 200,
      note: 'updated contact',
    })
    // A replay of the same delivery is one more update of the same contact.
    await connector.deliver(later, attempt('dlv_02'))
    expect(fake.contacts.size).toBe(1)
    expect(fake.contactByEmail('jane.doe@contoso.com')).toMatchObject({
      id: '101',
      writes: 3,
      properties: { jobtitle: 'CEO', lifecyclestage: 'salesqualifiedlead', firstname: 'Jane' },
    })
  })

  test('a lead without email is rejected without a call', async () => {
    const noEmail = { ...snapshot, lead: { ...lead, customer: { firstName: 'Jane', phone: '1234567890' } } }
    const error = await failure(connect().deliver(noEmail, attempt()))
    expect(error).toMatchObject({ kind: 'rejected', details: { vendorCode: 'NO_EMAIL' } })
    expect(error.message).toMatch(/no email address.*upserted by email/)
    expect(() => connect().preview!(noEmail)).toThrow(DeliveryError)
    expect(fake.requests).toHaveLength(0)
  })

  test('the error table: every row is exercised below', () => {
    expect(hubspotErrorTable).toHaveLength(9)
    for (const row of hubspotErrorTable) expect(row.doc).toMatch(/^https:\/\/developers\.hubspot\.com\//)
  })

  test('401 is auth at once, with how to get a new token; no retry, no refresh', async () => {
    const error = await failure(
      connect({}, 'pat-na1-00000000-0000-4000-8000-000000000000').deliver(snapshot, attempt()),
    )
    expect(error).toMatchObject({ kind: 'auth', details: { status: 401, vendorCode: 'INVALID_AUTHENTICATION' } })
    expect(error.message).toMatch(/create a new token in the private app/)
    expect(fake.requests).toHaveLength(1)
    fake.fail({ kind: 'expiredToken' })
    expect(await failure(connect().deliver(snapshot, attempt()))).toMatchObject({
      kind: 'auth',
      details: { vendorCode: 'EXPIRED_AUTHENTICATION' },
    })
    expect(fake.requests).toHaveLength(2)
  })

  test('403 MISSING_SCOPES is misconfigured and names the scopes', async () => {
    fake.tokens.set(fakeToken, new Set(['crm.objects.contacts.read']))
    const error = await failure(connect().deliver(snapshot, attempt()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 403, vendorCode: 'MISSING_SCOPES' } })
    expect(error.message).toContain('MISSING_SCOPES: crm.objects.contacts.write')
    expect(error.message).toContain('grant crm.objects.contacts.write and crm.objects.contacts.read')
  })

  test('another 403 is misconfigured', async () => {
    fake.fail({ kind: 'serverError', status: 403 })
    const error = await failure(connect().deliver(snapshot, attempt()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 403 } })
    expect(error.message).toMatch(/right HubSpot account/)
  })

  test('400 PROPERTY_DOESNT_EXIST is misconfigured, naming the property and how to create it', async () => {
    const error = await failure(connect({ leadSourceProperty: 'leadrelay_source' }).deliver(snapshot, attempt()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { vendorCode: 'PROPERTY_DOESNT_EXIST' } })
    expect(error.message).toContain('"leadrelay_source"')
    expect(error.message).toContain('Create property')
  })

  test('400 INVALID_OPTION: misconfigured for a settings value, rejected for a lead value', async () => {
    const badStage = await failure(
      connect({ lifecycleStages: { active: 'customer_plus' } }).deliver(snapshot, attempt()),
    )
    // One input carries an objectWriteTraceId, so HubSpot answers 207 with the input's error.
    expect(badStage).toMatchObject({ kind: 'misconfigured', details: { status: 207, vendorCode: 'INVALID_OPTION' } })
    expect(badStage.message).toContain('"lifecyclestage"')

    fake.addProperty({ name: 'region', type: 'enumeration', fieldType: 'select', options: ['EMEA', 'AMER'] })
    const badValue = await failure(
      connect({ fieldMap: { fields: { region: { from: 'customer.country' } } } }).deliver(snapshot, attempt()),
    )
    expect(badValue).toMatchObject({ kind: 'rejected', details: { status: 207, vendorCode: 'INVALID_OPTION' } })
    expect(badValue.message).toContain('INVALID_OPTION on "region"')
  })

  test('400 INVALID_EMAIL is rejected, and the message never carries the address', async () => {
    const bad = { ...snapshot, lead: { ...lead, customer: { ...lead.customer, email: 'jane@contoso.c' } } }
    const error = await failure(connect().deliver(bad, attempt()))
    expect(error).toMatchObject({ kind: 'rejected', details: { status: 207, vendorCode: 'INVALID_EMAIL' } })
    expect(error.message).not.toContain('jane@')
    // The same refusal as a whole-call 400 (HubSpot without multi-status).
    fake.multiStatus = false
    const whole = await failure(connect().deliver(bad, attempt()))
    expect(whole).toMatchObject({ kind: 'rejected', details: { status: 400, vendorCode: 'INVALID_EMAIL' } })
    expect(whole.message).not.toContain('jane@')
    fake.fail({ kind: 'validation', code: 'INVALID_INTEGER', property: 'numemployees' })
    const other = await failure(connect().deliver(snapshot, attempt()))
    expect(other).toMatchObject({ kind: 'rejected', details: { vendorCode: 'INVALID_INTEGER' } })
    expect(other.message).toContain('numemployees')
  })

  test('409 CONFLICT is retried once as an update and then delivered', async () => {
    fake.fail({ kind: 'conflict' })
    expect(await connect().deliver(snapshot, attempt())).toMatchObject({ externalId: '101', status: 200 })
    expect(fake.upserts()).toHaveLength(2)
    fake.fail({ kind: 'conflict' }, { times: 2 })
    const error = await failure(connect().deliver(snapshot, attempt()))
    expect(error).toMatchObject({ kind: 'retryable', details: { status: 409, vendorCode: 'CONFLICT' } })
    expect(fake.upserts()).toHaveLength(4)
  })

  test('429 TEN_SECONDLY_ROLLING: Retry-After, else the interval header, else 10 s', async () => {
    const connector = connect()
    fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING', retryAfter: '3' })
    expect(await failure(connector.deliver(snapshot, attempt()))).toMatchObject({
      kind: 'rate_limited',
      details: { status: 429, vendorCode: 'TEN_SECONDLY_ROLLING', retryAfterMs: 3000 },
    })
    fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING', intervalMs: 1000 })
    expect((await failure(connector.deliver(snapshot, attempt()))).details.retryAfterMs).toBe(1000)
    fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING' })
    // The fake sends its own interval header on every answer; a 429 without one waits HubSpot's 10 s window.
    const error = await failure(connector.deliver(snapshot, attempt()))
    expect(error.details.retryAfterMs).toBe(10_000)
    fake.fail({ kind: 'rateLimit' })
    expect(await failure(connector.deliver(snapshot, attempt()))).toMatchObject({
      kind: 'rate_limited',
      details: { vendorCode: 'RATE_LIMITS', retryAfterMs: 10_000 },
    })
  })

  test('429 DAILY waits until midnight in the account time zone', async () => {
    fake.fail({ kind: 'rateLimit', policy: 'DAILY' })
    // 10:00 UTC is 19:00 in Tokyo: midnight there is 5 h away.
    const error = await failure(connect({ accountTimeZone: 'Asia/Tokyo' }).deliver(snapshot, attempt()))
    expect(error).toMatchObject({
      kind: 'rate_limited',
      details: { status: 429, vendorCode: 'DAILY', retryAfterMs: 5 * 3_600_000 },
    })
    expect(error.message).toContain('Asia/Tokyo')
    expect(untilMidnight(Date.UTC(2026, 2, 4, 23, 59, 59, 500), 'UTC')).toBe(500)
    expect(untilMidnight(Date.UTC(2026, 6, 4, 12, 0, 0), 'America/New_York')).toBe(16 * 3_600_000)
  })

  test.each<[number, FailureKind, string | undefined]>([
    [500, 'retryable', undefined],
    [502, 'retryable', undefined],
    [503, 'retryable', undefined],
    [504, 'retryable', undefined],
    [503, 'retryable', '30'],
  ])('HTTP %i → %s (Retry-After %s)', async (status, kind, retryAfter) => {
    fake.fail({ kind: 'serverError', status, ...(retryAfter !== undefined && { retryAfter }) })
    const error = await failure(connect().deliver(snapshot, attempt()))
    expect(error).toMatchObject({ kind, details: { status } })
    if (retryAfter !== undefined) expect(error.details.retryAfterMs).toBe(Number(retryAfter) * 1000)
    expect(error.message).toMatch(/^HubSpot /)
  })

  test('404 from the API paths is misconfigured: the base URL is wrong', async () => {
    const error = await failure(connect({ baseUrl: `${fake.url}/proxy` }).deliver(snapshot, attempt()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 404 } })
    expect(error.message).toContain('baseUrl')
  })

  test('a hanging HubSpot times out as retryable; an aborted attempt is retryable', async () => {
    fake.fail({ kind: 'hang' }, { times: 2 })
    const started = Date.now()
    expect((await failure(connect({ timeoutMs: 1000 }).deliver(snapshot, attempt()))).kind).toBe('retryable')
    expect(Date.now() - started).toBeLessThan(4000)
    const controller = new AbortController()
    const delivery = connect().deliver(snapshot, attempt('dlv_01', controller.signal))
    await fake.waitForRequests(2)
    controller.abort()
    expect((await failure(delivery)).kind).toBe('retryable')
  })

  test('a private address is refused as misconfigured before anything is sent', async () => {
    const guarded = createNodeHttpClient({ allowPrivateNetworks: false })
    try {
      const connector = hubspotDestination.connect(
        hubspotConfigSchema.parse({ baseUrl: fake.url }),
        { accessToken: fakeToken },
        { http: guarded, clock, log },
      )
      expect((await failure(connector.deliver(snapshot, attempt()))).kind).toBe('misconfigured')
      expect((await failure(connector.verify(new AbortController().signal))).kind).toBe('misconfigured')
      expect(fake.requests).toHaveLength(0)
    } finally {
      guarded.close()
    }
  })

  test('no stored token is misconfigured without a call', async () => {
    const connector = hubspotDestination.connect(
      hubspotConfigSchema.parse({ baseUrl: fake.url }),
      {},
      {
        http,
        clock,
        log,
      },
    )
    expect(await failure(connector.deliver(snapshot, attempt()))).toMatchObject({ kind: 'misconfigured' })
    expect(fake.requests).toHaveLength(0)
  })

  describe('batches', () => {
    test('one call for many leads; results matched by trace id whatever their order', async () => {
      const leads = [1, 2, 3, 4, 5].map((n) => customer(n))
      const results = await connect().deliverBatch!(batchOf(leads), new AbortController().signal)
      expect(fake.upserts()).toHaveLength(1)
      expect(fake.upserts()[0]!.inputs.map((input) => input.id)).toEqual(leads.map((shot) => shot.lead.customer.email))
      expect(results.map((result) => result.ok && result.receipt.externalId)).toEqual(
        leads.map((shot) => fake.contactByEmail(shot.lead.customer.email!)!.id),
      )
    })

    test.each(['objectWriteTraceId', 'ids'] as const)(
      'a partial failure (207, errors named by %s) fails only its own lead',
      async (naming) => {
        fake.errorContext = naming
        const leads = [
          customer(1),
          customer(2, { customer: { ...lead.customer, email: 'broken@contoso.c' } }),
          customer(3),
        ]
        const results = await connect().deliverBatch!(batchOf(leads), new AbortController().signal)
        expect(fake.upserts()).toHaveLength(1)
        expect(results[0]).toMatchObject({ ok: true, receipt: { status: 207, note: 'created contact' } })
        expect(results[1]).toMatchObject({
          ok: false,
          error: { kind: 'rejected', details: { vendorCode: 'INVALID_EMAIL' } },
        })
        expect(results[2]).toMatchObject({ ok: true, receipt: { status: 207 } })
        expect(fake.contacts.size).toBe(2)
      },
    )

    test('a conflicting input in a 207 is upserted once more, alone', async () => {
      fake.fail({ kind: 'partial', ids: ['customer2@example.com'], category: 'CONFLICT' })
      const results = await connect().deliverBatch!(
        batchOf([customer(1), customer(2), customer(3)]),
        new AbortController().signal,
      )
      expect(results.every((result) => result.ok)).toBe(true)
      expect(fake.upserts().map((body) => body.inputs.map((input) => input.id))).toEqual([
        ['customer1@example.com', 'customer2@example.com', 'customer3@example.com'],
        ['customer2@example.com'],
      ])
    })

    test('without multi-status, a bad input named by HubSpot fails alone and the rest are sent again', async () => {
      fake.multiStatus = false
      const leads = [customer(1), customer(2, { customer: { email: 'broken@contoso.c' } }), customer(3)]
      const results = await connect().deliverBatch!(batchOf(leads), new AbortController().signal)
      expect(results.map((result) => result.ok)).toEqual([true, false, true])
      expect(fake.upserts().map((body) => body.inputs.length)).toEqual([3, 2])
    })

    test('without multi-status and no name for the bad input, each lead is sent on its own', async () => {
      fake.multiStatus = false
      fake.fail({ kind: 'validation', code: 'INVALID_INTEGER', property: 'numemployees' })
      const results = await connect().deliverBatch!(batchOf([customer(1), customer(2)]), new AbortController().signal)
      expect(results.map((result) => result.ok)).toEqual([true, true])
      expect(fake.upserts().map((body) => body.inputs.length)).toEqual([2, 1, 1])
    })

    test('two leads of one customer go in separate calls, in order; no-email leads fail alone', async () => {
      const otherOffer = {
        ...snapshot,
        lead: { ...lead, id: 'lead_other', offerId: 'contoso.other', stage: 'trial' as const },
        events: [{ ...event('evt_9', t0, 'StartTestDrive', 'trial'), leadId: 'lead_other' }],
      }
      const noEmail = customer(7, { customer: { firstName: 'NoMail' } })
      const results = await connect().deliverBatch!(
        batchOf([snapshot, noEmail, otherOffer, customer(1)]),
        new AbortController().signal,
      )
      expect(results.map((result) => result.ok)).toEqual([true, false, true, true])
      expect(results[1]).toMatchObject({ ok: false, error: { details: { vendorCode: 'NO_EMAIL' } } })
      expect(fake.upserts().map((body) => body.inputs.map((input) => input.objectWriteTraceId))).toEqual([
        ['lead_01JQ', 'lead_1'],
        ['lead_other'],
      ])
      // The trial lead of the other offer must not pull the contact back from SQL to lead.
      expect(fake.contactByEmail('jane.doe@contoso.com')!.properties.lifecyclestage).toBe('salesqualifiedlead')
      expect(fake.backwardLifecycleRequests).toBe(1)
    })

    test('a whole-call failure is every lead’s outcome, and later calls are not made', async () => {
      fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING', retryAfter: '2' })
      const leads = [snapshot, customer(1), { ...snapshot, lead: { ...lead, id: 'lead_again' } }]
      const results = await connect().deliverBatch!(batchOf(leads), new AbortController().signal)
      expect(results.map((result) => !result.ok && result.error.kind)).toEqual([
        'rate_limited',
        'rate_limited',
        'rate_limited',
      ])
      expect(fake.upserts()).toHaveLength(1)
    })

    test('maxBatchSize is HubSpot’s 100', () => {
      expect(connect().maxBatchSize).toBe(100)
    })
  })

  test('the request window holds back the 81st call within 10 s', async () => {
    const window = createRequestWindow(clock, 80)
    for (let i = 0; i < 80; i++) window.take()
    clock.advance(4000)
    try {
      window.take()
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 6000 } })
    }
    clock.advance(6000)
    expect(() => window.take()).not.toThrow()

    const connector = connect({ requestsPer10Seconds: 2 })
    await connector.deliver(snapshot, attempt())
    await connector.deliver(snapshot, attempt())
    expect(await failure(connector.deliver(snapshot, attempt()))).toMatchObject({ kind: 'rate_limited' })
    expect(fake.upserts()).toHaveLength(2)
  })

  describe('verify', () => {
    const settings = {
      leadStatus: 'NEW',
      doNotContactLeadStatus: 'UNQUALIFIED',
      doNotContactProperty: 'leadrelay_do_not_contact',
      testLeadProperty: 'leadrelay_test',
    }
    const checkbox = (name: string) =>
      fake.addProperty({ name, type: 'bool', fieldType: 'booleancheckbox', options: ['true', 'false'] })

    test('reads one contact and every property the destination sends', async () => {
      checkbox('leadrelay_do_not_contact')
      checkbox('leadrelay_test')
      await connect(settings).verify(new AbortController().signal)
      expect(
        fake.requests.map(
          (request) => `${request.method} ${request.path}${request.query.size ? `?${request.query}` : ''}`,
        ),
      ).toEqual([
        'GET /crm/v3/objects/contacts?limit=1',
        ...mappedPropertyNames(config(settings)).map((name) => `GET /crm/v3/properties/contacts/${name}`),
      ])
      // One contact read, the 7 standard properties, lifecyclestage, hs_lead_status and the two flags.
      expect(fake.requests).toHaveLength(12)
      expect(fake.requests.every((request) => request.headers.authorization === `Bearer ${fakeToken}`)).toBe(true)
    })

    test('bad token → auth; missing read scope → misconfigured naming it', async () => {
      const bad = await failure(
        connect({}, 'pat-na1-00000000-0000-4000-8000-000000000000').verify(new AbortController().signal),
      )
      expect(bad).toMatchObject({ kind: 'auth', details: { status: 401 } })
      expect(bad.message).toMatch(/accessToken secret/)
      fake.tokens.set(fakeToken, new Set(['crm.objects.contacts.write']))
      const scope = await failure(connect().verify(new AbortController().signal))
      expect(scope).toMatchObject({ kind: 'misconfigured', details: { vendorCode: 'MISSING_SCOPES' } })
      expect(scope.message).toContain('crm.objects.contacts.read')
    })

    test('a missing property → misconfigured, naming it and how to create it', async () => {
      checkbox('leadrelay_test')
      const error = await failure(connect(settings).verify(new AbortController().signal))
      expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 404 } })
      expect(error.message).toContain('"leadrelay_do_not_contact"')
      expect(error.message).toContain('Create property')
    })

    test('a lifecycle or lead status value HubSpot does not offer → misconfigured', async () => {
      const stage = await failure(
        connect({ lifecycleStages: { active: '99999' } }).verify(new AbortController().signal),
      )
      expect(stage.kind).toBe('misconfigured')
      expect(stage.message).toContain('"lifecyclestage" has no option "99999"')
      const status = await failure(connect({ leadStatus: 'HOT' }).verify(new AbortController().signal))
      expect(status.message).toContain('"hs_lead_status" has no option "HOT"')
    })

    test('a flag property that cannot hold true/false → misconfigured', async () => {
      fake.addProperty({ name: 'leadrelay_test', type: 'number', fieldType: 'number' })
      const error = await failure(connect({ testLeadProperty: 'leadrelay_test' }).verify(new AbortController().signal))
      expect(error.kind).toBe('misconfigured')
      expect(error.message).toContain('single checkbox')
    })

    test('a 429 or a 5xx while verifying keeps its kind', async () => {
      fake.fail({ kind: 'rateLimit', policy: 'TEN_SECONDLY_ROLLING', retryAfter: '1' }, { on: 'read' })
      expect((await failure(connect().verify(new AbortController().signal))).kind).toBe('rate_limited')
      fake.fail({ kind: 'serverError', status: 502 }, { on: 'read' })
      expect((await failure(connect().verify(new AbortController().signal))).kind).toBe('retryable')
    })
  })
})
