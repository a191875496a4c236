import { generateKeyPairSync } from 'node:crypto'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { type SalesforceFake, startSalesforceFake } from '../../../test/fakes/salesforce-fake.ts'
import { AppError, DeliveryError, type FailureKind } from '../../core/errors.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { createManualClock } from '../../core/ports.ts'
import { createLogger } from '../../logger.ts'
import { createNodeHttpClient, type NodeHttpClient } from '../http-client-node.ts'
import type { BatchItem, Connector, DeliveryAttempt, DestinationSecrets, LeadSnapshot } from '../types.ts'
import { assertionLifetimeSeconds, jwtBearerGrant } from './auth.ts'
import { findByEmailSoql, soqlString } from './client.ts'
import {
  defaultWebToLeadUrl,
  jwtAudienceFor,
  type SalesforceApiConfig,
  salesforceApiConfigSchema,
  salesforceConfigSchema,
} from './config.ts'
import { parseLeadDescribe } from './describe.ts'
import { concurrencyLimitWaitMs, dailyLimitWaitMs, salesforceErrorTable } from './errors.ts'
import { apiFieldMap, apiLeadFields, defaultApiFieldMap, sourcePrefix } from './field-map.ts'
import { salesforceDestination } from './index.ts'
import { webToLeadNote } from './web-to-lead.ts'

const clock = createManualClock(Date.UTC(2026, 2, 4, 10, 0, 0))
const log = createLogger('silent')
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const privatePkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
const otherPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
const integrationUser = 'leadrelay@acme.example'

let fake: SalesforceFake
let http: NodeHttpClient

beforeAll(() => {
  http = createNodeHttpClient({ allowPrivateNetworks: true })
})
afterAll(() => http.close())
beforeEach(async () => {
  fake = await startSalesforceFake({ now: clock.now, jwt: { publicKey, username: integrationUser } })
})
afterEach(async () => {
  await fake.close()
})

// ---- leads ----

const t0 = Date.UTC(2026, 2, 1, 9, 0, 0)
const t1 = Date.UTC(2026, 2, 3, 15, 30, 0)

function leadOf(overrides: Partial<Lead> = {}, customer: Partial<Lead['customer']> = {}): Lead {
  return {
    id: 'lead_01JQ0000000000000000000000',
    tenantId: 'tnt_01',
    offerId: 'contoso.widget-saas',
    offerKey: 'contoso.widget-saas',
    stage: 'active',
    doNotContact: false,
    isTest: false,
    customer: {
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane.doe@contoso.com',
      phone: '+1 617 555 0100',
      phoneDigits: '16175550100',
      country: 'US',
      company: 'Contoso',
      title: 'CTO',
      ...customer,
    },
    source: 'AzureMarketplace',
    action: 'PLT',
    eventCount: 2,
    firstEventAt: t0,
    lastEventAt: t1,
    createdAt: t0,
    updatedAt: t1,
    version: 3,
    ...overrides,
  }
}

function eventOf(lead: Lead, action: string, occurredAt: number, description?: string): LeadEvent {
  return {
    id: `evt_${occurredAt}`,
    leadId: lead.id,
    format: 'microsoft',
    receivedAt: occurredAt,
    occurredAt,
    leadSource: `AzureMarketplace-${action}|contoso.widget-saas`,
    source: 'AzureMarketplace',
    action,
    stage: action === 'DNC' ? 'do_not_contact' : 'active',
    offerRef: 'contoso.widget-saas',
    ...(description !== undefined && { description }),
    customer: lead.customer,
    isTest: false,
  }
}

function snapshotOf(
  overrides: Partial<Lead> = {},
  customer: Partial<Lead['customer']> = {},
  action = 'PLT',
  description: string | null = 'Contact me',
): LeadSnapshot {
  const lead = leadOf({ action, ...overrides }, customer)
  return {
    lead,
    events: [eventOf(lead, 'INS', t0), eventOf(lead, action, t1, description ?? undefined)],
    offerTitle: 'Contoso Widget',
  }
}

function attempt(deliveryId = 'dlv_01', signal = new AbortController().signal): DeliveryAttempt {
  return { deliveryId, number: 1, signal }
}

function batchItem(snapshot: LeadSnapshot, n: number): BatchItem {
  return { snapshot, attempt: { deliveryId: `dlv_${n}`, number: 1 } }
}

function leadNumbered(n: number, customer: Partial<Lead['customer']> = {}): LeadSnapshot {
  return snapshotOf(
    { id: `lead_01JQ${String(n).padStart(22, '0')}` },
    { email: `customer${n}@example.com`, ...customer },
  )
}

// ---- connectors ----

function apiConfig(overrides: Record<string, unknown> = {}): SalesforceApiConfig {
  return salesforceApiConfigSchema.parse({ loginUrl: fake.url, ...overrides })
}

function clientCredentials(): DestinationSecrets {
  return { clientId: fake.clientId, clientSecret: fake.clientSecret }
}

function connect(
  overrides: Record<string, unknown> = {},
  secrets: DestinationSecrets = clientCredentials(),
): Connector {
  const config = salesforceConfigSchema.parse({ loginUrl: fake.url, ...overrides })
  return salesforceDestination.connect(config, secrets, { http, clock, log })
}

