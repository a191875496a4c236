import { AzureNamedKeyCredential, generateAccountSas, generateTableSas } from '@azure/data-tables'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Azurite, devAccountKey, devAccountName, startAzurite } from '../../../test/helpers/azurite.ts'
import { AppError, DeliveryError } from '../../core/errors.ts'
import type { Lead, LeadEvent } from '../../core/lead.ts'
import { createManualClock } from '../../core/ports.ts'
import { createLogger } from '../../logger.ts'
import { createNodeHttpClient, type NodeHttpClient } from '../http-client-node.ts'
import type { BatchItem, DestinationSecrets, LeadSnapshot } from '../types.ts'
import { type AzureTableConfig, azureTableConfigSchema, prepareAzureTableSecrets, tableNameProblem } from './config.ts'
import { createEntityBuilder, customerInfoJson, escapeKey, unescapeKey } from './field-map.ts'
import { azureTableDestination, transactionGroups } from './index.ts'

const t0 = Date.UTC(2026, 2, 1, 9, 0, 0)
const t1 = Date.UTC(2026, 2, 3, 15, 30, 0)

function leadOf(overrides: Partial<Lead> = {}): Lead {
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
    id: `evt_${action}_${occurredAt}`,
    leadId: lead.id,
    format: 'microsoft',
    receivedAt: occurredAt,
    occurredAt,
    leadSource: `AzureMarketplace-${action}|${lead.offerId}`,
    source: 'AzureMarketplace',
    action,
    stage: action === 'PLT' ? 'active' : 'initial_interest',
    offerRef: lead.offerId ?? lead.offerKey,
    offerTitle: 'Contoso Widget',
    ...(description !== undefined && { description }),
    customer: lead.customer,
    isTest: false,
  }
}

function snapshotOf(overrides: Partial<Lead> = {}, description = 'Contact me'): LeadSnapshot {
  const lead = leadOf(overrides)
  return {
    lead,
    events: [eventOf(lead, 'INS', t0), eventOf(lead, 'PLT', t1, description)],
    offerTitle: 'Contoso Widget',
  }
}

const config = (overrides: Partial<AzureTableConfig> = {}): AzureTableConfig =>
  azureTableConfigSchema.parse({ tableName: 'MarketplaceLeads', ...overrides })

