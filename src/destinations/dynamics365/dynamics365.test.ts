import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { z } from 'zod'
import {
  type DataverseFake,
  dataverseError,
  type FakeReply,
  type FakeRequest,
  rateLimited,
  serverError,
  startDataverseFake,
} from '../../../test/fakes/dynamics365-fake.ts'
import { lead, t0, t1 } from '../../../test/helpers/sample-lead.ts'
import { AppError, DeliveryError, type FailureKind } from '../../core/errors.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { createManualClock } from '../../core/ports.ts'
import { createLogger } from '../../logger.ts'
import type { HttpResponse } from '../http-client.ts'
import { createNodeHttpClient, type NodeHttpClient } from '../http-client-node.ts'
import { defaultPlaceholder as salesforcePlaceholder } from '../salesforce/config.ts'
import type { DeliveryAttempt, DestinationSecrets, LeadSnapshot } from '../types.ts'
import { type DynamicsConfig, dynamicsConfigSchema, prepareDynamicsSecrets } from './config.ts'
import { dataverseErrorTable, entraErrorTable, findDataverseRule, findEntraRule, readEntraError } from './errors.ts'
import { dynamicsLeadBody } from './field-map.ts'
import { dynamics365Destination, dynamicsPreview } from './index.ts'

function event(id: string, occurredAt: number, action: string, stage: LeadEvent['stage'], description?: string) {
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
  } satisfies LeadEvent
}

const snapshot: LeadSnapshot = {
  lead,
  events: [event('evt_1', t0, 'INS', 'initial_interest'), event('evt_2', t1, 'PLT', 'active', 'Contact me')],
  offerTitle: 'Contoso Widget',
}

const expectedDescription = [
  'Contact me',
  '',
  'Marketplace lead source: AzureMarketplace-PLT|contoso.widget-saas',
  '',
  'History:',
  '2026-03-01T09:00:00.000Z AzureMarketplace INS (initial_interest)',
  '2026-03-03T15:30:00.000Z AzureMarketplace PLT (active)',
].join('\n')

const expectedBody = {
  firstname: 'Jane',
  lastname: 'Doe',
  emailaddress1: 'jane.doe@contoso.com',
  telephone1: '+1 617 555 0100',
  address1_country: 'US',
  companyname: 'Contoso',
  jobtitle: 'CTO',
  subject: 'Contoso Widget: active',
  description: expectedDescription,
  leadsourcecode: 8,
}

const minimal = {
  environmentUrl: 'https://contoso.crm4.dynamics.com',
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b3a9c7e-5d21-4f6a-8e0b-9c4d2a1f7e63',
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DeliveryError) return error
    throw error
  }
  throw new Error('Expected a DeliveryError')
}

function withLead(changes: Partial<Lead>, rest: Partial<LeadSnapshot> = {}): LeadSnapshot {
  return { ...snapshot, ...rest, lead: { ...lead, ...changes } }
}

describe('settings and secrets', () => {
  test('defaults', () => {
    expect(dynamicsConfigSchema.parse(minimal)).toEqual({
      ...minimal,
      authorityHost: 'https://login.microsoftonline.com',
      matchBy: 'email',
      alternateKeyColumn: 'leadrelay_leadid',
      leadSourceCode: 8,
      timeoutMs: 10_000,
      requiredFieldPlaceholder: '[not provided]',
    })
    expect(dynamicsConfigSchema.parse({ ...minimal, tenantId: 'contoso.onmicrosoft.com' }).tenantId).toBe(
      'contoso.onmicrosoft.com',
    )
  })

  test.each<[string, Record<string, unknown>, string]>([
    ['a URL with a path', { environmentUrl: 'https://contoso.crm4.dynamics.com/main.aspx?appid=1' }, 'environmentUrl'],
    ['a non-URL', { environmentUrl: 'contoso.crm4.dynamics.com' }, 'environmentUrl'],
    ['a tenant that is neither GUID nor domain', { tenantId: 'my tenant' }, 'tenantId'],
    ['a client id that is no GUID', { clientId: 'leadrelay-app' }, 'clientId'],
    ['a column name with capitals', { alternateKeyColumn: 'Leadrelay_LeadId' }, 'alternateKeyColumn'],
    ['an unknown setting', { clientSecret: 'x' }, ''],
  ])('refuses %s', (_, change, path) => {
    const result = dynamicsConfigSchema.safeParse({ ...minimal, ...change })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path.join('.')).toBe(path)
  })

  test('the settings form renders as JSON Schema', () => {
    const schema = z.toJSONSchema(dynamicsConfigSchema, { io: 'input', unrepresentable: 'any' }) as {
      required: string[]
    }
    expect(schema.required.sort()).toEqual(['clientId', 'environmentUrl', 'tenantId'])
  })

  test('secrets: clientSecret is required, trimmed, and never a Secret ID', () => {
    expect(prepareDynamicsSecrets({ clientSecret: '  abc~secret  ' })).toEqual({ clientSecret: 'abc~secret' })
    const errorOf = (given: Record<string, unknown> | undefined) => {
      try {
        prepareDynamicsSecrets(given)
      } catch (error) {
        return error as AppError
      }
      throw new Error('expected an error')
    }
    expect(errorOf(undefined)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'secrets.clientSecret' })
    expect(errorOf({ clientSecret: '' }).message).toContain('Certificates & secrets')
    const secretId = errorOf({ clientSecret: '4d1b4a62-7d5e-4c1e-9d2a-3f0e1b2c3d4e' })
    expect(secretId).toBeInstanceOf(AppError)
    expect(secretId.message).toContain('Secret ID')
    expect(errorOf({ clientSecret: 'x', password: 'y' }).field).toBe('secrets.password')
    expect(dynamics365Destination.prepareSecrets({ clientSecret: 'abc' }, () => new Uint8Array())).toEqual({
      clientSecret: 'abc',
    })
  })
})