function connectWebToLead(overrides: Record<string, unknown> = {}): Connector {
  const config = salesforceConfigSchema.parse({
    mode: 'web-to-lead',
    oid: fake.orgId.slice(0, 15),
    servletUrl: fake.webToLeadUrl,
    ...overrides,
  })
  return salesforceDestination.connect(config, {}, { http, clock, log })
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

const signal = () => new AbortController().signal

describe('config', () => {
  test('API mode defaults', () => {
    expect(salesforceConfigSchema.parse({ loginUrl: 'https://acme.my.salesforce.com' })).toEqual({
      mode: 'api',
      loginUrl: 'https://acme.my.salesforce.com',
      authFlow: 'client_credentials',
      apiVersion: '60.0',
      matchBy: 'externalId',
      externalIdField: 'Leadrelay_Id__c',
      leadSource: 'Azure Marketplace',
      sourceField: 'Description',
      requiredFieldPlaceholder: '[not provided]',
      assignmentRule: 'active',
      allowSaveOnDuplicate: false,
      timeoutMs: 15_000,
    })
  })

  test('Web-to-Lead defaults', () => {
    expect(salesforceConfigSchema.parse({ mode: 'web-to-lead', oid: '00Do0000000ZHog' })).toEqual({
      mode: 'web-to-lead',
      oid: '00Do0000000ZHog',
      servletUrl: defaultWebToLeadUrl,
      requiredFieldPlaceholder: '[not provided]',
      timeoutMs: 15_000,
    })
  })

  test('the JWT flow with a username, on login.salesforce.com', () => {
    const config = salesforceApiConfigSchema.parse({
      loginUrl: 'https://login.salesforce.com',
      authFlow: 'jwt_bearer',
      username: integrationUser,
    })
    expect(jwtAudienceFor(config)).toBe('https://login.salesforce.com')
    expect(
      jwtAudienceFor({ ...config, loginUrl: 'https://acme--uat.sandbox.my.salesforce.com' } as SalesforceApiConfig),
    ).toBe('https://test.salesforce.com')
    expect(jwtAudienceFor({ ...config, loginUrl: 'https://test.salesforce.com' })).toBe('https://test.salesforce.com')
    expect(jwtAudienceFor({ ...config, jwtAudience: 'https://acme.my.site.com/' })).toBe('https://acme.my.site.com')
  })

  test.each<[Record<string, unknown>, string]>([
    [{ loginUrl: 'http://acme.my.salesforce.com' }, 'loginUrl'],
    [{ loginUrl: 'https://acme.my.salesforce.com/services/oauth2/token' }, 'loginUrl'],
    [{ loginUrl: 'https://login.salesforce.com' }, 'loginUrl'],
    [{ loginUrl: 'https://test.salesforce.com', authFlow: 'client_credentials' }, 'loginUrl'],
    [{ loginUrl: 'https://acme.my.salesforce.com', authFlow: 'jwt_bearer' }, 'username'],
    [{ loginUrl: 'https://acme.my.salesforce.com', authFlow: 'password' }, 'authFlow'],
    [{ loginUrl: 'https://acme.my.salesforce.com', apiVersion: '60' }, 'apiVersion'],
    [{ loginUrl: 'https://acme.my.salesforce.com', apiVersion: '45.0' }, 'apiVersion'],
    [{ loginUrl: 'https://acme.my.salesforce.com', externalIdField: 'Leadrelay Id' }, 'externalIdField'],
    [{ loginUrl: 'https://acme.my.salesforce.com', externalIdField: 'X/../../sobjects' }, 'externalIdField'],
    [{ loginUrl: 'https://acme.my.salesforce.com', sourceField: 'Leadrelay_Id__c' }, 'sourceField'],
    [{ loginUrl: 'https://acme.my.salesforce.com', matchBy: 'phone' }, 'matchBy'],
    [{ loginUrl: 'https://acme.my.salesforce.com', timeoutMs: 100 }, 'timeoutMs'],
    [{ loginUrl: 'https://acme.my.salesforce.com', assignmentRule: 'default' }, 'assignmentRule'],
    [{ loginUrl: 'https://acme.my.salesforce.com', clientSecret: 'x' }, ''],
    [{ loginUrl: 'https://acme.my.salesforce.com', fieldMap: { fields: { Title: { from: 'nope' } } } }, 'fieldMap'],
    [
      { loginUrl: 'https://acme.my.salesforce.com', fieldMap: { fields: { 'Id FROM User --': { constant: 1 } } } },
      'fieldMap',
    ],
    [{ mode: 'web-to-lead', oid: '00Do0000000ZHog', fieldMap: { fields: { oid: { constant: '00D' } } } }, 'fieldMap'],
    [{ mode: 'web-to-lead', oid: '12345' }, 'oid'],
    [{ mode: 'web-to-lead' }, 'oid'],
    [{ mode: 'web-to-lead', oid: '00Do0000000ZHog', servletUrl: 'http://webto.salesforce.com/x' }, 'servletUrl'],
    [{ mode: 'soap' }, 'mode'],
  ])('refuses %j', (input, field) => {
    const result = salesforceConfigSchema.safeParse(input)
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path.join('.') ?? '').toContain(field)
  })

  test('renders as JSON Schema for the UI, one form per mode', () => {
    const schema = z.toJSONSchema(salesforceConfigSchema, { io: 'input' }) as {
      oneOf: { properties: Record<string, unknown> }[]
    }
    expect(schema.oneOf.map((option) => Object.keys(option.properties))).toEqual([
      [
        'mode',
        'loginUrl',
        'authFlow',
        'username',
        'jwtAudience',
        'apiVersion',
        'matchBy',
        'externalIdField',
        'leadSource',
        'sourceField',
        'requiredFieldPlaceholder',
        'assignmentRule',
        'allowSaveOnDuplicate',
        'timeoutMs',
        'fieldMap',
      ],
      ['mode', 'oid', 'servletUrl', 'requiredFieldPlaceholder', 'timeoutMs', 'fieldMap'],
    ])
  })
})

describe('secrets', () => {
  const random = (size: number) => new Uint8Array(size)

  test('keeps client credentials, a PKCS#8 or PKCS#1 key, and nothing for Web-to-Lead', () => {
    expect(salesforceDestination.prepareSecrets({ clientId: ' 3MVG9abc ', clientSecret: 'S3CR3T' }, random)).toEqual({
      clientId: '3MVG9abc',
      clientSecret: 'S3CR3T',
    })
    expect(salesforceDestination.prepareSecrets({ clientId: '3MVG9abc', privateKey: privatePem }, random)).toEqual({
      clientId: '3MVG9abc',
      privateKey: privatePem,
    })
    expect(salesforceDestination.prepareSecrets({ clientId: '3MVG9abc', privateKey: privatePkcs1 }, random)).toEqual({
      clientId: '3MVG9abc',
      privateKey: privatePkcs1,
    })
    expect(salesforceDestination.prepareSecrets(undefined, random)).toEqual({})
    expect(salesforceDestination.prepareSecrets({}, random)).toEqual({})
  })

  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString()
  const encryptedKey = privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass phrase' })
    .toString()

  test.each<[Record<string, unknown>, string, RegExp]>([
    [{ clientSecret: 'S3CR3T-VALUE-123' }, 'secrets.clientId', /consumer key is required/],
    [{ clientId: 'abc', password: 'hunter2-hunter2' }, 'secrets.password', /unknown secret/],
    [{ clientId: 'abc', clientSecret: 42 }, 'secrets.clientSecret', /string/],
    [{ clientId: 'abc', clientSecret: 'has a space in it' }, 'secrets.clientSecret', /without spaces/],
    [{ clientId: 'abc', privateKey: 'not-a-key-at-all-0123456789' }, 'secrets.privateKey', /PEM private key/],
    [{ clientId: 'abc', privateKey: ecKey }, 'secrets.privateKey', /RSA/],
    [{ clientId: 'abc', privateKey: encryptedKey }, 'secrets.privateKey', /passphrase/],
  ])('refuses %#', (given, field, message) => {
    try {
      salesforceDestination.prepareSecrets(given, random)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field })
      expect((error as Error).message).toMatch(message)
      for (const value of Object.values(given)) {
        if (typeof value === 'string' && value.length > 8) expect((error as Error).message).not.toContain(value)
      }
    }
  })
})

