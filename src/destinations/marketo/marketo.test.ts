import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { type MarketoFake, startMarketoFake } from '../../../test/fakes/marketo-fake.ts'
import { AppError, DeliveryError, type FailureKind } from '../../core/errors.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { createManualClock } from '../../core/ports.ts'
import { createLogger } from '../../logger.ts'
import { createNodeHttpClient, type NodeHttpClient } from '../http-client-node.ts'
import type { BatchItem, DeliveryAttempt, LeadSnapshot } from '../types.ts'
import { tokenMarginMs } from './auth.ts'
import { type MarketoConfig, marketoBaseUrl, marketoConfigSchema } from './config.ts'
import { marketoErrorTable, nextMidnight, safeVendorText } from './errors.ts'
import { marketoDefaultFieldMap, marketoRecord } from './field-map.ts'
import { marketoDestination, planCalls } from './index.ts'

const clientId = 'client-id-1'
const clientSecret = 'client-secret-1'
const start = Date.UTC(2026, 10, 25, 12, 0, 0)

let fake: MarketoFake
let http: NodeHttpClient
let clock: ReturnType<typeof createManualClock>
const log = createLogger('silent')

beforeEach(async () => {
  clock = createManualClock(start)
  fake = await startMarketoFake({
    clientId,
    clientSecret,
    now: () => clock.now(),
    customFields: [
      { name: 'leadrelaySource', displayName: 'Leadrelay Source', dataType: 'string', length: 255 },
      { name: 'leadrelayTest', displayName: 'Leadrelay Test', dataType: 'boolean' },
    ],
  })
  http = createNodeHttpClient({ allowPrivateNetworks: true })
})
afterEach(async () => {
  http.close()
  await fake.close()
})

function config(overrides: Record<string, unknown> = {}): MarketoConfig {
  return marketoConfigSchema.parse({ restUrl: fake.url, ...overrides })
}

function connect(overrides: Record<string, unknown> = {}, secrets = { clientId, clientSecret }) {
  return marketoDestination.connect(config(overrides), secrets, { http, clock, log })
}

function attempt(deliveryId: string, number = 1, signal = new AbortController().signal): DeliveryAttempt {
  return { deliveryId, number, signal }
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(DeliveryError)
    return error as DeliveryError
  }
  throw new Error('expected a DeliveryError')
}

const t0 = Date.UTC(2026, 2, 1, 9, 0, 0)
const t1 = Date.UTC(2026, 2, 3, 15, 30, 0)

function leadFor(customer: Lead['customer'], overrides: Partial<Lead> = {}): Lead {
  return {
    id: 'lead_01JQ',
    tenantId: 'tnt_01',
    offerId: 'contoso.widget-saas',
    offerKey: 'contoso.widget-saas',
    stage: 'active',
    doNotContact: false,
    isTest: false,
    customer,
    source: 'AzureMarketplace',
    action: 'PLT',
    eventCount: 1,
    firstEventAt: t0,
    lastEventAt: t1,
    createdAt: t0,
    updatedAt: t1,
    version: 1,
    ...overrides,
  }
}

const jane: Lead['customer'] = {
  firstName: 'Jane',
  lastName: 'Doe',
  email: 'jane.doe@contoso.com',
  phone: '+1 617 555 0100',
  phoneDigits: '16175550100',
  country: 'US',
  company: 'Contoso',
  title: 'CTO',
}

function snapshotOf(customer: Lead['customer'] = jane, overrides: Partial<Lead> = {}): LeadSnapshot {
  const lead = leadFor(customer, overrides)
  const event: LeadEvent = {
    id: 'evt_1',
    leadId: lead.id,
    format: 'microsoft',
    receivedAt: t1,
    occurredAt: t1,
    leadSource: `AzureMarketplace-${lead.action}|contoso.widget-saas`,
    source: 'AzureMarketplace',
    action: lead.action!,
    stage: lead.stage,
    offerRef: 'contoso.widget-saas',
    customer,
    isTest: lead.isTest,
  }
  return { lead, events: [event], offerTitle: 'Contoso Widget' }
}

const snapshot = snapshotOf()

function person(email: string): Lead['customer'] {
  return { email, firstName: email.split('@')[0]! }
}

function batchItem(email: string, index: number): BatchItem {
  return { snapshot: snapshotOf(person(email)), attempt: { deliveryId: `dlv_${index}`, number: 1 } }
}