describe('field map', () => {
  const settings = dynamicsConfigSchema.parse(minimal)

  test('the default map, without null values or false do-not-contact flags', () => {
    expect(dynamicsLeadBody(settings, snapshot)).toEqual(expectedBody)
  })

  test('do-not-contact sets donotemail and donotphone', () => {
    expect(dynamicsLeadBody(settings, withLead({ doNotContact: true }))).toEqual({
      ...expectedBody,
      donotemail: true,
      donotphone: true,
    })
  })

  test('a test lead is marked in the topic', () => {
    expect(dynamicsLeadBody(settings, withLead({ isTest: true })).subject).toBe('[TEST] Contoso Widget: active')
  })

  test('missing values are left out, but the required last name gets the placeholder; without an offer title the topic names the offer id', () => {
    const bare: LeadSnapshot = { lead: { ...lead, customer: { email: 'x@example.com' } }, events: [] }
    expect(dynamicsLeadBody(settings, bare)).toEqual({
      emailaddress1: 'x@example.com',
      lastname: '[not provided]',
      subject: 'contoso.widget-saas: active',
      description: 'Marketplace lead source: AzureMarketplace-PLT|contoso.widget-saas\n\nHistory:',
      leadsourcecode: 8,
    })
    // The same fact as Salesforce's, from one place; null sends nothing, as there.
    expect(dynamicsLeadBody({ ...settings, requiredFieldPlaceholder: '(unknown)' }, bare).lastname).toBe('(unknown)')
    expect(dynamicsLeadBody({ ...settings, requiredFieldPlaceholder: null }, bare)).not.toHaveProperty('lastname')
    expect(dynamicsConfigSchema.parse(minimal).requiredFieldPlaceholder).toBe(salesforcePlaceholder)
  })

  test('overrides add, replace and omit columns; leadSourceCode null leaves the column out', () => {
    const custom = dynamicsConfigSchema.parse({
      ...minimal,
      leadSourceCode: null,
      fieldMap: {
        fields: { jobtitle: { constant: 'n/a' }, new_offerid: { from: 'offerId' } },
        omit: ['telephone1', 'description'],
      },
    })
    const { telephone1: _t, description: _d, leadsourcecode: _l, ...rest } = expectedBody
    expect(dynamicsLeadBody(custom, snapshot)).toEqual({ ...rest, jobtitle: 'n/a', new_offerid: 'contoso.widget-saas' })
  })

  test('composed texts are cut to their column length', () => {
    const events = Array.from({ length: 60 }, (_, index) =>
      event(`evt_${index}`, t0 + index, 'INS', 'initial_interest'),
    )
    const body = dynamicsLeadBody(settings, { ...snapshot, events, offerTitle: 'x'.repeat(400) })
    expect(body.description).toHaveLength(2000)
    expect(String(body.description).endsWith('…')).toBe(true)
    expect(body.subject).toHaveLength(300)
  })

  test('the alternate key column is never in the body', () => {
    const custom = dynamicsConfigSchema.parse({
      ...minimal,
      matchBy: 'alternateKey',
      fieldMap: { fields: { leadrelay_leadid: { from: 'leadId' } } },
    })
    expect(dynamicsLeadBody(custom, snapshot, 'leadrelay_leadid')).toEqual(expectedBody)
    expect(dynamicsLeadBody(custom, snapshot)).toEqual({ ...expectedBody, leadrelay_leadid: 'lead_01JQ' })
  })
})