describe('field map', () => {
  test('the default REST body', () => {
    const config = apiConfig()
    expect(apiLeadFields(apiFieldMap(config), snapshotOf(), config)).toEqual({
      FirstName: 'Jane',
      LastName: 'Doe',
      Email: 'jane.doe@contoso.com',
      Phone: '+1 617 555 0100',
      Company: 'Contoso',
      Title: 'CTO',
      Country: 'US',
      Description: `Contact me\n\n${sourcePrefix}AzureMarketplace-PLT|contoso.widget-saas`,
      LeadSource: 'Azure Marketplace',
    })
  })

  test('do-not-contact sets both opt-outs; a later lead without it never clears them', () => {
    const config = apiConfig()
    const map = apiFieldMap(config)
    expect(
      apiLeadFields(map, snapshotOf({ doNotContact: true, stage: 'do_not_contact' }, {}, 'DNC'), config),
    ).toMatchObject({ HasOptedOutOfEmail: true, DoNotCall: true })
    const fields = apiLeadFields(map, snapshotOf(), config)
    expect(fields).not.toHaveProperty('HasOptedOutOfEmail')
    expect(fields).not.toHaveProperty('DoNotCall')
  })

  test('the source string in its own field, or nowhere; LeadSource left alone', () => {
    const custom = apiConfig({ sourceField: 'Marketplace_Source__c', leadSource: null })
    expect(apiLeadFields(apiFieldMap(custom), snapshotOf(), custom)).toMatchObject({
      Description: 'Contact me',
      Marketplace_Source__c: 'AzureMarketplace-PLT|contoso.widget-saas',
    })
    expect(apiLeadFields(apiFieldMap(custom), snapshotOf(), custom)).not.toHaveProperty('LeadSource')
    const none = apiConfig({ sourceField: null })
    expect(defaultApiFieldMap(none).Description).toEqual({ from: 'description' })
    expect(apiLeadFields(apiFieldMap(none), snapshotOf({}, {}, 'INS', null), none)).not.toHaveProperty('Description')
  })

  test('no description: the source alone, without blank lines', () => {
    const config = apiConfig()
    expect(apiLeadFields(apiFieldMap(config), snapshotOf({}, {}, 'INS', null), config).Description).toBe(
      `${sourcePrefix}AzureMarketplace-INS|contoso.widget-saas`,
    )
  })

  test('unknown values are left out, required ones get the placeholder (or nothing)', () => {
    const sparse = snapshotOf({}, { lastName: undefined, company: undefined, phone: undefined, title: '  ' })
    const config = apiConfig()
    const fields = apiLeadFields(apiFieldMap(config), sparse, config)
    expect(fields).toMatchObject({ LastName: '[not provided]', Company: '[not provided]' })
    expect(fields).not.toHaveProperty('Phone')
    expect(fields).not.toHaveProperty('Title')
    const strict = apiConfig({ requiredFieldPlaceholder: null })
    const strictFields = apiLeadFields(apiFieldMap(strict), sparse, strict)
    expect(strictFields).not.toHaveProperty('LastName')
    expect(strictFields).not.toHaveProperty('Company')
  })

  test('overrides replace, add and omit fields', () => {
    const config = apiConfig({
      fieldMap: {
        fields: {
          CountryCode: { from: 'customer.country' },
          Rating: { constant: 'Warm' },
          Title: { template: '{{customer.title}} ({{offerTitle}})' },
        },
        omit: ['Country', 'Phone'],
      },
    })
    const fields = apiLeadFields(apiFieldMap(config), snapshotOf(), config)
    expect(fields).toMatchObject({ CountryCode: 'US', Rating: 'Warm', Title: 'CTO (Contoso Widget)' })
    expect(fields).not.toHaveProperty('Country')
    expect(fields).not.toHaveProperty('Phone')
  })

  test('the external id field is the upsert key, never a body field', () => {
    const config = apiConfig({ fieldMap: { fields: { Leadrelay_Id__c: { constant: 'forged' } } } })
    expect(apiLeadFields(apiFieldMap(config), snapshotOf(), config)).not.toHaveProperty('Leadrelay_Id__c')
  })
})