describe('config', () => {
  test('defaults', () => {
    expect(marketoConfigSchema.parse({ munchkinId: '123-ABC-456' })).toEqual({
      munchkinId: '123-ABC-456',
      lookupField: 'email',
      action: 'createOrUpdate',
      leadSource: 'Azure Marketplace',
      marketingSuspendedOnDoNotContact: false,
      quotaResetTimeZone: 'UTC',
      timeoutMs: 15_000,
    })
  })

  test('the REST base comes from the Munchkin ID or restUrl (a trailing /rest or slash is accepted)', () => {
    expect(marketoBaseUrl({ munchkinId: '123-ABC-456' })).toBe('https://123-ABC-456.mktorest.com')
    expect(marketoBaseUrl({ restUrl: 'https://123-ABC-456.mktorest.com/rest/' })).toBe(
      'https://123-ABC-456.mktorest.com',
    )
    expect(marketoBaseUrl({ munchkinId: '123-ABC-456', restUrl: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9')
  })

  test.each<[Record<string, unknown>, string]>([
    [{}, 'munchkinId'],
    [{ munchkinId: '123ABC456' }, 'munchkinId'],
    [{ restUrl: 'ftp://x.mktorest.com' }, 'restUrl'],
    [{ munchkinId: '123-ABC-456', lookupField: 'e-mail' }, 'lookupField'],
    [{ munchkinId: '123-ABC-456', fieldMap: { omit: ['email'] } }, 'lookupField'],
    [{ munchkinId: '123-ABC-456', lookupField: 'id' }, 'lookupField'],
    [{ munchkinId: '123-ABC-456', action: 'updateOnly', partitionName: 'Default' }, 'partitionName'],
    [{ munchkinId: '123-ABC-456', action: 'createDuplicate' }, 'action'],
    [{ munchkinId: '123-ABC-456', quotaResetTimeZone: 'Mars/Olympus' }, 'quotaResetTimeZone'],
    [{ munchkinId: '123-ABC-456', fieldMap: { fields: { 'bad name': { constant: 1 } } } }, 'fieldMap'],
    [{ munchkinId: '123-ABC-456', sourceDetailField: 'has space' }, 'sourceDetailField'],
    [{ munchkinId: '123-ABC-456', clientSecret: 'x' }, ''],
  ])('refuses %j (at %s)', (input, path) => {
    const result = marketoConfigSchema.safeParse(input)
    expect(result.success).toBe(false)
    if (path) expect(result.error?.issues.map((issue) => issue.path[0])).toContain(path)
  })

  test('a custom lookupField is fine once the map sends it', () => {
    const parsed = marketoConfigSchema.parse({
      munchkinId: '123-ABC-456',
      lookupField: 'leadrelayId',
      fieldMap: { fields: { leadrelayId: { from: 'leadId' } } },
    })
    expect(parsed.lookupField).toBe('leadrelayId')
  })

  test('renders as JSON Schema for the UI', () => {
    const schema = z.toJSONSchema(marketoConfigSchema, { io: 'input' }) as { properties: Record<string, unknown> }
    expect(Object.keys(schema.properties)).toEqual([
      'munchkinId',
      'restUrl',
      'lookupField',
      'action',
      'partitionName',
      'leadSource',
      'sourceDetailField',
      'marketingSuspendedOnDoNotContact',
      'testLeadField',
      'quotaResetTimeZone',
      'timeoutMs',
      'fieldMap',
    ])
  })
})

describe('secrets', () => {
  test('keeps the client id and secret, trimmed', () => {
    expect(
      marketoDestination.prepareSecrets({ clientId: ' abc ', clientSecret: 'def' }, () => new Uint8Array()),
    ).toEqual({ clientId: 'abc', clientSecret: 'def' })
  })

  test.each<[Record<string, unknown> | undefined, string]>([
    [undefined, 'secrets.clientId'],
    [{ clientId: 'abc' }, 'secrets.clientSecret'],
    [{ clientId: '', clientSecret: 'a-long-secret-value' }, 'secrets.clientId'],
    [{ clientId: 42, clientSecret: 'a-long-secret-value' }, 'secrets.clientId'],
    [{ clientId: 'abc', clientSecret: 'has a space-in-it' }, 'secrets.clientSecret'],
    [{ clientId: 'abc', clientSecret: 'x', apiKey: 'another-long-value' }, 'secrets.apiKey'],
  ])('refuses %j', (given, field) => {
    try {
      marketoDestination.prepareSecrets(given, () => new Uint8Array())
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field })
      for (const value of Object.values(given ?? {})) {
        if (typeof value === 'string' && value.length > 8) expect((error as Error).message).not.toContain(value)
      }
    }
  })
})

describe('field map', () => {
  test('the default record: Marketo REST names, the configured lead source, unknown values left out', () => {
    const map = marketoDefaultFieldMap(config())
    expect(marketoRecord(map, snapshot)).toEqual({
      email: 'jane.doe@contoso.com',
      firstName: 'Jane',
      lastName: 'Doe',
      phone: '+1 617 555 0100',
      country: 'US',
      company: 'Contoso',
      title: 'CTO',
      leadSource: 'Azure Marketplace',
    })
    expect(marketoRecord(map, snapshotOf({ email: 'x@example.com' }))).toEqual({
      email: 'x@example.com',
      leadSource: 'Azure Marketplace',
    })
  })

  test('do-not-contact sets unsubscribed (and marketingSuspended when asked); never sends false', () => {
    const dnc = snapshotOf(jane, { doNotContact: true, stage: 'do_not_contact', action: 'DNC' })
    expect(marketoRecord(marketoDefaultFieldMap(config()), dnc)).toMatchObject({ unsubscribed: true })
    expect(marketoRecord(marketoDefaultFieldMap(config()), dnc)).not.toHaveProperty('marketingSuspended')
    const both = marketoDefaultFieldMap(config({ marketingSuspendedOnDoNotContact: true }))
    expect(marketoRecord(both, dnc)).toMatchObject({ unsubscribed: true, marketingSuspended: true })
    const record = marketoRecord(both, snapshot)
    expect(record).not.toHaveProperty('unsubscribed')
    expect(record).not.toHaveProperty('marketingSuspended')
  })

  test('source detail and test flag fields, a custom lead source, and overrides', () => {
    const settings = config({
      leadSource: 'AppSource',
      sourceDetailField: 'leadrelaySource',
      testLeadField: 'leadrelayTest',
      fieldMap: {
        fields: { city: { constant: 'Redmond' }, title: { template: '{{customer.title}} @ {{offerTitle}}' } },
        omit: ['phone'],
      },
    })
    const body = marketoDestination.connect(settings, { clientId, clientSecret }, { http, clock, log }).preview!(
      snapshotOf(jane, { isTest: true }),
    )
    expect(body).toEqual({
      action: 'createOrUpdate',
      lookupField: 'email',
      input: [
        {
          email: 'jane.doe@contoso.com',
          firstName: 'Jane',
          lastName: 'Doe',
          country: 'US',
          company: 'Contoso',
          title: 'CTO @ Contoso Widget',
          leadSource: 'AppSource',
          leadrelaySource: 'AzureMarketplace-PLT|contoso.widget-saas (active)',
          leadrelayTest: true,
          city: 'Redmond',
        },
      ],
    })
  })
})

describe('delivering', () => {
  test('creates a person, then updates the same one: one record, no duplicate', async () => {
    const connector = connect({ sourceDetailField: 'leadrelaySource' })
    const first = await connector.deliver(snapshot, attempt('dlv_01'))
    expect(first).toMatchObject({ status: 200, note: 'created' })
    const [created] = fake.findLeads('email', 'jane.doe@contoso.com')
    expect(first.externalId).toBe(String(created?.id))
    expect(created?.fields).toMatchObject({
      firstName: 'Jane',
      leadrelaySource: 'AzureMarketplace-PLT|contoso.widget-saas (active)',
    })

    const later = snapshotOf({ ...jane, email: 'Jane.Doe@Contoso.com', title: 'CEO' }, { action: 'Create' })
    const second = await connector.deliver(later, attempt('dlv_02'))
    expect(second).toEqual({ externalId: first.externalId, status: 200, note: 'updated' })
    // The same delivery again (a retry after a lost answer) changes nothing but the update count.
    expect(await connector.deliver(later, attempt('dlv_02', 2))).toMatchObject({ externalId: first.externalId })
    expect(fake.leads.size).toBe(1)
    expect(fake.findLeads('email', 'jane.doe@contoso.com')[0]?.fields).toMatchObject({
      title: 'CEO',
      leadrelaySource: 'AzureMarketplace-Create|contoso.widget-saas (active)',
    })
  })

  test('the wire: bearer header, never a query token, JSON body equal to the preview; one token fetch', async () => {
    const connector = connect()
    await connector.deliver(snapshot, attempt('dlv_01'))
    await connector.deliver(snapshot, attempt('dlv_02'))
    const [identity] = fake.identityCalls()
    expect(fake.identityCalls()).toHaveLength(1)
    expect(identity?.method).toBe('GET')
    expect(Object.fromEntries(identity!.query)).toEqual({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    })
    const calls = fake.syncCalls()
    expect(calls).toHaveLength(2)
    for (const call of calls) {
      expect(call.headers.authorization).toBe(`Bearer ${fake.tokensIssued[0]}`)
      expect(call.headers['content-type']).toBe('application/json')
      expect(call.query.has('access_token')).toBe(false)
      expect(call.json).toEqual(connector.preview!(snapshot))
    }
  })

  test('the token is reused until expires_in minus the margin, then fetched again', async () => {
    const connector = connect()
    await connector.deliver(snapshot, attempt('dlv_01'))
    clock.advance(3600_000 - tokenMarginMs - 1)
    await connector.deliver(snapshot, attempt('dlv_02'))
    expect(fake.identityCalls()).toHaveLength(1)
    clock.advance(1)
    await connector.deliver(snapshot, attempt('dlv_03'))
    expect(fake.identityCalls()).toHaveLength(2)
    // Marketo hands back the same token while it lives: the connector keeps working with it.
    expect(fake.syncCalls().every((call) => call.headers.authorization === `Bearer ${fake.tokensIssued[0]}`)).toBe(true)
  })

  test.each([
    ['expired (602)', (f: MarketoFake) => f.expireTokens()],
    ['invalid (601)', (f: MarketoFake) => f.revokeTokens()],
  ])('a token Marketo calls %s is fetched again once and the call repeated', async (_, spoil) => {
    const connector = connect()
    await connector.deliver(snapshot, attempt('dlv_01'))
    spoil(fake)
    expect(await connector.deliver(snapshot, attempt('dlv_02'))).toMatchObject({ note: 'updated' })
    expect(fake.identityCalls()).toHaveLength(2)
    expect(fake.tokensIssued).toHaveLength(2)
    const calls = fake.syncCalls()
    expect(calls).toHaveLength(3)
    expect(calls[2]?.headers.authorization).toBe(`Bearer ${fake.tokensIssued[1]}`)
  })

  test('a second token rejection in a row is an auth failure: one refresh only', async () => {
    fake.failNext(
      { errors: [{ code: '602', message: 'Access token expired' }] },
      { errors: [{ code: '601', message: 'Access token invalid' }] },
    )
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('auth')
    expect(error.details.vendorCode).toBe('601')
    expect(error.message).toContain('LaunchPoint')
    expect(fake.identityCalls()).toHaveLength(2)
    expect(fake.syncCalls()).toHaveLength(2)
  })

  test('bad credentials: auth, with how to fix them, and nothing sent to the REST API', async () => {
    const error = await failure(connect({}, { clientId, clientSecret: 'wrong' }).deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('auth')
    expect(error.details.status).toBe(401)
    expect(error.message).toContain('Client ID and Client Secret')
    expect(error.message).toContain('LaunchPoint')
    expect(error.message).not.toContain('wrong')
    expect(fake.syncCalls()).toHaveLength(0)
  })

  test.each<[string, FailureKind]>([
    ['404', 'misconfigured'],
    ['503', 'retryable'],
  ])('identity HTTP %s is %s', async (status, kind) => {
    fake.failIdentityNext({ status: Number(status), body: '<html>oops</html>' })
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe(kind)
  })

  test('an identity answer that is not JSON means the URL is not Marketo: misconfigured', async () => {
    fake.failIdentityNext({ status: 200, body: '<html>login</html>' })
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('restUrl')
  })

  test('a lead without email is rejected before anything is sent; so is a non-ASCII email', async () => {
    const connector = connect()
    const noEmail = await failure(
      connector.deliver(snapshotOf({ firstName: 'Nobody', phone: '123' }), attempt('dlv_01')),
    )
    expect(noEmail.kind).toBe('rejected')
    expect(noEmail.message).toContain('no email address')
    expect(noEmail.message).toContain('lookupField')
    const unicode = await failure(connector.deliver(snapshotOf({ email: 'jürgen@beispiel.de' }), attempt('dlv_02')))
    expect(unicode.kind).toBe('rejected')
    expect(unicode.message).toContain('ASCII')
    expect(unicode.message).not.toContain('jürgen')
    expect(fake.requests).toHaveLength(0)
  })

  test('a custom lookupField upserts on it, and a lead lacking it is rejected naming the field', async () => {
    fake.addField({ name: 'leadrelayId', displayName: 'Leadrelay Id', dataType: 'string' })
    const connector = connect({ lookupField: 'leadrelayId', fieldMap: { fields: { leadrelayId: { from: 'leadId' } } } })
    await connector.deliver(snapshotOf({ firstName: 'No email' }), attempt('dlv_01'))
    await connector.deliver(snapshotOf({ firstName: 'Still none', title: 'CFO' }), attempt('dlv_02'))
    expect(fake.leads.size).toBe(1)
    expect(fake.findLeads('leadrelayId', 'lead_01JQ')[0]?.fields).toMatchObject({
      firstName: 'Still none',
      title: 'CFO',
    })
    expect(fake.syncCalls()[0]?.json).toMatchObject({ lookupField: 'leadrelayId' })

    const other = marketoDestination.connect(
      config({ lookupField: 'leadrelayId', fieldMap: { fields: { leadrelayId: { from: 'description' } } } }),
      { clientId, clientSecret },
      { http, clock, log },
    )
    const error = await failure(other.deliver(snapshot, attempt('dlv_03')))
    expect(error).toMatchObject({ kind: 'rejected' })
    expect(error.message).toContain('leadrelayId')
  })

  test('createOnly: an existing person counts as delivered (1005); updateOnly: a missing one is rejected (1004)', async () => {
    fake.seedLead({ email: 'jane.doe@contoso.com', firstName: 'Original' })
    const createOnly = connect({ action: 'createOnly', partitionName: 'Default' })
    expect(await createOnly.deliver(snapshot, attempt('dlv_01'))).toMatchObject({
      note: 'already in Marketo (createOnly)',
    })
    expect(fake.findLeads('email', 'jane.doe@contoso.com')[0]?.fields.firstName).toBe('Original')
    expect(fake.syncCalls()[0]?.json).toMatchObject({ action: 'createOnly', partitionName: 'Default' })

    const updateOnly = connect({ action: 'updateOnly' })
    const error = await failure(updateOnly.deliver(snapshotOf(person('new@example.com')), attempt('dlv_02')))
    expect(error).toMatchObject({ kind: 'rejected', details: { vendorCode: '1004', status: 200 } })
    expect(error.message).toContain('createOrUpdate')
    expect(fake.leads.size).toBe(1)
  })

  test('several people with the email: rejected with a hint to merge them (1007)', async () => {
    fake.seedLead({ email: 'jane.doe@contoso.com' })
    fake.seedLead({ email: 'JANE.DOE@contoso.com' })
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error).toMatchObject({ kind: 'rejected', details: { vendorCode: '1007' } })
    expect(error.message).toContain('Merge the duplicate people')
  })

  test('a field Marketo lacks is misconfigured, naming the field (1006)', async () => {
    const error = await failure(connect({ sourceDetailField: 'missingField' }).deliver(snapshot, attempt('dlv_01')))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { vendorCode: '1006' } })
    expect(error.message).toContain("'missingField'")
    expect(error.message).toContain('New Custom Field')
  })

  test("Marketo's messages never carry the lead's data into ours", async () => {
    // The fake quotes the offending value, as Marketo does for 1001.
    const error = await failure(
      connect({ fieldMap: { fields: { unsubscribed: { from: 'customer.email' } } } }).deliver(
        snapshot,
        attempt('dlv_01'),
      ),
    )
    expect(error).toMatchObject({ kind: 'rejected', details: { vendorCode: '1001' } })
    expect(error.message).toContain("Required of type 'boolean'")
    expect(error.message).not.toContain('jane')
    expect(
      safeVendorText(
        "Invalid value 'John Smith' for 'firstName', call +1 617 555 0100 or x@y.com",
        new Set(['firstName']),
      ),
    ).toBe("Invalid value '…' for 'firstName', call [number] or [email]")
  })
})