describe('preview', () => {
  const base = 'https://contoso.crm4.dynamics.com/api/data/v9.2'
  const odata = { accept: 'application/json', 'odata-maxversion': '4.0', 'odata-version': '4.0' }

  test('email mode: search, then update the oldest or create', () => {
    const preview = dynamicsPreview(dynamicsConfigSchema.parse(minimal), snapshot)
    expect(preview).toEqual({
      matchBy: 'email',
      requests: [
        {
          method: 'GET',
          url: `${base}/leads?$select=leadid&$filter=emailaddress1%20eq%20'jane.doe%40contoso.com'&$orderby=createdon%20asc&$top=2`,
          headers: { ...odata, 'if-none-match': 'null' },
        },
        {
          when: 'a lead has this email (the oldest is updated)',
          method: 'PATCH',
          url: `${base}/leads(<leadid>)?$select=leadid`,
          headers: {
            ...odata,
            'content-type': 'application/json; charset=utf-8',
            prefer: 'return=representation',
            'if-match': '*',
          },
          body: expectedBody,
        },
        {
          when: 'no lead has this email',
          method: 'POST',
          url: `${base}/leads`,
          headers: { ...odata, 'content-type': 'application/json; charset=utf-8' },
          body: expectedBody,
        },
      ],
    })
    expect(dynamics365Destination.connect(dynamicsConfigSchema.parse(minimal), {}, deps()).preview?.(snapshot)).toEqual(
      preview,
    )
  })

  test("email mode escapes quotes the OData way ('' for ')", () => {
    const preview = dynamicsPreview(
      dynamicsConfigSchema.parse(minimal),
      withLead({ customer: { email: "o'brien@contoso.com" } }),
    )
    expect(decodeURIComponent(preview.requests[0]!.url)).toContain("$filter=emailaddress1 eq 'o''brien@contoso.com'")
  })

  test('alternate key mode: create-only, then update-only on 412', () => {
    const preview = dynamicsPreview(dynamicsConfigSchema.parse({ ...minimal, matchBy: 'alternateKey' }), snapshot)
    const url = `${base}/leads(leadrelay_leadid='lead_01JQ')?$select=leadid`
    const write = { ...odata, 'content-type': 'application/json; charset=utf-8', prefer: 'return=representation' }
    expect(preview.requests).toEqual([
      { method: 'PATCH', url, headers: { ...write, 'if-none-match': '*' }, body: expectedBody },
      {
        when: 'the lead exists already (HTTP 412)',
        method: 'PATCH',
        url,
        headers: { ...write, 'if-match': '*' },
        body: expectedBody,
      },
    ])
  })
})

const clock = createManualClock(Date.UTC(2026, 2, 4, 10, 0, 0))
let http: NodeHttpClient = createNodeHttpClient({ allowPrivateNetworks: true })

function deps() {
  return { http, clock, log: createLogger('silent') }
}

const attempt = (deliveryId = 'dlv_01', signal = new AbortController().signal): DeliveryAttempt => ({
  deliveryId,
  number: 1,
  signal,
})