describe('REST API: upsert by external id', () => {
  test('creates, then updates the same Lead; one token for both', async () => {
    const connector = connect()
    const first = await connector.deliver(snapshotOf(), attempt())
    expect(fake.leads.size).toBe(1)
    const [lead] = fake.leads.values()
    expect(first).toEqual({ status: 201, externalId: lead!.Id, note: `created Lead ${lead!.Id}` })
    expect(lead).toMatchObject({
      Leadrelay_Id__c: 'lead_01JQ0000000000000000000000',
      FirstName: 'Jane',
      LastName: 'Doe',
      Email: 'jane.doe@contoso.com',
      Company: 'Contoso',
      LeadSource: 'Azure Marketplace',
      Status: 'Open - Not Contacted',
      HasOptedOutOfEmail: false,
    })

    const second = await connector.deliver(snapshotOf({ version: 4 }, { title: 'CEO' }), attempt('dlv_02'))
    expect(second).toEqual({ status: 200, externalId: lead!.Id, note: `updated Lead ${lead!.Id}` })
    expect(fake.leads.size).toBe(1)
    expect(fake.leads.get(lead!.Id)?.Title).toBe('CEO')

    const [token] = fake.tokenRequests()
    expect(fake.tokenRequests()).toHaveLength(1)
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(token!.form!)).toEqual({
      grant_type: 'client_credentials',
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
    })
    const patches = fake.apiRequests()
    expect(patches.map((request) => `${request.method} ${request.path}`)).toEqual([
      'PATCH /services/data/v60.0/sobjects/Lead/Leadrelay_Id__c/lead_01JQ0000000000000000000000',
      'PATCH /services/data/v60.0/sobjects/Lead/Leadrelay_Id__c/lead_01JQ0000000000000000000000',
    ])
    expect(patches[0]?.headers.authorization).toMatch(/^Bearer 00D/)
    expect(patches[0]?.headers['content-type']).toBe('application/json')
    expect(patches[0]?.json).not.toHaveProperty('Leadrelay_Id__c')
  })

  test('a replayed delivery changes nothing and creates nothing', async () => {
    const connector = connect()
    await connector.deliver(snapshotOf(), attempt())
    const before = structuredClone([...fake.leads.values()])
    await connector.deliver(snapshotOf(), attempt())
    expect(fake.leads.size).toBe(1)
    expect([...fake.leads.values()].map(({ LastModifiedDate: _, ...lead }) => lead)).toEqual(
      before.map(({ LastModifiedDate: _, ...lead }) => lead),
    )
  })

  test('do-not-contact sets HasOptedOutOfEmail and DoNotCall, and they stay set', async () => {
    const connector = connect()
    await connector.deliver(snapshotOf(), attempt())
    await connector.deliver(snapshotOf({ doNotContact: true, stage: 'do_not_contact' }, {}, 'DNC'), attempt())
    const [lead] = fake.leads.values()
    expect(lead).toMatchObject({ HasOptedOutOfEmail: true, DoNotCall: true })
    await connector.deliver(snapshotOf({ version: 5 }), attempt())
    expect(fake.leads.get(lead!.Id)).toMatchObject({ HasOptedOutOfEmail: true, DoNotCall: true })
  })

  test('the API version and external id field come from the settings', async () => {
    fake.setField('Marketplace_Key__c', { type: 'string', length: 80, externalId: true, unique: true })
    await connect({ apiVersion: '62.0', externalIdField: 'Marketplace_Key__c' }).deliver(snapshotOf(), attempt())
    expect(fake.apiRequests()[0]?.path).toBe(
      '/services/data/v62.0/sobjects/Lead/Marketplace_Key__c/lead_01JQ0000000000000000000000',
    )
    expect(fake.leadByExternalId('lead_01JQ0000000000000000000000', 'Marketplace_Key__c')).toBeDefined()
  })

  test.each<[unknown, string]>([
    [undefined, 'TRUE'],
    ['none', 'FALSE'],
    ['01Q5g000000AbCdEAF', '01Q5g000000AbCdEAF'],
  ])('assignmentRule %s sends Sforce-Auto-Assign: %s on writes only', async (assignmentRule, header) => {
    const connector = connect({ ...(assignmentRule !== undefined && { assignmentRule }), matchBy: 'email' })
    await connector.deliver(snapshotOf(), attempt())
    const [lookup, create] = fake.apiRequests()
    expect(lookup?.headers['sforce-auto-assign']).toBeUndefined()
    expect(create?.headers['sforce-auto-assign']).toBe(header)
    await connect({ ...(assignmentRule !== undefined && { assignmentRule }) }).deliver(snapshotOf(), attempt())
    expect(fake.apiRequests().at(-1)?.headers['sforce-auto-assign']).toBe(header)
  })

  test('a duplicate rule: blocked without the header, saved with allowSaveOnDuplicate when it only alerts', async () => {
    const existing = fake.seedLead({ LastName: 'Doe', Company: 'Contoso', Email: 'jane.doe@contoso.com' })
    fake.setDuplicateRule('alert')
    const blocked = await failure(connect().deliver(snapshotOf(), attempt()))
    expect(blocked.kind).toBe('rejected')
    expect(blocked.details.vendorCode).toBe('DUPLICATES_DETECTED')
    expect(blocked.message).toContain('Standard_Lead_Duplicate_Rule')
    expect(blocked.message).toContain(existing.Id)
    expect(blocked.message).toContain('allowSaveOnDuplicate')
    expect(blocked.message).not.toContain('jane.doe')

    const allowed = await connect({ allowSaveOnDuplicate: true }).deliver(snapshotOf(), attempt())
    expect(allowed.status).toBe(201)
    expect(fake.apiRequests().at(-1)?.headers['sforce-duplicate-rule-header']).toBe('allowSave=true')
    expect(fake.leads.size).toBe(2)
  })

  test('several Leads with one external id: 300 is rejected with a fix', async () => {
    fake.setField('Leadrelay_Id__c', { unique: false })
    fake.seedLead({ LastName: 'A', Company: 'X', Leadrelay_Id__c: 'lead_01JQ0000000000000000000000' })
    fake.seedLead({ LastName: 'B', Company: 'X', Leadrelay_Id__c: 'lead_01JQ0000000000000000000000' })
    const error = await failure(connect().deliver(snapshotOf(), attempt()))
    expect(error).toMatchObject({ kind: 'rejected', details: { status: 300 } })
    expect(error.message).toMatch(/several Leads.*Unique/)
  })

  test('a missing external id field pauses the destination with how to create it', async () => {
    fake.removeField('Leadrelay_Id__c')
    const error = await failure(connect().deliver(snapshotOf(), attempt()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 404, vendorCode: 'NOT_FOUND' } })
    expect(error.message).toContain('Create a Text(64) field with API name Leadrelay_Id__c')
  })
})

describe('REST API: match by email', () => {
  test('creates when no Lead has the email, updates by Id afterwards', async () => {
    fake.removeField('Leadrelay_Id__c')
    const connector = connect({ matchBy: 'email' })
    const created = await connector.deliver(snapshotOf(), attempt())
    const [lead] = fake.leads.values()
    expect(created).toEqual({ status: 201, externalId: lead!.Id, note: `created Lead ${lead!.Id}` })
    const updated = await connector.deliver(snapshotOf({}, { title: 'CEO' }), attempt())
    expect(updated).toEqual({ status: 204, externalId: lead!.Id, note: `updated Lead ${lead!.Id}` })
    expect(fake.leads.size).toBe(1)
    expect(fake.leads.get(lead!.Id)?.Title).toBe('CEO')
    expect(fake.apiRequests().map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'PATCH'])
    expect(fake.apiRequests()[0]?.query.get('q')).toBe(
      "SELECT Id FROM Lead WHERE Email = 'jane.doe@contoso.com' AND IsConverted = false ORDER BY CreatedDate ASC LIMIT 1",
    )
    expect(fake.apiRequests()[3]?.path).toBe(`/services/data/v60.0/sobjects/Lead/${lead!.Id}`)
  })

  test('updates the oldest unconverted Lead with that email, whatever its case', async () => {
    const converted = fake.seedLead({ LastName: 'Old', Company: 'C', Email: 'Jane.Doe@Contoso.com', IsConverted: true })
    const oldest = fake.seedLead({ LastName: 'Doe', Company: 'C', Email: 'JANE.DOE@contoso.com' })
    const newer = fake.seedLead({ LastName: 'Doe', Company: 'C', Email: 'jane.doe@contoso.com' })
    const receipt = await connect({ matchBy: 'email' }).deliver(snapshotOf(), attempt())
    expect(receipt.externalId).toBe(oldest.Id)
    expect(fake.leads.get(oldest.Id)?.FirstName).toBe('Jane')
    expect(fake.leads.get(newer.Id)?.FirstName).toBeUndefined()
    expect(fake.leads.get(converted.Id)?.FirstName).toBeUndefined()
    expect(fake.leads.size).toBe(3)
  })

  test('quotes and backslashes in the email are escaped for SOQL', async () => {
    const email = `o'hara\\"x@example.com`
    const seeded = fake.seedLead({ LastName: 'Hara', Company: 'C', Email: email })
    const receipt = await connect({ matchBy: 'email' }).deliver(snapshotOf({}, { email }), attempt())
    expect(receipt.externalId).toBe(seeded.Id)
    expect(fake.leads.size).toBe(1)
    expect(soqlString(`a'b\\c"d\ne\rf\tg\bh\fi`)).toBe(`'a\\'b\\\\c\\"d\\ne\\rf\\tg\\bh\\fi'`)
    expect(findByEmailSoql(`x' OR Email != '`)).toContain(`Email = 'x\\' OR Email != \\''`)
  })

  test('a lead without email is rejected before anything is sent', async () => {
    const error = await failure(connect({ matchBy: 'email' }).deliver(snapshotOf({}, { email: undefined }), attempt()))
    expect(error.kind).toBe('rejected')
    expect(error.message).toContain('matchBy: "externalId"')
    expect(fake.requests).toHaveLength(0)
  })

  test('a Lead deleted between lookup and update is retried', async () => {
    fake.seedLead({ LastName: 'Doe', Company: 'C', Email: 'jane.doe@contoso.com' })
    fake.failNext(
      { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] },
      { when: (request) => request.method === 'PATCH' },
    )
    const error = await failure(connect({ matchBy: 'email' }).deliver(snapshotOf(), attempt()))
    expect(error).toMatchObject({ kind: 'retryable', details: { vendorCode: 'NOT_FOUND' } })
  })

  test('has no batch call', () => {
    const connector = connect({ matchBy: 'email' })
    expect(connector.deliverBatch).toBeUndefined()
    expect(connector.maxBatchSize).toBeUndefined()
  })
})