/** Every row of the error table, with the kind it must produce: kept apart from the table so a wrong row fails. */
const expectedKinds: Record<string, FailureKind | 'refresh_token' | 'delivered'> = {
  '500': 'retryable',
  '502': 'retryable',
  '601': 'refresh_token',
  '602': 'refresh_token',
  '603': 'misconfigured',
  '604': 'retryable',
  '605': 'rejected',
  '606': 'rate_limited',
  '607': 'rate_limited',
  '608': 'retryable',
  '609': 'rejected',
  '610': 'misconfigured',
  '611': 'retryable',
  '612': 'rejected',
  '614': 'retryable',
  '615': 'rate_limited',
  '701': 'rejected',
  '713': 'retryable',
  '1001': 'rejected',
  '1002': 'rejected',
  '1003': 'rejected',
  '1004': 'rejected',
  '1005': 'delivered',
  '1006': 'misconfigured',
  '1007': 'rejected',
  '1008': 'misconfigured',
  '1009': 'misconfigured',
  '1010': 'rejected',
  '1011': 'misconfigured',
  '1021': 'rejected',
  '1036': 'retryable',
}

describe('error table', () => {
  test('every row is tested', () => {
    expect(Object.keys(expectedKinds).sort()).toEqual(Object.keys(marketoErrorTable).sort())
  })

  const rows = Object.entries(expectedKinds).filter(([, kind]) => kind !== 'refresh_token')

  test.each(rows)('call level %s → %s', async (code, kind) => {
    fake.failNext({ errors: [{ code, message: 'Scripted' }] })
    const delivery = connect().deliver(snapshot, attempt('dlv_01'))
    if (kind === 'delivered') {
      // 1005 is a record-level answer: as a whole-call answer it means nothing was done.
      expect((await failure(delivery)).kind).toBe('retryable')
      return
    }
    const error = await failure(delivery)
    expect(error.kind).toBe(kind)
    expect(error.details).toMatchObject({ vendorCode: code, status: 200 })
    expect(error.message).toContain(`error ${code}`)
    expect(fake.syncCalls()).toHaveLength(1)
  })

  test.each(rows)('record level %s → %s', async (code, kind) => {
    fake.rejectRecords(() => true, { code, message: 'Scripted' })
    const delivery = connect().deliver(snapshot, attempt('dlv_01'))
    if (kind === 'delivered') {
      expect(await delivery).toMatchObject({ status: 200, note: 'already in Marketo (createOnly)' })
      return
    }
    const error = await failure(delivery)
    expect(error.kind).toBe(kind)
    expect(error.details.vendorCode).toBe(code)
  })

  test('rate limits wait as Marketo documents: 20 s window, a short pause, the daily quota reset', async () => {
    const connector = connect()
    fake.failNext(
      { errors: [{ code: '606', message: "Max rate limit '100' exceeded with in '20' secs" }] },
      { errors: [{ code: '615', message: 'Concurrent access limit reached' }] },
      { errors: [{ code: '607', message: 'Daily quota reached' }] },
    )
    expect((await failure(connector.deliver(snapshot, attempt('dlv_01')))).details.retryAfterMs).toBe(20_000)
    expect((await failure(connector.deliver(snapshot, attempt('dlv_01')))).details.retryAfterMs).toBe(2_000)
    const quota = await failure(connector.deliver(snapshot, attempt('dlv_01')))
    // 12:00 UTC: the default time zone resets in 12 h.
    expect(quota.details.retryAfterMs).toBe(12 * 3600_000)
    expect(quota.message).toContain('next try in 12.0 h')
    fake.failNext({ errors: [{ code: '607', message: 'Daily quota reached' }] })
    const central = await failure(
      connect({ quotaResetTimeZone: 'America/Chicago' }).deliver(snapshot, attempt('dlv_01')),
    )
    // 12:00 UTC is 06:00 CST: midnight in Chicago is 18 h away.
    expect(central.details.retryAfterMs).toBe(18 * 3600_000)
  })

  test('the fake enforces 100 calls per 20 s itself: the 101st call is rate limited', async () => {
    const connector = connect()
    for (let i = 0; i < 100; i++) await connector.deliver(snapshotOf(person(`p${i}@example.com`)), attempt(`dlv_${i}`))
    const error = await failure(connector.deliver(snapshot, attempt('dlv_x')))
    expect(error).toMatchObject({ kind: 'rate_limited', details: { vendorCode: '606', retryAfterMs: 20_000 } })
    clock.advance(20_000)
    expect(await connector.deliver(snapshot, attempt('dlv_x', 2))).toMatchObject({ note: 'created' })
  })

  test('an unknown code is retryable and names the code', async () => {
    fake.failNext({ errors: [{ code: '799', message: 'Something new' }] })
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error).toMatchObject({ kind: 'retryable', details: { vendorCode: '799' } })
    expect(error.message).toContain('799')
    fake.rejectRecords(() => true, { code: '1999', message: 'New reason' })
    const record = await failure(connect().deliver(snapshot, attempt('dlv_02')))
    expect(record).toMatchObject({ kind: 'retryable', details: { vendorCode: '1999' } })
  })

  test.each<[number, FailureKind, Record<string, string>?]>([
    [413, 'rejected'],
    [429, 'rate_limited', { 'retry-after': '7' }],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
  ])('HTTP %i → %s', async (status, kind, headers) => {
    fake.failNext({ status, ...(headers && { headers }), body: 'Error' })
    const error = await failure(connect().deliver(snapshot, attempt('dlv_01')))
    expect(error).toMatchObject({ kind, details: { status } })
    if (headers) expect(error.details.retryAfterMs).toBe(7000)
  })

  test('an answer that is not Marketo JSON is retryable', async () => {
    fake.failNext({ status: 200, body: '<html>maintenance</html>' }, { status: 200, body: '{"success":true}' })
    expect((await failure(connect().deliver(snapshot, attempt('dlv_01')))).kind).toBe('retryable')
    expect((await failure(connect().deliver(snapshot, attempt('dlv_01')))).kind).toBe('retryable')
  })

  test('a Marketo that hangs times out as retryable', async () => {
    fake.failNext({ hang: true })
    const started = Date.now()
    const error = await failure(connect({ timeoutMs: 1000 }).deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('retryable')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('a private address is refused as misconfigured before anything is sent', async () => {
    const guarded = createNodeHttpClient({ allowPrivateNetworks: false })
    try {
      const connector = marketoDestination.connect(config(), { clientId, clientSecret }, { http: guarded, clock, log })
      expect((await failure(connector.deliver(snapshot, attempt('dlv_01')))).kind).toBe('misconfigured')
      expect((await failure(connector.verify(new AbortController().signal))).kind).toBe('misconfigured')
      expect(fake.requests).toHaveLength(0)
    } finally {
      guarded.close()
    }
  })

  test('no stored credentials is misconfigured', async () => {
    const connector = marketoDestination.connect(config(), {}, { http, clock, log })
    const error = await failure(connector.deliver(snapshot, attempt('dlv_01')))
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('secrets.clientId')
  })
})

describe('batches', () => {
  test('301 leads go in two calls of 300 and 1, one result per lead in order', async () => {
    const items = Array.from({ length: 301 }, (_, i) => batchItem(`p${i}@example.com`, i))
    const connector = connect()
    expect(connector.maxBatchSize).toBe(300)
    const results = await connector.deliverBatch!(items, new AbortController().signal)
    expect(fake.syncCalls().map((call) => (call.json as { input: unknown[] }).input.length)).toEqual([300, 1])
    expect(results).toHaveLength(301)
    expect(results.every((result) => result.ok)).toBe(true)
    expect(fake.leads.size).toBe(301)
    const last = results[300]
    expect(last?.ok && last.receipt.externalId).toBe(String(fake.findLeads('email', 'p300@example.com')[0]?.id))
  })

  test('a partial batch failure gives each lead its own outcome', async () => {
    fake.rejectRecords((record) => record.email === 'bad@example.com', { code: '1003', message: 'Invalid data' })
    const items = [
      batchItem('a@example.com', 0),
      batchItem('bad@example.com', 1),
      { snapshot: snapshotOf({ firstName: 'No email' }), attempt: { deliveryId: 'dlv_2', number: 1 } },
      batchItem('c@example.com', 3),
    ]
    const results = await connect().deliverBatch!(items, new AbortController().signal)
    expect(fake.syncCalls()).toHaveLength(1)
    expect((fake.syncCalls()[0]!.json as { input: unknown[] }).input).toHaveLength(3)
    expect(results.map((result) => (result.ok ? 'ok' : result.error.kind))).toEqual([
      'ok',
      'rejected',
      'rejected',
      'ok',
    ])
    const bad = results[1]
    expect(!bad?.ok && bad?.error.details.vendorCode).toBe('1003')
    expect(fake.leads.size).toBe(2)
  })

  test('one person twice in a batch goes in two calls, in order, so the later change wins', async () => {
    const items = [
      {
        snapshot: snapshotOf({ email: 'same@example.com', title: 'Old' }),
        attempt: { deliveryId: 'dlv_0', number: 1 },
      },
      batchItem('other@example.com', 1),
      {
        snapshot: snapshotOf({ email: 'SAME@example.com', title: 'New' }),
        attempt: { deliveryId: 'dlv_2', number: 1 },
      },
    ]
    const results = await connect().deliverBatch!(items, new AbortController().signal)
    expect(results.every((result) => result.ok)).toBe(true)
    expect(fake.syncCalls().map((call) => (call.json as { input: unknown[] }).input.length)).toEqual([2, 1])
    expect(fake.sameKeyInOneCall()).toBe(0)
    expect(fake.findLeads('email', 'same@example.com')).toHaveLength(1)
    expect(fake.findLeads('email', 'same@example.com')[0]?.fields.title).toBe('New')
  })

  test('a whole-call failure is thrown for the batch', async () => {
    fake.failNext({ errors: [{ code: '606', message: 'Rate limit' }] })
    const error = await failure(
      connect().deliverBatch!(
        [batchItem('a@example.com', 0), batchItem('b@example.com', 1)],
        new AbortController().signal,
      ),
    )
    expect(error).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 20_000 } })
  })

  test('after a call fails, later calls of the batch are not sent and share its failure', async () => {
    fake.failNext({ status: 200, body: '' })
    const items = [batchItem('same@example.com', 0), batchItem('same@example.com', 1)]
    // First call answers unreadably (retryable); the second is not attempted.
    const error = await failure(connect().deliverBatch!(items, new AbortController().signal))
    expect(error.kind).toBe('retryable')
    expect(fake.syncCalls()).toHaveLength(1)
  })

  test('a rejected lead next to a failed call keeps its own reason', async () => {
    fake.failNext({ errors: [{ code: '611', message: 'System error' }] })
    const results = await connect().deliverBatch!(
      [
        batchItem('a@example.com', 0),
        { snapshot: snapshotOf({ firstName: 'x' }), attempt: { deliveryId: 'd', number: 1 } },
      ],
      new AbortController().signal,
    )
    expect(results.map((result) => (result.ok ? 'ok' : result.error.kind))).toEqual(['retryable', 'rejected'])
  })

  test('planCalls splits by count, bytes and repeated keys', () => {
    const records = (n: number, bytes = 10) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, bytes }))
    expect(planCalls(records(601), 50).map((call) => call.length)).toEqual([300, 300, 1])
    expect(planCalls(records(3, 400_000), 50).map((call) => call.length)).toEqual([2, 1])
    const keyed = [
      { key: 'a', bytes: 1 },
      { key: 'a', bytes: 1 },
      { key: 'b', bytes: 1 },
      { key: 'a', bytes: 1 },
    ]
    expect(planCalls(keyed, 50)).toEqual([[keyed[0], keyed[2]], [keyed[1]], [keyed[3]]])
  })
})