describe('settings and secrets', () => {
  test('defaults: MarketplaceLeads, both layouts', () => {
    expect(azureTableConfigSchema.parse({})).toEqual({ tableName: 'MarketplaceLeads', layout: 'both' })
  })

  test.each([
    ['ab', false],
    ['Leads', true],
    ['MarketplaceLeads', true],
    ['marketplace-leads', false],
    ['1leads', false],
    ['tables', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
  ])('table name %s is valid: %s', (name, valid) => {
    expect(tableNameProblem(name) === undefined).toBe(valid)
    expect(azureTableConfigSchema.safeParse({ tableName: name }).success).toBe(valid)
  })

  test('field map columns must be property names Azure accepts, not the keys', () => {
    const parse = (fields: Record<string, unknown>, omit: string[] = []) =>
      azureTableConfigSchema.safeParse({ fieldMap: { fields, omit } }).success
    expect(parse({ Source: { from: 'source' } })).toBe(true)
    expect(parse({ 'Bad-Name': { from: 'source' } })).toBe(false)
    expect(parse({ '9Lives': { constant: 1 } })).toBe(false)
    expect(parse({ RowKey: { from: 'leadId' } })).toBe(false)
    expect(parse({}, ['timestamp'])).toBe(false)
    expect(azureTableConfigSchema.safeParse({ layout: 'flat' }).success).toBe(false)
  })

  test('secrets: a connection string or a SAS URL, exactly one', () => {
    const connectionString = `DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=${devAccountKey};EndpointSuffix=core.windows.net`
    expect(prepareAzureTableSecrets({ connectionString })).toEqual({ connectionString })
    const sasUrl = 'https://contoso.table.core.windows.net/?sv=2019-02-02&ss=t&srt=sco&sp=rau&sig=abc%3D'
    expect(prepareAzureTableSecrets({ sasUrl })).toEqual({ sasUrl })
    expect(prepareAzureTableSecrets({ connectionString: 'UseDevelopmentStorage=true' })).toEqual({
      connectionString: 'UseDevelopmentStorage=true',
    })
    const problem = (given: Record<string, unknown> | undefined) => {
      try {
        prepareAzureTableSecrets(given)
      } catch (error) {
        expect(error).toBeInstanceOf(AppError)
        return (error as AppError).field
      }
      return undefined
    }
    expect(problem(undefined)).toBe('secrets.connectionString')
    expect(problem({ connectionString, sasUrl })).toBe('secrets.connectionString')
    expect(problem({ connectionString: 'AccountName=contoso' })).toBe('secrets.connectionString')
    expect(problem({ connectionString: 42 })).toBe('secrets.connectionString')
    expect(problem({ sasUrl: 'https://contoso.table.core.windows.net/' })).toBe('secrets.sasUrl')
    expect(problem({ sasUrl: 'not a url' })).toBe('secrets.sasUrl')
    expect(problem({ sasUrl: 'ftp://contoso/?sig=x' })).toBe('secrets.sasUrl')
    expect(problem({ connectionString, apiKey: 'x' })).toBe('secrets.apiKey')
  })
})

describe('entities', () => {
  test("keys: forbidden characters escaped the way Microsoft escaped '/', and back", () => {
    expect(escapeKey('contoso.widget-saas')).toBe('contoso.widget-saas')
    expect(escapeKey('9/28/2018')).toBe('9:2F28:2F2018')
    expect(unescapeKey('9:2F28:2F2018')).toBe('9/28/2018')
    const nasty = 'a/b\\c#d?e:f\u0001g\u007fh'
    const escaped = escapeKey(nasty)
    expect(escaped).not.toMatch(/[/\\#?\p{Cc}]/u)
    expect(unescapeKey(escaped)).toBe(nasty)
    const long = escapeKey('x'.repeat(5000))
    expect(long.length).toBeLessThanOrEqual(512)
    expect(long).not.toBe(escapeKey(`${'x'.repeat(4999)}y`))
  })

  test("Microsoft's layout: exactly Microsoft's columns, CustomerInfo a JSON string", () => {
    const entity = createEntityBuilder(config({ layout: 'microsoft' })).build(snapshotOf())
    expect(entity).toEqual({
      partitionKey: 'contoso.widget-saas',
      rowKey: 'lead_01JQ0000000000000000000000',
      ProductId: 'contoso.widget-saas',
      CustomerInfo: customerInfoJson(leadOf().customer),
      LeadSource: 'AzureMarketplace-PLT|contoso.widget-saas',
      ActionCode: 'PLT',
      PublisherDisplayName: '',
      OfferDisplayName: 'Contoso Widget',
      CreatedTime: '2026-03-01T09:00:00.000Z',
      Description: 'Contact me',
    })
    expect(JSON.parse(entity.CustomerInfo as string)).toEqual({
      FirstName: 'Jane',
      LastName: 'Doe',
      Email: 'jane.doe@contoso.com',
      Phone: '+1 617 555 0100',
      Country: 'US',
      Company: 'Contoso',
      Title: 'CTO',
    })
  })

  test('split layout: a column per customer field, stage, count, flags; no CustomerInfo', () => {
    const entity = createEntityBuilder(config({ layout: 'split' })).build(
      snapshotOf({ customer: { email: 'x@example.com' }, doNotContact: true }),
    )
    expect(entity.CustomerInfo).toBeUndefined()
    expect(entity).toMatchObject({
      FirstName: '',
      Email: 'x@example.com',
      Stage: 'active',
      EventCount: 2,
      DoNotContact: true,
      IsTest: false,
      LeadId: 'lead_01JQ0000000000000000000000',
      LeadVersion: 3,
      ProductId: 'contoso.widget-saas',
    })
    const both = createEntityBuilder(config()).build(snapshotOf())
    expect(Object.keys(both).sort()).toEqual(
      [
        ...['partitionKey', 'rowKey', 'ProductId', 'CustomerInfo', 'LeadSource', 'ActionCode'],
        ...['PublisherDisplayName', 'OfferDisplayName', 'CreatedTime', 'Description'],
        ...['FirstName', 'LastName', 'Email', 'Phone', 'Country', 'Company', 'Title'],
        ...['Stage', 'EventCount', 'DoNotContact', 'IsTest', 'LeadId', 'LeadVersion'],
      ].sort(),
    )
  })

  test('the field map adds, replaces and leaves out columns', () => {
    const entity = createEntityBuilder(
      config({
        layout: 'microsoft',
        fieldMap: {
          fields: {
            PublisherDisplayName: { constant: 'Contoso Ltd' },
            Summary: { template: '{{customer.fullName}} ({{stage}})' },
          },
          omit: ['Description', 'CustomerInfo'],
        },
      }),
    ).build(snapshotOf())
    expect(entity.PublisherDisplayName).toBe('Contoso Ltd')
    expect(entity.Summary).toBe('Jane Doe (active)')
    expect(entity.Description).toBeUndefined()
    expect(entity.CustomerInfo).toBeUndefined()
  })

  test('a lead of an unknown offer goes to the partition of the name it carries', () => {
    const entity = createEntityBuilder(config()).build(snapshotOf({ offerId: undefined, offerKey: 'crm suite/eu' }))
    expect(entity.partitionKey).toBe('crm suite:2Feu')
  })

  test('transactions: one partition each, at most 100, one operation per entity', () => {
    const builder = createEntityBuilder(config())
    const entities = [
      ...Array.from({ length: 150 }, (_, i) =>
        builder.build(snapshotOf({ id: `lead_A${String(i).padStart(3, '0')}` })),
      ),
      ...Array.from({ length: 3 }, (_, i) => builder.build(snapshotOf({ id: `lead_B${i}`, offerId: 'other.offer' }))),
      builder.build(snapshotOf({ id: 'lead_A000' })),
    ]
    const groups = transactionGroups(entities)
    expect(groups.map((group) => group.length)).toEqual([100, 51, 3])
    for (const group of groups) {
      expect(new Set(group.map((index) => entities[index]!.partitionKey)).size).toBe(1)
      expect(new Set(group.map((index) => entities[index]!.rowKey)).size).toBe(group.length)
    }
    const twice = [0, 1, 2, 1].map((i) => builder.build(snapshotOf({ id: `lead_T${i}` })))
    expect(transactionGroups(twice)).toEqual([[0, 1, 2], [3]])
  })
})

describe('the connector against Azurite', () => {
  let azurite: Azurite
  let http: NodeHttpClient
  const clock = createManualClock(t1)
  const log = createLogger('silent')
  let tableCount = 0
  const newTable = () => `Leads${++tableCount}${Date.now() % 100000}`

  beforeAll(async () => {
    azurite = await startAzurite()
    http = createNodeHttpClient({ allowPrivateNetworks: true, maxResponseBytes: 64 * 1024 })
  })
  afterAll(async () => {
    http.close()
    await azurite?.stop()
  })

  const connect = (overrides: Partial<AzureTableConfig>, secrets?: DestinationSecrets, client = http) =>
    azureTableDestination.connect(config(overrides), secrets ?? { connectionString: azurite.connectionString }, {
      http: client,
      clock,
      log,
    })
  const attempt = (deliveryId = 'dlv_1') => ({ deliveryId, number: 1, signal: AbortSignal.timeout(10_000) })

  async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
    try {
      await promise
    } catch (error) {
      if (error instanceof DeliveryError) return error
      throw error
    }
    throw new Error('Expected a DeliveryError')
  }

  async function entitiesOf(table: string) {
    const found: Record<string, unknown>[] = []
    for await (const entity of azurite.tableClient(table).listEntities()) found.push(entity)
    return found
  }

  test('creates the table, upserts one entity per lead; a newer state updates it; foreign columns stay', async () => {
    const tableName = newTable()
    const connector = connect({ tableName })
    await connector.verify(AbortSignal.timeout(10_000))
    const receipt = await connector.deliver(
      snapshotOf({ version: 1, eventCount: 1, stage: 'initial_interest' }),
      attempt(),
    )
    expect(receipt).toEqual({ externalId: 'contoso.widget-saas/lead_01JQ0000000000000000000000', status: 204 })
    const reader = azurite.tableClient(tableName)
    await reader.updateEntity(
      { partitionKey: 'contoso.widget-saas', rowKey: 'lead_01JQ0000000000000000000000', SalesOwner: 'Sam' },
      'Merge',
    )
    // A retry of the same delivery, then a newer state of the lead.
    await connector.deliver(snapshotOf({ version: 1, eventCount: 1, stage: 'initial_interest' }), attempt())
    await connector.deliver(snapshotOf(), attempt('dlv_2'))
    const entities = await entitiesOf(tableName)
    expect(entities).toHaveLength(1)
    expect(entities[0]).toMatchObject({
      partitionKey: 'contoso.widget-saas',
      rowKey: 'lead_01JQ0000000000000000000000',
      Stage: 'active',
      EventCount: 2,
      LeadVersion: 3,
      SalesOwner: 'Sam',
      LeadSource: 'AzureMarketplace-PLT|contoso.widget-saas',
    })
    expect(JSON.parse(entities[0]!.CustomerInfo as string)).toMatchObject({ Email: 'jane.doe@contoso.com' })
    expect(connector.preview?.(snapshotOf())).toMatchObject({
      table: tableName,
      mode: 'Merge',
      entity: { PartitionKey: 'contoso.widget-saas', RowKey: 'lead_01JQ0000000000000000000000', Stage: 'active' },
    })
  })

  test('a batch of 150 leads across two offers: entity-group transactions, one result per lead', async () => {
    const tableName = newTable()
    const connector = connect({ tableName })
    expect(connector.maxBatchSize).toBe(100)
    const items: BatchItem[] = Array.from({ length: 100 }, (_, i) => ({
      snapshot: snapshotOf({
        id: `lead_B${String(i).padStart(3, '0')}`,
        ...(i % 3 === 0 && { offerId: 'contoso/other', offerKey: 'contoso/other' }),
      }),
      attempt: { deliveryId: `dlv_${i}`, number: 1 },
    }))
    const results = await connector.deliverBatch!(items, AbortSignal.timeout(10_000))
    expect(results).toHaveLength(100)
    expect(results.every((result) => result.ok)).toBe(true)
    const more = await connector.deliverBatch!(
      Array.from({ length: 50 }, (_, i) => ({
        snapshot: snapshotOf({ id: `lead_C${i}` }),
        attempt: { deliveryId: `dlv_c${i}`, number: 1 },
      })),
      AbortSignal.timeout(10_000),
    )
    expect(more.every((result) => result.ok)).toBe(true)
    // Delivering the first batch again changes nothing in number.
    await connector.deliverBatch!(items, AbortSignal.timeout(10_000))
    const entities = await entitiesOf(tableName)
    expect(entities).toHaveLength(150)
    expect(entities.filter((entity) => entity.partitionKey === 'contoso:2Fother')).toHaveLength(34)
  })

  test('a failed transaction names its entity: that lead is rejected, the others are written', async () => {
    const tableName = newTable()
    const connector = connect({ tableName })
    const items: BatchItem[] = Array.from({ length: 5 }, (_, i) => ({
      snapshot: snapshotOf({ id: `lead_D${i}` }, i === 2 ? 'x'.repeat(40_000) : 'ok'),
      attempt: { deliveryId: `dlv_${i}`, number: 1 },
    }))
    const results = await connector.deliverBatch!(items, AbortSignal.timeout(10_000))
    expect(results.map((result) => result.ok)).toEqual([true, true, false, true, true])
    const rejected = results[2]
    expect(rejected?.ok === false && rejected.error.kind).toBe('rejected')
    expect(rejected?.ok === false && rejected.error.details).toMatchObject({
      status: 400,
      vendorCode: 'PropertyValueTooLarge',
    })
    expect((await entitiesOf(tableName)).map((entity) => entity.rowKey).sort()).toEqual([
      'lead_D0',
      'lead_D1',
      'lead_D3',
      'lead_D4',
    ])
    const single = await failure(connector.deliver(snapshotOf({ id: 'lead_D9' }, 'y'.repeat(40_000)), attempt()))
    expect(single).toMatchObject({ kind: 'rejected', details: { status: 400, vendorCode: 'PropertyValueTooLarge' } })
    expect(single.message).not.toContain('yyyy')
  })

  test('a table deleted behind our back is created again', async () => {
    const tableName = newTable()
    const connector = connect({ tableName })
    await connector.deliver(snapshotOf(), attempt())
    await azurite.tableClient(tableName).deleteTable()
    await connector.deliver(snapshotOf({ id: 'lead_E2' }), attempt('dlv_2'))
    const results = await connector.deliverBatch!(
      [{ snapshot: snapshotOf({ id: 'lead_E3' }), attempt: { deliveryId: 'dlv_3', number: 1 } }],
      AbortSignal.timeout(10_000),
    )
    expect(results[0]?.ok).toBe(true)
    expect((await entitiesOf(tableName)).map((entity) => entity.rowKey).sort()).toEqual(['lead_E2', 'lead_E3'])
  })

  test('a wrong account key is an auth failure, for verify and deliver', async () => {
    const wrongKey = azurite.connectionString.replace(devAccountKey, Buffer.alloc(64, 7).toString('base64'))
    const connector = connect({ tableName: newTable() }, { connectionString: wrongKey })
    const verified = await failure(connector.verify(AbortSignal.timeout(10_000)))
    expect(verified).toMatchObject({ kind: 'auth', details: { status: 403, vendorCode: 'AuthorizationFailure' } })
    expect((await failure(connector.deliver(snapshotOf(), attempt()))).kind).toBe('auth')
  })

  test('SAS URLs: an account SAS creates the table; a table SAS writes to an existing one', async () => {
    const credential = new AzureNamedKeyCredential(devAccountName, devAccountKey)
    const accountSas = generateAccountSas(credential, {
      expiresOn: new Date(Date.now() + 3_600_000),
      permissions: { query: true, add: true, update: true, write: true, list: true },
    })
    const tableName = newTable()
    const viaAccount = connect({ tableName }, prepareAzureTableSecrets({ sasUrl: `${azurite.endpoint}?${accountSas}` }))
    await viaAccount.verify(AbortSignal.timeout(10_000))
    await viaAccount.deliver(snapshotOf(), attempt())
    const tableSas = generateTableSas(tableName, credential, {
      expiresOn: new Date(Date.now() + 3_600_000),
      permissions: { query: true, add: true, update: true },
    })
    const viaTable = connect(
      { tableName },
      prepareAzureTableSecrets({ sasUrl: `${azurite.endpoint}/${tableName}?${tableSas}` }),
    )
    await viaTable.verify(AbortSignal.timeout(10_000))
    await viaTable.deliver(snapshotOf({ id: 'lead_F2' }), attempt())
    expect(await entitiesOf(tableName)).toHaveLength(2)
    const readOnly = generateTableSas(tableName, credential, {
      expiresOn: new Date(Date.now() + 3_600_000),
      permissions: { query: true },
    })
    const denied = connect({ tableName }, { sasUrl: `${azurite.endpoint}/${tableName}?${readOnly}` })
    expect((await failure(denied.deliver(snapshotOf({ id: 'lead_F3' }), attempt()))).kind).toBe('auth')
  })

  test('loopback is refused by the SSRF guard unless private networks are allowed; nothing reaches Azurite', async () => {
    const guarded = createNodeHttpClient({ allowPrivateNetworks: false })
    try {
      const tableName = newTable()
      const connector = connect({ tableName }, undefined, guarded)
      const verified = await failure(connector.verify(AbortSignal.timeout(10_000)))
      expect(verified.kind).toBe('misconfigured')
      expect(verified.message).toContain('LEADRELAY_ALLOW_PRIVATE_NETWORKS')
      expect((await failure(connector.deliver(snapshotOf(), attempt()))).kind).toBe('misconfigured')
      const tables: string[] = []
      for await (const table of (await import('@azure/data-tables')).TableServiceClient.fromConnectionString(
        azurite.connectionString,
        { allowInsecureConnection: true },
      ).listTables())
        tables.push(table.name ?? '')
      expect(tables).not.toContain(tableName)
    } finally {
      guarded.close()
    }
  })

  test('a closed port is retryable; missing credentials are misconfigured', async () => {
    const closed = azurite.connectionString.replace(`:${azurite.port}/`, ':1/')
    const unreachable = connect({ tableName: newTable() }, { connectionString: closed })
    expect((await failure(unreachable.deliver(snapshotOf(), attempt()))).kind).toBe('retryable')
    const none = connect({ tableName: newTable() }, {})
    expect((await failure(none.deliver(snapshotOf(), attempt()))).kind).toBe('misconfigured')
    expect((await failure(none.verify(AbortSignal.timeout(1000)))).kind).toBe('misconfigured')
  })
})