describe('REST API: batches (sObject Collections)', () => {
  test('one call for several leads, one result each, in order', async () => {
    const connector = connect()
    expect(connector.maxBatchSize).toBe(200)
    await connector.deliver(leadNumbered(2), attempt())
    const existing = fake.leadByExternalId(leadNumbered(2).lead.id)!
    const results = await connector.deliverBatch!(
      [1, 2, 3].map((n) => batchItem(leadNumbered(n), n)),
      signal(),
    )
    expect(fake.apiRequests()).toHaveLength(2)
    const call = fake.apiRequests()[1]!
    expect(`${call.method} ${call.path}`).toBe('PATCH /services/data/v60.0/composite/sobjects/Lead/Leadrelay_Id__c')
    const body = call.json as { allOrNone: boolean; records: Record<string, unknown>[] }
    expect(body.allOrNone).toBe(false)
    expect(body.records.map((record) => [record.attributes, record.Leadrelay_Id__c, record.Email])).toEqual(
      [1, 2, 3].map((n) => [{ type: 'Lead' }, leadNumbered(n).lead.id, `customer${n}@example.com`]),
    )
    expect(results.map((result) => result.ok && [result.receipt.status, result.receipt.note])).toEqual([
      [201, `created Lead ${fake.leadByExternalId(leadNumbered(1).lead.id)!.Id}`],
      [200, `updated Lead ${existing.Id}`],
      [201, `created Lead ${fake.leadByExternalId(leadNumbered(3).lead.id)!.Id}`],
    ])
    expect(fake.leads.size).toBe(3)
  })

  test('a partial failure gives each lead its own outcome', async () => {
    fake.addValidationRule((lead) =>
      lead.Email === 'customer2@example.com' ? 'Leads from example.com need a phone in +E.164 form' : undefined,
    )
    const results = await connect().deliverBatch!(
      [1, 2, 3].map((n) => batchItem(leadNumbered(n), n)),
      signal(),
    )
    expect(results.map((result) => result.ok)).toEqual([true, false, true])
    const failed = results[1]
    if (failed?.ok !== false) throw new Error('expected a failure')
    expect(failed.error.kind).toBe('rejected')
    expect(failed.error.details.vendorCode).toBe('FIELD_CUSTOM_VALIDATION_EXCEPTION')
    expect(failed.error.message).toContain('Leads from example.com need a phone')
    expect(failed.error.message).toContain('validation rule')
    expect(fake.leads.size).toBe(2)
  })

  test('more than 200 leads are split into calls of 200', async () => {
    const items = Array.from({ length: 450 }, (_, n) => batchItem(leadNumbered(n), n))
    const results = await connect().deliverBatch!(items, signal())
    expect(results).toHaveLength(450)
    expect(results.every((result) => result.ok)).toBe(true)
    expect(fake.apiRequests().map((request) => (request.json as { records: unknown[] }).records.length)).toEqual([
      200, 200, 50,
    ])
    expect(fake.leads.size).toBe(450)
  })

  test('a failed call is thrown for all leads; a field Salesforce does not know pauses the destination', async () => {
    fake.failNext('unavailable')
    const items = [1, 2].map((n) => batchItem(leadNumbered(n), n))
    expect(await failure(connect().deliverBatch!(items, signal()))).toMatchObject({
      kind: 'retryable',
      details: { status: 503, vendorCode: 'SERVER_UNAVAILABLE' },
    })
    const unknownField = connect({ fieldMap: { fields: { Marketplace__c: { from: 'offerId' } } } })
    const error = await failure(unknownField.deliverBatch!(items, signal()))
    expect(error).toMatchObject({ kind: 'misconfigured', details: { status: 400, vendorCode: 'INVALID_FIELD' } })
    expect(error.message).toContain('Marketplace__c')
    expect(fake.leads.size).toBe(0)
  })

  test('several Leads with one external id fail that lead only', async () => {
    fake.setField('Leadrelay_Id__c', { unique: false })
    fake.seedLead({ LastName: 'A', Company: 'X', Leadrelay_Id__c: leadNumbered(1).lead.id })
    fake.seedLead({ LastName: 'B', Company: 'X', Leadrelay_Id__c: leadNumbered(1).lead.id })
    const results = await connect().deliverBatch!(
      [1, 2].map((n) => batchItem(leadNumbered(n), n)),
      signal(),
    )
    expect(results[0]).toMatchObject({
      ok: false,
      error: { kind: 'rejected', details: { vendorCode: 'DUPLICATE_EXTERNAL_ID' } },
    })
    expect(results[1]?.ok).toBe(true)
  })

  test('an expired token is renewed once for the batch', async () => {
    const connector = connect()
    await connector.deliver(leadNumbered(9), attempt())
    fake.expireTokens()
    const results = await connector.deliverBatch!(
      [1, 2].map((n) => batchItem(leadNumbered(n), n)),
      signal(),
    )
    expect(results.every((result) => result.ok)).toBe(true)
    expect(fake.tokenRequests()).toHaveLength(2)
  })
})