describe('verify', () => {
  const signal = () => new AbortController().signal

  test('passes when every mapped field exists: token exchange plus describe', async () => {
    await connect({ sourceDetailField: 'leadrelaySource', testLeadField: 'leadrelayTest' }).verify(signal())
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /identity/oauth/token',
      'GET /rest/v1/leads/describe.json',
    ])
    expect(fake.requests[1]?.headers.authorization).toBe(`Bearer ${fake.tokensIssued[0]}`)
  })

  test('missing fields are named, with their type and how to create them', async () => {
    fake.removeField('leadrelayTest')
    fake.removeField('leadrelaySource')
    const error = await failure(
      connect({ sourceDetailField: 'leadrelaySource', testLeadField: 'leadrelayTest' }).verify(signal()),
    )
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('leadrelaySource (String), leadrelayTest (Boolean)')
    expect(error.message).toContain('Admin > Field Management > New Custom Field')
    expect(error.message).toContain('fieldMap.omit')
  })

  test('a read-only field in the map is named', async () => {
    const error = await failure(
      connect({ fieldMap: { fields: { createdAt: { from: 'firstEventAt' } } } }).verify(signal()),
    )
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('cannot write createdAt')
  })

  test('a role without lead access: misconfigured, naming the permission', async () => {
    fake.setRole('none')
    const error = await failure(connect().verify(signal()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { vendorCode: '603' } })
    expect(error.message).toContain('Read-Write Lead')
  })

  test('bad credentials: auth', async () => {
    fake.setCredentials(clientId, 'rotated')
    const error = await failure(connect().verify(signal()))
    expect(error.kind).toBe('auth')
    expect(error.message).toContain('LaunchPoint')
  })

  test('a restUrl that is not Marketo: misconfigured', async () => {
    const error = await failure(connect({ restUrl: `${fake.url}/elsewhere` }).verify(signal()))
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('/identity')
  })

  test('a describe answer of thousands of fields is read whole, so a missing field is still reported', async () => {
    fake.padDescribe(2000)
    await connect().verify(signal())
    fake.removeField('leadrelaySource')
    expect((await failure(connect({ sourceDetailField: 'leadrelaySource' }).verify(signal()))).kind).toBe(
      'misconfigured',
    )
  })

  test('an expired token during verify is refreshed once', async () => {
    const connector = connect()
    await connector.verify(signal())
    fake.expireTokens()
    await connector.verify(signal())
    expect(fake.identityCalls()).toHaveLength(2)
  })
})

describe('quota reset', () => {
  test('next midnight in a time zone, across a daylight saving change', () => {
    expect(nextMidnight(Date.UTC(2026, 10, 25, 12, 0, 0), 'UTC')).toBe(Date.UTC(2026, 10, 26))
    expect(nextMidnight(Date.UTC(2026, 10, 25, 23, 59, 59, 999), 'UTC')).toBe(Date.UTC(2026, 10, 26))
    expect(nextMidnight(Date.UTC(2026, 10, 25, 12, 0, 0), 'America/Chicago')).toBe(Date.UTC(2026, 10, 26, 6))
    // 01:00 CST on 8 March 2026; clocks go forward at 02:00, so the next midnight is 00:00 CDT = 05:00 UTC.
    expect(nextMidnight(Date.UTC(2026, 2, 8, 7, 0, 0), 'America/Chicago')).toBe(Date.UTC(2026, 2, 9, 5))
    expect(nextMidnight(Date.UTC(2026, 10, 25, 12, 0, 0), 'Asia/Kolkata')).toBe(Date.UTC(2026, 10, 25, 18, 30))
  })
})