describe('against the fake Dataverse', () => {
  let fake: DataverseFake

  const settingsFor = (overrides: Record<string, unknown> = {}): DynamicsConfig =>
    dynamicsConfigSchema.parse({
      environmentUrl: fake.url,
      tenantId: fake.tenantId,
      clientId: fake.clientId,
      authorityHost: fake.authorityHost,
      ...overrides,
    })
  const connect = (overrides: Record<string, unknown> = {}, secrets?: DestinationSecrets) =>
    dynamics365Destination.connect(settingsFor(overrides), secrets ?? { clientSecret: fake.clientSecret }, deps())
  const run = (overrides: Record<string, unknown> = {}, lead: LeadSnapshot = snapshot) =>
    connect(overrides).deliver(lead, { deliveryId: 'dlv_01', number: 1, signal: new AbortController().signal })
  const api = () => fake.apiRequests
  const lines = (requests: readonly FakeRequest[]) =>
    requests.map((request) => `${request.method} ${decodeURIComponent(request.url)}`)

  beforeEach(async () => {
    fake = await startDataverseFake()
    http = createNodeHttpClient({ allowPrivateNetworks: true })
    clock.set(Date.UTC(2026, 2, 4, 10, 0, 0))
  })
  afterEach(async () => {
    http.close()
    await fake.close()
  })

  describe('email mode', () => {
    test('creates a lead: one token request, then search and POST with the OData headers', async () => {
      const receipt = await run()
      expect(fake.leads).toHaveLength(1)
      const [created] = fake.leads
      expect(receipt).toEqual({ externalId: created!.leadid, status: 204, note: 'created' })
      expect(created!.values).toEqual(expectedBody)

      const [tokenRequest] = fake.tokenRequests
      expect(fake.tokenRequests).toHaveLength(1)
      expect(tokenRequest!.pathname).toBe(`/${fake.tenantId}/oauth2/v2.0/token`)
      expect(tokenRequest!.headers['content-type']).toBe('application/x-www-form-urlencoded')
      expect(tokenRequest!.form).toEqual({
        grant_type: 'client_credentials',
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        scope: `${fake.url}/.default`,
      })
      expect(lines(api())).toEqual([
        "GET /api/data/v9.2/leads?$select=leadid&$filter=emailaddress1 eq 'jane.doe@contoso.com'&$orderby=createdon asc&$top=2",
        'POST /api/data/v9.2/leads',
      ])
      for (const request of api()) {
        expect(request.headers).toMatchObject({
          accept: 'application/json',
          'odata-maxversion': '4.0',
          'odata-version': '4.0',
        })
        expect(request.headers.authorization).toMatch(/^Bearer fake-access-token-1-/)
      }
      expect(api()[1]!.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(api()[1]!.json).toEqual(expectedBody)
    })

    test('a second delivery for the same customer updates the same record', async () => {
      const connector = connect()
      const first = await connector.deliver(snapshot, attempt('dlv_01'))
      const later = withLead({ stage: 'active', customer: { ...lead.customer, title: 'CEO' } })
      const second = await connector.deliver(later, attempt('dlv_02'))
      expect(fake.leads).toHaveLength(1)
      expect(second).toEqual({ externalId: first.externalId, status: 200, note: 'updated' })
      expect(fake.leads[0]!.values.jobtitle).toBe('CEO')
      expect(fake.leads[0]!.versionnumber).toBe(2)
      const patch = api().at(-1)!
      expect(patch.method).toBe('PATCH')
      expect(decodeURIComponent(patch.url)).toBe(`/api/data/v9.2/leads(${first.externalId})?$select=leadid`)
      expect(patch.headers).toMatchObject({ 'if-match': '*', prefer: 'return=representation' })
      expect(patch.headers['if-none-match']).toBeUndefined()
      // One token for both deliveries.
      expect(fake.tokenRequests).toHaveLength(1)
    })

    test('with several leads for the email, the oldest is updated', async () => {
      const oldest = fake.seed({ emailaddress1: 'JANE.DOE@contoso.com', lastname: 'Doe (old)' })
      const newer = fake.seed({ emailaddress1: 'jane.doe@contoso.com', lastname: 'Doe (new)' })
      const receipt = await run()
      expect(receipt).toEqual({
        externalId: oldest.leadid,
        status: 200,
        note: 'updated the oldest of several leads with this email',
      })
      expect(fake.leads).toHaveLength(2)
      expect(oldest.values.lastname).toBe('Doe')
      expect(newer.values.lastname).toBe('Doe (new)')
    })

    test('a lead without email is created without a search', async () => {
      const receipt = await run({}, withLead({ customer: { firstName: 'Ann', phone: '+44 20 7946 0000' } }))
      expect(receipt.note).toBe('created (no email to match on)')
      expect(lines(api())).toEqual(['POST /api/data/v9.2/leads'])
      expect(fake.leads[0]!.values).toMatchObject({ firstname: 'Ann', telephone1: '+44 20 7946 0000' })
    })

    test('a lead deleted between the search and the update is created again', async () => {
      const gone = fake.seed({ emailaddress1: 'jane.doe@contoso.com' })
      fake.when(
        (request) => request.method === 'PATCH',
        dataverseError(404, '0x80040217', `lead With Id = ${gone.leadid} Does Not Exist`),
      )
      const receipt = await run()
      expect(receipt.note).toBe('created')
      expect(lines(api()).map((line) => line.split(' ')[0])).toEqual(['GET', 'PATCH', 'POST'])
      expect(fake.leads).toHaveLength(2)
    })
  })

  describe('alternate key mode', () => {
    const keyed = { matchBy: 'alternateKey' }

    test('creates with If-None-Match: *, the key from the URL and not the body', async () => {
      const receipt = await run(keyed)
      const [created] = fake.leads
      expect(receipt).toEqual({ externalId: created!.leadid, status: 201, note: 'created' })
      expect(created!.values).toEqual({ ...expectedBody, leadrelay_leadid: 'lead_01JQ' })
      expect(lines(api())).toEqual(["PATCH /api/data/v9.2/leads(leadrelay_leadid='lead_01JQ')?$select=leadid"])
      expect(api()[0]!.headers).toMatchObject({ 'if-none-match': '*', prefer: 'return=representation' })
      expect(api()[0]!.json).toEqual(expectedBody)
    })

    test('a retry or a newer state gets 412, then updates the same record with If-Match: *', async () => {
      const first = await run(keyed)
      const second = await run(keyed, withLead({ customer: { ...lead.customer, company: 'Contoso Ltd' } }))
      expect(fake.leads).toHaveLength(1)
      expect(second).toEqual({ externalId: first.externalId, status: 200, note: 'updated' })
      expect(fake.leads[0]!.values.companyname).toBe('Contoso Ltd')
      expect(
        api().map((request) => [request.method, request.headers['if-none-match'], request.headers['if-match']]),
      ).toEqual([
        ['PATCH', '*', undefined],
        ['PATCH', '*', undefined],
        ['PATCH', undefined, '*'],
      ])
    })

    test('quotes in the key value are doubled', async () => {
      await run(keyed, withLead({ id: "lead_o'1" }))
      expect(api()[0]!.url).toContain("leads(leadrelay_leadid='lead_o''1')")
      expect(fake.leadsWhere('leadrelay_leadid', "lead_o'1")).toHaveLength(1)
    })

    test('a record deleted between the 412 and the update is a retryable failure', async () => {
      await run(keyed)
      fake.when(
        (request) => request.headers['if-match'] === '*',
        dataverseError(404, '0x80060891', 'A record with the specified key values does not exist in lead entity'),
      )
      const error = await failure(run(keyed))
      expect(error).toMatchObject({ kind: 'retryable', details: { status: 404 } })
      expect(error.message).toContain('creates it again')
    })
  })

  describe('the access token', () => {
    test('is cached, and renewed a few minutes before it expires', async () => {
      const connector = connect()
      const go = () =>
        connector.deliver(snapshot, { deliveryId: 'dlv_1', number: 1, signal: new AbortController().signal })
      await go()
      clock.advance((3599 - 301) * 1000)
      await go()
      expect(fake.tokenRequests).toHaveLength(1)
      clock.advance(2000)
      await go()
      expect(fake.tokenRequests).toHaveLength(2)
    })

    test('refused by Dataverse (expired): refreshed once, and the call is retried', async () => {
      const connector = connect()
      await connector.deliver(snapshot, attempt())
      fake.expireTokens()
      const receipt = await connector.deliver(snapshot, attempt())
      expect(receipt.note).toBe('updated')
      expect(fake.tokenRequests).toHaveLength(2)
      const statuses = api().map((request) => request.headers.authorization?.slice(0, 27))
      expect(statuses).toEqual([
        'Bearer fake-access-token-1-',
        'Bearer fake-access-token-1-',
        'Bearer fake-access-token-1-',
        'Bearer fake-access-token-2-',
        'Bearer fake-access-token-2-',
      ])
    })

    test('refused twice: one refresh, then an auth failure that names the fix', async () => {
      fake.when('api', { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: '' }, 10)
      const error = await failure(run())
      expect(error).toMatchObject({ kind: 'auth', details: { status: 401 } })
      expect(error.message).toContain('application user')
      expect(fake.tokenRequests).toHaveLength(2)
      expect(api()).toHaveLength(2)
    })

    test('concurrent deliveries share one token request', async () => {
      const connector = connect()
      await Promise.all(
        ['a@example.com', 'b@example.com', 'c@example.com'].map((email, index) =>
          connector.deliver(withLead({ id: `lead_${index}`, customer: { email } }), attempt()),
        ),
      )
      expect(fake.tokenRequests).toHaveLength(1)
      expect(fake.leads).toHaveLength(3)
    })
  })

  /** A reply for every row of the Dataverse table; the first API request of a delivery gets it. */
  const dataverseExamples: Record<string, FakeReply> = {
    'not-a-member': dataverseError(403, '0x80072560', 'The user is not a member of the organization.'),
    'expired-token': { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: '' },
    'user-disabled': dataverseError(
      403,
      '',
      'The user with SystemUserId=3f2e1d0c-0000-4000-8000-000000000001 is disabled.',
    ),
    'no-roles': dataverseError(
      403,
      '0x80042f09',
      'SecLib::RetrievePrivilegeForUser failed - no roles are assigned to user. Returned hr = -2147209463',
    ),
    'privilege-denied': dataverseError(
      403,
      '0x80040220',
      "Principal user (Id=3f2e1d0c, type=8) is missing prvCreateLead privilege on OTC=4 for entity 'lead'.",
    ),
    forbidden: dataverseError(403, '0x80048405', 'Access is denied.'),
    'rate-limit-requests': rateLimited(7, '0x80072322'),
    'rate-limit-time': rateLimited(30, '0x80072321'),
    'rate-limit-concurrency': rateLimited(1, '0x80072326'),
    'rate-limit': { status: 429, headers: { 'retry-after': '4' }, body: '' },
    'key-exists': dataverseError(412, '', 'A record with matching key values already exists.'),
    'duplicate-detected': dataverseError(
      412,
      '0x80040333',
      'A record was not created or updated because a duplicate of the current record already exists: jane.doe@contoso.com',
    ),
    'record-missing': dataverseError(
      404,
      '0x80040217',
      'lead With Id = 7eb682f1-ca75-e511-80d4-00155d2a68d1 Does Not Exist',
    ),
    'resource-not-found': dataverseError(404, '0x80060888', "Resource not found for the segment 'leads'."),
    'unknown-column': dataverseError(
      400,
      '0x80048d19',
      "The property 'new_x' does not exist on type 'Microsoft.Dynamics.CRM.lead'.",
    ),
    'bad-request-url': dataverseError(400, '0x8006088a', 'Bad Request - Error in query syntax.'),
    'invalid-option': dataverseError(400, '0x8004431a', "The value 99 of 'leadsourcecode' is outside the valid range."),
    'value-too-long': dataverseError(
      400,
      '0x80044331',
      "The length of the 'lastname' attribute of the 'lead' entity exceeded the maximum allowed length of '50'.",
    ),
    'invalid-lead': dataverseError(400, '0x80040203', 'Invalid argument: call +1 617 555 0100 or jane.doe@contoso.com'),
    'too-large': { status: 413, body: '' },
    'server-error': serverError(503),
  }

  const asResponse = (reply: FakeReply): HttpResponse => {
    if ('hang' in reply) throw new Error('no hang here')
    const headers = Object.fromEntries(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
    return { status: reply.status, headers, body: reply.body ?? '', truncated: false }
  }

  test('every row of the Dataverse table has an example, and each example finds its own row', () => {
    expect(Object.keys(dataverseExamples).sort()).toEqual(dataverseErrorTable.map((rule) => rule.id).sort())
    for (const [id, reply] of Object.entries(dataverseExamples)) {
      expect(findDataverseRule(asResponse(reply))?.id, id).toBe(id)
    }
  })

  test.each(dataverseErrorTable.filter((rule) => !['unauthorized', 'exists', 'missing'].includes(rule.outcome)))(
    'Dataverse row $id → $outcome through a delivery',
    async (rule) => {
      const reply = dataverseExamples[rule.id]!
      fake.when('api', reply)
      const error = await failure(run())
      const code = JSON.parse((reply as { body?: string }).body || '{}')?.error?.code || undefined
      expect(error.kind).toBe(rule.outcome as FailureKind)
      expect(error.details.status).toBe((reply as { status: number }).status)
      expect(error.details.vendorCode).toBe(code)
      expect(error.message).toContain(rule.what)
      expect(error.message).toContain(rule.fix)
      expect(error.message).not.toContain('jane.doe@contoso.com')
      expect(error.message).not.toContain('617 555')
      if (rule.outcome === 'rate_limited') {
        const seconds = Number((reply as { headers: Record<string, string> }).headers['retry-after'])
        expect(error.details.retryAfterMs).toBe(seconds * 1000)
      }
    },
  )

  test('the signal rows drive the flow: 412 updates, 404 re-creates, 401 refreshes', async () => {
    // key-exists and record-missing are shown by the flows above; here each leaves no failure behind.
    fake.when('api', dataverseExamples['expired-token']!)
    expect((await run()).note).toBe('created')
    expect(fake.tokenRequests).toHaveLength(2)
    await run({ matchBy: 'alternateKey' }, withLead({ id: 'lead_X' }))
    expect((await run({ matchBy: 'alternateKey' }, withLead({ id: 'lead_X' }))).note).toBe('updated')
  })

  test('an unknown answer falls back to the shared classification', async () => {
    fake.when('api', dataverseError(409, '0x80049999', 'Something new'))
    const error = await failure(run())
    expect(error).toMatchObject({ kind: 'rejected', details: { status: 409, vendorCode: '0x80049999' } })
    expect(error.message).toMatch(/^Dataverse: /)
  })

  describe('answers the fake gives by itself', () => {
    test('a field map column the lead table lacks → misconfigured', async () => {
      const error = await failure(run({ fieldMap: { fields: { new_campaign: { constant: 'x' } } } }))
      expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 400, vendorCode: '0x80048d19' } })
      expect(error.message).toContain("The property 'new_campaign' does not exist")
      expect(error.message).toContain('fieldMap')
    })

    test('a value longer than its column → rejected for this lead only', async () => {
      const error = await failure(run({ fieldMap: { fields: { lastname: { constant: 'x'.repeat(60) } } } }))
      expect(error).toMatchObject({ kind: 'rejected', details: { status: 400, vendorCode: '0x80044331' } })
    })

    test('a lead source option the table lacks → misconfigured', async () => {
      const error = await failure(run({ leadSourceCode: 99 }))
      expect(error).toMatchObject({ kind: 'misconfigured', details: { vendorCode: '0x8004431a' } })
      expect(error.message).toContain('leadSourceCode')
    })

    test.each<[string, 'missing' | 'no-roles' | 'no-create-privilege', string]>([
      ['no application user', 'missing', 'New app user'],
      ['an application user without roles', 'no-roles', 'Edit security roles'],
      ['a role without create on Lead', 'no-create-privilege', 'Create, Read and Write on Lead'],
    ])('%s → misconfigured, saying how to fix it', async (_, state, fix) => {
      fake.applicationUser = state
      const error = await failure(run())
      expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 403 } })
      expect(error.message).toContain(fix)
    })

    test('an alternate key column without a key → misconfigured', async () => {
      fake.keys.splice(0)
      const error = await failure(run({ matchBy: 'alternateKey' }))
      expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 400, vendorCode: '0x8006088a' } })
      expect(error.message).toContain('alternateKeyColumn')
    })
  })

  test('429 carries Retry-After and the service protection code', async () => {
    fake.when('api', rateLimited(7))
    const error = await failure(run())
    expect(error).toMatchObject({
      kind: 'rate_limited',
      details: { status: 429, retryAfterMs: 7000, vendorCode: '0x80072322' },
    })
    expect(error.message).toContain('6,000 requests in 5 minutes')
  })

  test('a hanging Dataverse times out as retryable', async () => {
    fake.when('api', { hang: true })
    const started = Date.now()
    const error = await failure(run({ timeoutMs: 1000 }))
    expect(error.kind).toBe('retryable')
    expect(error.message).toContain('did not answer')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('an aborted attempt is retryable', async () => {
    fake.when('api', { hang: true })
    const controller = new AbortController()
    const delivery = connect().deliver(snapshot, attempt('dlv_01', controller.signal))
    await fake.waitForRequests(2)
    controller.abort()
    expect((await failure(delivery)).kind).toBe('retryable')
  })

  /** How to provoke every row of the Entra ID table: a config change (a real fault) or a scripted answer. */
  const entraCases: Record<string, { overrides?: Record<string, unknown>; secret?: string; reply?: FakeReply }> = {
    'invalid-secret': { secret: 'wrong~secret' },
    'expired-secret': {
      reply: entra(401, 'invalid_client', 7000222, 'The provided client secret keys for app are expired.'),
    },
    'app-not-found': { overrides: { clientId: '11111111-2222-4333-8444-555555555555' } },
    'tenant-not-found': { overrides: { tenantId: '99999999-2222-4333-8444-555555555555' } },
    'tenant-invalid': {
      reply: entra(
        400,
        'invalid_request',
        900023,
        "Specified tenant identifier 'x' is neither a valid DirectoryName nor a valid ObjectId.",
      ),
    },
    'environment-not-in-tenant': { overrides: { environmentUrl: 'https://fabrikam.crm.dynamics.com' } },
    'blocked-by-policy': {
      reply: entra(400, 'invalid_grant', 53003, 'Access has been blocked by Conditional Access policies.'),
    },
    'app-disabled': { reply: entra(400, 'unauthorized_client', 7000112, 'Application is disabled.') },
    'invalid-client': { reply: entra(400, 'invalid_request', 9999999, 'Something Entra ID has not told us about.') },
    'entra-unavailable': {
      reply: entra(400, 'temporarily_unavailable', 9999998, 'The service is temporarily unavailable.'),
    },
  }

  function entra(status: number, error: string, code: number, description: string): FakeReply {
    return {
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error, error_description: `AADSTS${code}: ${description}`, error_codes: [code] }),
    }
  }

  test('every row of the Entra ID table has a case; scripted answers find their own row', () => {
    expect(Object.keys(entraCases).sort()).toEqual(entraErrorTable.map((rule) => rule.id).sort())
    for (const [id, scenario] of Object.entries(entraCases)) {
      if (!scenario.reply) continue
      const body = readEntraError(asResponse(scenario.reply))
      expect(body && findEntraRule(body)?.id, id).toBe(id)
    }
  })

  test.each(entraErrorTable)('Entra ID row $id → $outcome', async (rule) => {
    const scenario = entraCases[rule.id]!
    if (scenario.reply) fake.when('token', scenario.reply)
    const connector = connect(scenario.overrides, { clientSecret: scenario.secret ?? fake.clientSecret })
    const error = await failure(connector.deliver(snapshot, attempt()))
    expect(error.kind).toBe(rule.outcome)
    expect(error.message).toContain(rule.what)
    expect(error.message).toContain(rule.fix)
    expect(error.message).not.toContain(fake.clientSecret)
    expect(error.message).not.toContain('Trace ID')
    expect(error.details.vendorCode).toMatch(/^AADSTS\d+$/)
    expect(api()).toHaveLength(0)
  })

  test.each<[string, FakeReply, FailureKind]>([
    ['503', { status: 503, body: '' }, 'retryable'],
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '9' }, body: '' }, 'rate_limited'],
    [
      'an HTML 404 (wrong authorityHost)',
      { status: 404, headers: { 'content-type': 'text/html' }, body: '<html/>' },
      'misconfigured',
    ],
    ['200 without a token', { status: 200, body: '{}' }, 'misconfigured'],
  ])('token endpoint answering %s → %s', async (_, reply, kind) => {
    fake.when('token', reply)
    const error = await failure(run())
    expect(error.kind).toBe(kind)
    if (kind === 'rate_limited') expect(error.details.retryAfterMs).toBe(9000)
  })

  test('a private address is refused before anything is sent', async () => {
    const guarded = createNodeHttpClient({ allowPrivateNetworks: false })
    try {
      const connector = dynamics365Destination.connect(
        settingsFor(),
        { clientSecret: fake.clientSecret },
        {
          ...deps(),
          http: guarded,
        },
      )
      const error = await failure(connector.deliver(snapshot, attempt()))
      expect(error.kind).toBe('misconfigured')
      expect(error.message).toContain('LEADRELAY_ALLOW_PRIVATE_NETWORKS')
      expect(fake.requests).toHaveLength(0)
    } finally {
      guarded.close()
    }
  })

  test('no stored secret → misconfigured, nothing sent', async () => {
    const error = await failure(connect({}, {}).deliver(snapshot, attempt()))
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('clientSecret')
    expect(fake.requests).toHaveLength(0)
  })

  describe('verify', () => {
    const signal = () => new AbortController().signal

    test('email mode: token, WhoAmI and a read of the lead table', async () => {
      await connect().verify(signal())
      expect(fake.tokenRequests).toHaveLength(1)
      expect(lines(api())).toEqual(['GET /api/data/v9.2/WhoAmI', 'GET /api/data/v9.2/leads?$select=leadid&$top=1'])
      expect(api()[0]!.headers['if-none-match']).toBe('null')
    })

    test('alternate key mode: also the column and its Active key', async () => {
      await connect({ matchBy: 'alternateKey' }).verify(signal())
      expect(lines(api())).toEqual([
        'GET /api/data/v9.2/WhoAmI',
        'GET /api/data/v9.2/leads?$select=leadid&$top=1',
        "GET /api/data/v9.2/EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='leadrelay_leadid')?$select=LogicalName",
        "GET /api/data/v9.2/EntityDefinitions(LogicalName='lead')/Keys?$select=LogicalName,KeyAttributes,EntityKeyIndexStatus",
      ])
      expect(fake.leads).toHaveLength(0)
    })

    test.each<[string, () => void, Record<string, unknown>, DestinationSecrets | undefined, FailureKind, string[]]>([
      ['a wrong secret', () => {}, {}, { clientSecret: 'wrong' }, 'auth', ['AADSTS7000215', 'clientSecret', 'Value']],
      [
        'an unknown app',
        () => {},
        { clientId: '11111111-2222-4333-8444-555555555555' },
        undefined,
        'auth',
        ['AADSTS700016', 'Application (client) ID'],
      ],
      [
        'an unknown tenant',
        () => {},
        { tenantId: 'fabrikam.onmicrosoft.com' },
        undefined,
        'auth',
        ['AADSTS90002', 'Directory (tenant) ID'],
      ],
      [
        'another environment',
        () => {},
        { environmentUrl: 'https://fabrikam.crm.dynamics.com' },
        undefined,
        'misconfigured',
        ['AADSTS500011', 'Environment URL'],
      ],
      [
        'no application user',
        () => (fake.applicationUser = 'missing'),
        {},
        undefined,
        'misconfigured',
        ['New app user'],
      ],
      [
        'no security role',
        () => (fake.applicationUser = 'no-roles'),
        {},
        undefined,
        'misconfigured',
        ['Edit security roles'],
      ],
      [
        'a missing key column',
        () => {},
        { matchBy: 'alternateKey', alternateKeyColumn: 'new_leadid' },
        undefined,
        'misconfigured',
        ['has no column new_leadid', 'New column'],
      ],
      [
        'a column without a key',
        () => fake.keys.splice(0),
        { matchBy: 'alternateKey' },
        undefined,
        'misconfigured',
        ['no alternate key on leadrelay_leadid', 'Keys'],
      ],
      [
        'a key still building',
        () => (fake.keys[0]!.indexStatus = 'Pending'),
        { matchBy: 'alternateKey' },
        undefined,
        'misconfigured',
        ['is Pending', 'Active'],
      ],
      [
        'a failed key',
        () => (fake.keys[0]!.indexStatus = 'Failed'),
        { matchBy: 'alternateKey' },
        undefined,
        'misconfigured',
        ['is Failed', 'duplicate values'],
      ],
    ])('fails on %s', async (_, arrange, overrides, secrets, kind, phrases) => {
      arrange()
      const error = await failure(connect(overrides, secrets).verify(signal()))
      expect(error.kind).toBe(kind)
      for (const phrase of phrases) expect(error.message).toContain(phrase)
    })

    test('an unreachable environment is retryable and points at environmentUrl', async () => {
      const closed = await startDataverseFake()
      const { url } = closed
      await closed.close()
      // The token comes from the live fake; the environment URL points at a closed port.
      fake.when('token', { status: 200, body: JSON.stringify({ access_token: 't', expires_in: 3599 }) })
      const error = await failure(connect({ environmentUrl: url }).verify(signal()))
      expect(error.kind).toBe('retryable')
      expect(error.message).toContain('environmentUrl')
    })
  })
})