describe('tokens', () => {
  test('an expired session is renewed once and the call sent again', async () => {
    const connector = connect()
    await connector.deliver(snapshotOf(), attempt())
    fake.expireTokens()
    const receipt = await connector.deliver(snapshotOf({ version: 4 }), attempt())
    expect(receipt.status).toBe(200)
    expect(fake.tokenRequests()).toHaveLength(2)
    expect(fake.apiRequests().map((request) => request.method)).toEqual(['PATCH', 'PATCH', 'PATCH'])
  })

  test('a session refused again after renewal is an auth failure, without a second renewal', async () => {
    const connector = connect()
    fake.refuseAllSessions(true)
    const error = await failure(connector.deliver(snapshotOf(), attempt()))
    expect(error).toMatchObject({ kind: 'auth', details: { status: 401, vendorCode: 'INVALID_SESSION_ID' } })
    expect(error.message).toMatch(/connected app/)
    expect(fake.tokenRequests()).toHaveLength(2)
    expect(fake.apiRequests()).toHaveLength(2)
  })

  test('concurrent deliveries that find the session expired share one renewal', async () => {
    const connector = connect()
    await connector.deliver(leadNumbered(1), attempt())
    fake.expireTokens()
    await Promise.all([2, 3, 4].map((n) => connector.deliver(leadNumbered(n), attempt(`dlv_${n}`))))
    expect(fake.tokenRequests()).toHaveLength(2)
    expect(fake.leads.size).toBe(4)
  })

  test('the JWT bearer flow signs an RS256 assertion the org accepts', async () => {
    const connector = connect(
      { authFlow: 'jwt_bearer', username: integrationUser },
      { clientId: fake.clientId, privateKey: privatePem },
    )
    await connector.deliver(snapshotOf(), attempt())
    expect(fake.leads.size).toBe(1)
    const form = fake.tokenRequests()[0]!.form!
    expect(form.get('grant_type')).toBe(jwtBearerGrant)
    expect(form.has('client_secret')).toBe(false)
    const [header, payload] = form.get('assertion')!.split('.')
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toMatchObject({ alg: 'RS256' })
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      iss: fake.clientId,
      sub: integrationUser,
      aud: 'https://login.salesforce.com',
      exp: Math.floor(clock.now() / 1000) + assertionLifetimeSeconds,
    })
  })

  test.each<[string, Record<string, unknown>, DestinationSecrets, FailureKind, RegExp]>([
    [
      'a wrong consumer secret',
      {},
      { clientId: '3MVG9fake.consumer.key', clientSecret: 'WRONG' },
      'auth',
      /invalid_client .*Manage Consumer Details/,
    ],
    ['an unknown consumer key', {}, { clientId: 'nope', clientSecret: 'x' }, 'auth', /invalid_client_id/],
    [
      'a key whose certificate is not on the app',
      { authFlow: 'jwt_bearer', username: integrationUser },
      { clientId: '3MVG9fake.consumer.key', privateKey: otherPem },
      'auth',
      /invalid_grant .*upload the certificate/,
    ],
    [
      'a user not pre-authorized',
      { authFlow: 'jwt_bearer', username: 'someone@else.example' },
      { clientId: '3MVG9fake.consumer.key', privateKey: privatePem },
      'auth',
      /user hasn't approved this consumer/,
    ],
    ['no client secret', {}, { clientId: '3MVG9fake.consumer.key' }, 'misconfigured', /no clientSecret secret/],
    [
      'no private key',
      { authFlow: 'jwt_bearer', username: integrationUser },
      { clientId: 'k', clientSecret: 'x' },
      'misconfigured',
      /no privateKey secret/,
    ],
    ['no secrets at all', {}, {}, 'misconfigured', /no clientId secret/],
  ])('%s', async (_, overrides, secrets, kind, message) => {
    const error = await failure(connect(overrides, secrets).deliver(snapshotOf(), attempt()))
    expect(error.kind).toBe(kind)
    expect(error.message).toMatch(message)
    expect(fake.apiRequests()).toHaveLength(0)
    for (const secret of Object.values(secrets)) {
      if (secret.length > 5) expect(error.message).not.toContain(secret)
    }
  })

  test.each<[string, Parameters<SalesforceFake['failNext']>[0], FailureKind]>([
    ['a 500', { status: 500, body: 'oops' }, 'retryable'],
    ['a 429 with Retry-After', { status: 429, headers: { 'retry-after': '30' } }, 'rate_limited'],
    ['a 200 without a token', { status: 200, body: { access_token: 'x' } }, 'misconfigured'],
    ['an HTML page', { status: 200, body: '<html></html>', headers: { 'content-type': 'text/html' } }, 'misconfigured'],
    ['a 404', { status: 404, body: 'Not Found' }, 'misconfigured'],
    ['unsupported_grant_type', { status: 400, body: { error: 'unsupported_grant_type' } }, 'misconfigured'],
  ])('the token endpoint answering %s', async (_, reply, kind) => {
    fake.failNext(reply, { area: 'token' })
    expect((await failure(connect().deliver(snapshotOf(), attempt()))).kind).toBe(kind)
    expect(fake.apiRequests()).toHaveLength(0)
  })
})

describe('error table', () => {
  const statusOf: Record<string, number> = {
    INVALID_SESSION_ID: 401,
    REQUEST_LIMIT_EXCEEDED: 403,
    API_DISABLED_FOR_ORG: 403,
    API_CURRENTLY_DISABLED: 403,
    INSUFFICIENT_ACCESS_OR_READONLY: 403,
    SERVER_UNAVAILABLE: 503,
  }

  test.each(Object.entries(salesforceErrorTable).map(([code, rule]) => [code, rule.kind, rule] as const))(
    '%s → %s',
    async (code, _, rule) => {
      const status = statusOf[code] ?? 400
      // A 401 is answered by renewing the token first; only a second one is final.
      fake.failNext(
        { status, body: [{ errorCode: code, message: `${code} happened` }] },
        { times: status === 401 ? 2 : 1 },
      )
      const error = await failure(connect().deliver(snapshotOf(), attempt()))
      expect(error.kind).toBe(rule.kind)
      expect(error.details).toMatchObject({ status, vendorCode: code })
      expect(error.message).toContain(`${code}: "${code} happened"`)
      expect(error.message).toContain(rule.fix)
    },
  )

  test('the same codes per record in a batch (statusCode, not errorCode)', async () => {
    for (const [code, rule] of Object.entries(salesforceErrorTable)) {
      fake.failNext({
        status: 200,
        body: [
          { success: false, errors: [{ statusCode: code, message: 'no', fields: ['Company'] }] },
          { id: '00Q000000000001AAA', success: true, errors: [], created: true },
        ],
      })
      const [first, second] = await connect().deliverBatch!(
        [1, 2].map((n) => batchItem(leadNumbered(n), n)),
        signal(),
      )
      expect(first).toMatchObject({ ok: false, error: { kind: rule.kind, details: { vendorCode: code } } })
      expect(second).toMatchObject({ ok: true, receipt: { status: 201, externalId: '00Q000000000001AAA' } })
    }
  })

  test('REQUEST_LIMIT_EXCEEDED waits an hour when the daily quota is used up, a minute otherwise', async () => {
    fake.failNext('rate-limit')
    expect(await failure(connect().deliver(snapshotOf(), attempt()))).toMatchObject({
      kind: 'rate_limited',
      details: { status: 403, retryAfterMs: dailyLimitWaitMs },
    })
    fake.failNext('concurrent-limit')
    expect(await failure(connect().deliver(snapshotOf(), attempt()))).toMatchObject({
      kind: 'rate_limited',
      details: { status: 403, retryAfterMs: concurrencyLimitWaitMs },
    })
  })

  test.each<[string, Parameters<SalesforceFake['failNext']>[0], FailureKind, number | undefined]>([
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '7' } }, 'rate_limited', 7000],
    ['500 UNKNOWN_EXCEPTION', 'server-error', 'retryable', undefined],
    ['400 UNABLE_TO_LOCK_ROW', 'lock', 'retryable', undefined],
    ['400 REQUIRED_FIELD_MISSING', 'validation', 'rejected', undefined],
    ['400 DUPLICATES_DETECTED', 'duplicate', 'rejected', undefined],
    [
      'an unknown code on 400',
      { status: 400, body: [{ errorCode: 'SOMETHING_NEW', message: 'x' }] },
      'rejected',
      undefined,
    ],
    [
      'an unknown code on 403',
      { status: 403, body: [{ errorCode: 'SOMETHING_NEW', message: 'x' }] },
      'auth',
      undefined,
    ],
    [
      'an unknown code on 502',
      { status: 502, body: [{ errorCode: 'SOMETHING_NEW', message: 'x' }] },
      'retryable',
      undefined,
    ],
    [
      'a 502 HTML page',
      { status: 502, body: '<html/>', headers: { 'content-type': 'text/html' } },
      'retryable',
      undefined,
    ],
  ])('%s → %s', async (_, reply, kind, retryAfterMs) => {
    fake.failNext(reply)
    const error = await failure(connect().deliver(snapshotOf(), attempt()))
    expect(error.kind).toBe(kind)
    if (retryAfterMs !== undefined) expect(error.details.retryAfterMs).toBe(retryAfterMs)
  })

  test('a hanging org times out as retryable', async () => {
    fake.failNext('hang')
    const started = Date.now()
    const error = await failure(connect({ timeoutMs: 1000 }).deliver(snapshotOf(), attempt()))
    expect(error.kind).toBe('retryable')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test('messages mask the email and phone Salesforce quotes back', async () => {
    const bad = snapshotOf({}, { email: 'jane.doe@contoso', phone: '+1 617 555 0100' })
    fake.addValidationRule((lead) => `Phone ${String(lead.Phone)} is not allowed`)
    const error = await failure(connect().deliver(bad, attempt()))
    expect(error.details.vendorCode).toBe('INVALID_EMAIL_ADDRESS')
    expect(error.message).not.toContain('jane.doe@contoso')
    const phone = await failure(connect().deliver(snapshotOf(), attempt()))
    expect(phone.details.vendorCode).toBe('FIELD_CUSTOM_VALIDATION_EXCEPTION')
    expect(phone.message).not.toContain('617 555 0100')
  })

  test('a private address is refused as misconfigured before anything is sent', async () => {
    const guarded = createNodeHttpClient({ allowPrivateNetworks: false })
    try {
      const config = salesforceConfigSchema.parse({ loginUrl: fake.url })
      const connector = salesforceDestination.connect(config, clientCredentials(), { http: guarded, clock, log })
      const error = await failure(connector.deliver(snapshotOf(), attempt()))
      expect(error.kind).toBe('misconfigured')
      expect(error.message).toContain('LEADRELAY_ALLOW_PRIVATE_NETWORKS')
      expect(fake.requests).toHaveLength(0)
    } finally {
      guarded.close()
    }
  })
})

describe('verify', () => {
  test('a fresh token and the Lead describe', async () => {
    const connector = connect()
    await connector.deliver(snapshotOf(), attempt())
    await connector.verify(signal())
    expect(fake.tokenRequests()).toHaveLength(2)
    expect(fake.apiRequests().at(-1)).toMatchObject({
      method: 'GET',
      path: '/services/data/v60.0/sobjects/Lead/describe',
    })
    await connect({ matchBy: 'email' }).verify(signal())
  })

  test('a describe of several hundred KiB is read whole: no SOQL probe, a missing field is named', async () => {
    fake.padDescribeTo(300_000)
    const connector = connect({ sourceField: 'Marketplace_Source__c' })
    fake.setField('Marketplace_Source__c', { type: 'string', length: 255 })
    await connector.verify(signal())
    expect(fake.apiRequests().at(-1)!.path).toMatch(/\/describe$/)

    fake.removeField('Leadrelay_Id__c')
    const error = await failure(connector.verify(signal()))
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toContain('Leadrelay_Id__c')
  })

  test('reads a cut-off describe as far as it goes', () => {
    const full = JSON.stringify({
      childRelationships: [{ field: 'x', relationshipName: 'y' }],
      createable: true,
      fields: [
        { name: 'Id', type: 'id', createable: false },
        { name: 'Title', type: 'string', length: 128, label: 'a "quoted" {brace}' },
        { name: 'Leadrelay_Id__c', type: 'string', externalId: true },
      ],
      updateable: false,
    })
    const cut = full.slice(0, full.indexOf('Leadrelay_Id__c'))
    const partial = parseLeadDescribe(cut, true)!
    expect(partial.complete).toBe(false)
    expect([...partial.fields.keys()]).toEqual(['Id', 'Title'])
    expect(partial.createable).toBe(true)
    const whole = parseLeadDescribe(full, false)!
    expect(whole).toMatchObject({ complete: true, createable: true, updateable: false })
    expect(whole.fields.get('Leadrelay_Id__c')?.externalId).toBe(true)
    expect(parseLeadDescribe('<html>', false)).toBeUndefined()
  })

  test.each<[string, (fake: SalesforceFake) => void, Record<string, unknown>, RegExp]>([
    [
      'no external id field',
      (org) => org.removeField('Leadrelay_Id__c'),
      {},
      /Lead has no field Leadrelay_Id__c .*create a Text\(64\) field/,
    ],
    [
      'a field that is not an External ID',
      (org) => org.setField('Leadrelay_Id__c', { externalId: false }),
      {},
      /Leadrelay_Id__c is not an External ID field/,
    ],
    [
      'an external id field the user cannot edit',
      (org) => org.setField('Leadrelay_Id__c', { updateable: false }),
      {},
      /cannot write Leadrelay_Id__c: grant it edit access/,
    ],
    [
      'a number external id',
      (org) => org.setField('Leadrelay_Id__c', { type: 'datetime' }),
      {},
      /Leadrelay_Id__c is a datetime field; it must be Text/,
    ],
    [
      'a short external id field',
      (org) => org.setField('Leadrelay_Id__c', { length: 20 }),
      {},
      /holds 20 characters; lead ids need 31/,
    ],
    [
      'a missing source field',
      () => {},
      { sourceField: 'Marketplace_Source__c' },
      /Lead has no field Marketplace_Source__c/,
    ],
    [
      'a source field that is a checkbox',
      (org) => org.setField('Marketplace_Source__c', { type: 'boolean' }),
      { sourceField: 'Marketplace_Source__c' },
      /sourceField Marketplace_Source__c is a boolean field/,
    ],
    [
      'a mapped field that does not exist',
      () => {},
      { fieldMap: { fields: { Offer__c: { from: 'offerId' } } } },
      /Lead has no field Offer__c .*remove it from fieldMap/,
    ],
    [
      'a mapped field the user cannot write',
      (org) => org.setField('Title', { updateable: false }),
      {},
      /cannot write Title/,
    ],
    [
      'a restricted LeadSource picklist without the value',
      (org) => org.setField('LeadSource', { restrictedPicklist: true }),
      {},
      /"Azure Marketplace" is not a value of the restricted LeadSource picklist/,
    ],
    [
      'no Create on Lead',
      (org) => org.setObjectAccess({ createable: false, updateable: true }),
      {},
      /may not create and edit Leads/,
    ],
  ])('fails on %s, saying how to fix it', async (_, arrange, overrides, message) => {
    arrange(fake)
    const error = await failure(connect(overrides).verify(signal()))
    expect(error.kind).toBe('misconfigured')
    expect(error.message).toMatch(message)
  })

  test('several problems are reported together', async () => {
    fake.setField('Leadrelay_Id__c', { externalId: false })
    const error = await failure(connect({ fieldMap: { fields: { Offer__c: { from: 'offerId' } } } }).verify(signal()))
    expect(error.message).toContain('not an External ID field')
    expect(error.message).toContain('Lead has no field Offer__c')
  })

  test('a restricted LeadSource picklist with the value passes; leadSource null skips the check', async () => {
    fake.setField('LeadSource', { restrictedPicklist: true, picklistValues: ['Web', 'Azure Marketplace'] })
    await connect().verify(signal())
    fake.setField('LeadSource', { restrictedPicklist: true, picklistValues: ['Web'] })
    await connect({ leadSource: null }).verify(signal())
  })

  test('bad credentials and an unknown API version', async () => {
    const auth = await failure(connect({}, { clientId: fake.clientId, clientSecret: 'WRONG' }).verify(signal()))
    expect(auth).toMatchObject({ kind: 'auth', details: { status: 400, vendorCode: 'invalid_client' } })
    const version = await failure(connect({ apiVersion: '99.0' }).verify(signal()))
    expect(version.kind).toBe('misconfigured')
    expect(version.message).toContain('check apiVersion')
  })

  test('email matching does not need the external id field', async () => {
    fake.removeField('Leadrelay_Id__c')
    await connect({ matchBy: 'email' }).verify(signal())
  })
})

describe('preview', () => {
  test('is exactly what deliver sends (external id)', async () => {
    const connector = connect()
    const preview = connector.preview!(snapshotOf()) as { method: string; path: string; body: unknown }
    await connector.deliver(snapshotOf(), attempt())
    const sent = fake.apiRequests()[0]!
    expect(preview).toEqual({ method: sent.method, path: sent.path, body: sent.json })
    expect(fake.apiRequests()).toHaveLength(1)
  })

  test('shows the lookup and both outcomes (email)', async () => {
    const connector = connect({ matchBy: 'email' })
    const preview = connector.preview!(snapshotOf()) as {
      lookup: { path: string }
      whenFound: { method: string; path: string; body: unknown }
      whenNotFound: { method: string; path: string; body: unknown }
    }
    await connector.deliver(snapshotOf(), attempt())
    const [lookup, create] = fake.apiRequests()
    const previewed = new URL(preview.lookup.path, fake.url)
    expect(previewed.pathname).toBe(lookup!.path)
    expect(previewed.searchParams.get('q')).toBe(lookup!.query.get('q'))
    expect(preview.whenNotFound).toEqual({ method: 'POST', path: create!.path, body: create!.json })
    expect(preview.whenFound).toMatchObject({ method: 'PATCH', path: '/services/data/v60.0/sobjects/Lead/{Id}' })
  })
})

describe('Web-to-Lead', () => {
  const microsoftFields = [
    'oid',
    'first_name',
    'last_name',
    'email',
    'company',
    'title',
    'phone',
    'country',
    'description',
    'lead_source',
  ]

  test("posts Microsoft's form fields and the org creates a Lead", async () => {
    const connector = connectWebToLead()
    const receipt = await connector.deliver(snapshotOf(), attempt())
    expect(receipt).toEqual({ status: 200, note: webToLeadNote })
    const [post] = fake.requests
    expect(post).toMatchObject({ method: 'POST', path: '/servlet/servlet.WebToLead' })
    expect(post?.query.get('encoding')).toBe('UTF-8')
    expect(post?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect([...post!.form!.keys()]).toEqual(microsoftFields)
    expect(Object.fromEntries(post!.form!)).toEqual({
      oid: fake.orgId.slice(0, 15),
      first_name: 'Jane',
      last_name: 'Doe',
      email: 'jane.doe@contoso.com',
      company: 'Contoso',
      title: 'CTO',
      phone: '+1 617 555 0100',
      country: 'US',
      description: 'Contact me',
      lead_source: 'AzureMarketplace-PLT|contoso.widget-saas',
    })
    expect([...fake.leads.values()]).toMatchObject([
      { LastName: 'Doe', Company: 'Contoso', LeadSource: 'AzureMarketplace-PLT|contoso.widget-saas' },
    ])
    expect(connector.preview!(snapshotOf())).toEqual({
      method: 'POST',
      url: fake.webToLeadUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: post!.body,
    })
  })

  test('do-not-contact adds the opt-out checkboxes; the fallback cannot upsert', async () => {
    const connector = connectWebToLead()
    await connector.deliver(snapshotOf({ doNotContact: true }, {}, 'DNC'), attempt())
    expect(fake.requests[0]?.form?.get('emailOptOut')).toBe('1')
    expect(fake.requests[0]?.form?.get('doNotCall')).toBe('1')
    // A retry of the same delivery posts again, and Salesforce adds a second Lead: the documented limitation.
    await connector.deliver(snapshotOf({ doNotContact: true }, {}, 'DNC'), attempt())
    expect(fake.leads.size).toBe(2)
    expect([...fake.leads.values()].every((lead) => lead.HasOptedOutOfEmail === true && lead.DoNotCall === true)).toBe(
      true,
    )
    expect(connector.deliverBatch).toBeUndefined()
  })

  test('answers 200 even when Salesforce created nothing', async () => {
    fake.addValidationRule(() => 'No leads today')
    expect((await connectWebToLead().deliver(snapshotOf(), attempt())).status).toBe(200)
    expect((await connectWebToLead({ oid: '00D000000000001' }).deliver(snapshotOf(), attempt())).status).toBe(200)
    expect(fake.leads.size).toBe(0)
  })

  test('verify checks that the servlet answers', async () => {
    await connectWebToLead().verify(signal())
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/servlet/servlet.WebToLead' })
    const missing = await failure(connectWebToLead({ servletUrl: `${fake.url}/servlet/nope` }).verify(signal()))
    expect(missing.kind).toBe('misconfigured')
    expect(missing.message).toContain('check servletUrl')
    fake.failNext({ status: 503 }, { area: 'webToLead' })
    expect((await failure(connectWebToLead().verify(signal()))).kind).toBe('retryable')
  })

  test.each<[number, FailureKind]>([
    [500, 'retryable'],
    [429, 'rate_limited'],
    [404, 'misconfigured'],
    [400, 'rejected'],
  ])('a post answered %i is %s', async (status, kind) => {
    fake.failNext({ status }, { area: 'webToLead' })
    expect((await failure(connectWebToLead().deliver(snapshotOf(), attempt()))).kind).toBe(kind)
  })
})
