import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { type Azurite, startAzurite } from '../helpers/azurite.ts'
import { startCommitThenDropProxy } from '../helpers/commit-then-drop-proxy.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let azurite: Azurite
let t: TestServer
let tables = 0

beforeAll(async () => {
  azurite = await startAzurite()
})
afterAll(async () => {
  await azurite?.stop()
})
beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
})

const newTable = () => `Delivered${++tables}x${process.pid}`

async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, body?: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return { status: response.statusCode, json: response.body ? response.json() : undefined, body: response.body }
}

async function tableRoutedTo(
  tableName: string,
  layout: 'microsoft' | 'split' | 'both' = 'both',
  secrets: Record<string, string> = { connectionString: azurite.connectionString },
  offer = 'contoso.crm-suite',
) {
  const created = await api('POST', '/v1/destinations', {
    kind: 'azure-table',
    name: `Table ${tableName}`,
    config: { tableName, layout },
    secrets,
  })
  expect(created.status).toBe(201)
  expect(created.body).not.toContain('AccountKey')
  const title = offer === 'contoso.crm-suite' ? 'Contoso CRM Suite' : `Title of ${offer}`
  const routed = await api('PUT', `/v1/offers/${offer}`, { title, destinations: [created.json.id] })
  expect(routed.status).toBe(200)
  return created.json as { id: string }
}

function sendLead(action: string, customer: Record<string, string> = johnSmith, offer = 'contoso.crm-suite') {
  return api('POST', '/v1/leads', seedLead(`AzureMarketplace-${action}|${offer}`, customer))
}

async function entitiesOf(table: string) {
  const found: Record<string, unknown>[] = []
  for await (const entity of azurite.tableClient(table).listEntities()) found.push(entity)
  return found
}

const microsoftColumns = [
  'ProductId',
  'CustomerInfo',
  'LeadSource',
  'ActionCode',
  'PublisherDisplayName',
  'OfferDisplayName',
  'CreatedTime',
  'Description',
]
const splitColumns = ['FirstName', 'LastName', 'Email', 'Phone', 'Country', 'Company', 'Title']
const leadColumns = ['Stage', 'EventCount', 'DoNotContact', 'IsTest', 'LeadId', 'LeadVersion']
const systemKeys = ['partitionKey', 'rowKey', 'timestamp', 'etag', 'odata.etag']

describe('delivering to Azure Table through the worker', () => {
  test("a plain SDK reader finds Microsoft's layout and the split columns; a newer state updates the same entity", async () => {
    const table = newTable()
    await tableRoutedTo(table)
    const first = (await sendLead('INS')).json
    expect(first.deliveries).toBe(1)
    await t.server.worker.runUntilIdle()

    let entities = await entitiesOf(table)
    expect(entities).toHaveLength(1)
    const [entity] = entities
    expect(
      Object.keys(entity!)
        .filter((key) => !systemKeys.includes(key))
        .sort(),
    ).toEqual([...microsoftColumns, ...splitColumns, ...leadColumns].sort())
    expect(entity).toMatchObject({
      partitionKey: 'contoso.crm-suite',
      rowKey: first.leadId,
      ProductId: 'contoso.crm-suite',
      LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
      ActionCode: 'INS',
      OfferDisplayName: 'Contoso CRM Suite',
      FirstName: 'John',
      Email: 'jsmith@microsoft.com',
      Stage: 'initial_interest',
      EventCount: 1,
      LeadVersion: 1,
      LeadId: first.leadId,
      IsTest: false,
    })
    expect(JSON.parse(entity!.CustomerInfo as string)).toEqual({
      FirstName: 'John',
      LastName: 'Smith',
      Email: 'jsmith@microsoft.com',
      Phone: '1234567890',
      Country: 'US',
      Company: 'Microsoft',
      Title: 'CTO',
    })
    expect(Number.isFinite(Date.parse(entity!.CreatedTime as string))).toBe(true)

    t.clock.advance(60_000)
    expect((await sendLead('PLT')).json.leadId).toBe(first.leadId)
    await t.server.worker.runUntilIdle()
    entities = await entitiesOf(table)
    expect(entities).toHaveLength(1)
    expect(entities[0]).toMatchObject({
      rowKey: first.leadId,
      LeadSource: 'AzureMarketplace-PLT|contoso.crm-suite',
      Stage: 'active',
      EventCount: 2,
      LeadVersion: 2,
    })
    const deliveries = (await api('GET', `/v1/deliveries?lead=${first.leadId}`)).json.items
    expect(deliveries.map((d: { state: string }) => d.state)).toEqual(['delivered', 'delivered'])
  })

  test('a replayed (retried) delivery leaves one entity per lead', async () => {
    const table = newTable()
    await tableRoutedTo(table)
    const lead = (await sendLead('INS')).json
    await sendLead('INS', { Email: 'other@example.com', FirstName: 'Other' })
    await t.server.worker.runUntilIdle()
    const before = await entitiesOf(table)
    expect(before).toHaveLength(2)

    const replay = await api('POST', '/v1/deliveries/replay', { filter: { state: 'delivered' } })
    expect(replay.json).toMatchObject({ replayed: 2, skipped: 0 })
    t.clock.advance(1000)
    expect(await t.server.worker.runUntilIdle()).toBeGreaterThan(0)
    const after = await entitiesOf(table)
    expect(after).toHaveLength(2)
    const strip = (entities: Record<string, unknown>[]) =>
      entities
        .map(({ timestamp: _t, etag: _e, 'odata.etag': _o, ...rest }) => rest)
        .sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)))
    expect(strip(after)).toEqual(strip(before))
    expect((await api('GET', '/v1/deliveries?state=delivered')).json.items).toHaveLength(2)
    // The same lead state went out twice (once more after the replay) and still made one entity.
    const [delivery] = (await api('GET', `/v1/leads/${lead.leadId}`)).json.deliveries
    expect(delivery.attemptLog.map((attempt: { outcome: string }) => attempt.outcome)).toEqual([
      'delivered',
      'delivered',
    ])
    expect(new Set(delivery.attemptLog.map((attempt: { leadVersion: number }) => attempt.leadVersion))).toEqual(
      new Set([1]),
    )
  })

  test("many leads go out in entity-group transactions; Microsoft's layout has Microsoft's columns only", async () => {
    const table = newTable()
    const microsoftTable = newTable()
    const both = await tableRoutedTo(table)
    const created = await api('POST', '/v1/destinations', {
      kind: 'azure-table',
      name: 'Microsoft layout',
      config: { tableName: microsoftTable, layout: 'microsoft' },
      secrets: { connectionString: azurite.connectionString },
    })
    await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: [both.id, created.json.id] })
    for (let i = 0; i < 60; i++) await sendLead('INS', { Email: `c${i}@example.com`, LastName: `L${i}` })
    const attempts = await t.server.worker.runUntilIdle()
    expect(attempts).toBeGreaterThanOrEqual(120)
    expect(await entitiesOf(table)).toHaveLength(60)
    const microsoft = await entitiesOf(microsoftTable)
    expect(microsoft).toHaveLength(60)
    for (const entity of microsoft) {
      expect(
        Object.keys(entity)
          .filter((key) => !systemKeys.includes(key))
          .sort(),
      ).toEqual([...microsoftColumns].sort())
      expect(JSON.parse(entity.CustomerInfo as string).Email).toMatch(/^c\d+@example\.com$/)
    }
    expect((await api('GET', '/v1/deliveries?state=delivered&limit=200')).json.items.length).toBeGreaterThan(0)
  })

  test('test connection, preview, and a wrong key pausing the destination', async () => {
    const table = newTable()
    const destination = await tableRoutedTo(table, 'split')
    const verified = await api('POST', `/v1/destinations/${destination.id}/verify`)
    expect(verified.json).toMatchObject({ ok: true })
    const lead = (await sendLead('INS')).json
    const preview = await api('GET', `/v1/destinations/${destination.id}/preview/${lead.leadId}`)
    expect(preview.json.payload).toMatchObject({
      table,
      mode: 'Merge',
      entity: { PartitionKey: 'contoso.crm-suite', RowKey: lead.leadId, Email: 'jsmith@microsoft.com' },
    })
    expect(preview.json.payload.entity.CustomerInfo).toBeUndefined()

    const wrongKey = azurite.connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.alloc(64, 3).toString('base64')}`,
    )
    const broken = await tableRoutedTo(newTable(), 'both', { connectionString: wrongKey }, 'contoso.other')
    const failed = await api('POST', `/v1/destinations/${broken.id}/verify`)
    expect(failed.json).toMatchObject({ ok: false, step: 'verify', failureKind: 'auth', status: 403 })
    await sendLead('INS', johnSmith, 'contoso.other')
    await t.server.worker.runUntilIdle()
    const paused = (await api('GET', `/v1/destinations/${broken.id}`)).json
    expect(paused.state).toBe('paused')
    expect(paused.stateReason).toContain('Azure refused our credentials')

    const invalid = await api('POST', '/v1/destinations', {
      kind: 'azure-table',
      name: 'bad',
      config: { tableName: 'bad-name' },
      secrets: { connectionString: azurite.connectionString },
    })
    expect(invalid.status).toBe(400)
    expect(invalid.json.field).toBe('config.tableName')
    const noSecret = await api('POST', '/v1/destinations', { kind: 'azure-table', name: 'bad', config: {} })
    expect(noSecret.status).toBe(400)
    expect(noSecret.json.field).toBe('secrets.connectionString')
  })

  test('a timeout after the table service committed the upsert does not duplicate the entity on retry', async () => {
    const table = newTable()
    const proxy = await startCommitThenDropProxy(`http://127.0.0.1:${azurite.port}`)
    try {
      const viaProxy = azurite.connectionString.replace(
        /TableEndpoint=[^;]+/,
        `TableEndpoint=${proxy.url}/devstoreaccount1`,
      )
      await tableRoutedTo(table, 'both', { connectionString: viaProxy })
      // Only the entity write (a single upsert or a $batch transaction), not the table creation before it.
      proxy.dropNext(1, (method, path) => method !== 'GET' && (path.includes(`/${table}(`) || path.includes('$batch')))
      const lead = (await sendLead('INS')).json
      await t.server.worker.runUntilIdle()

      expect(proxy.dropped).toHaveLength(1)
      expect(proxy.dropped[0]!.status).toBeLessThan(300)
      let entities = await entitiesOf(table)
      expect(entities).toHaveLength(1)
      expect(entities[0]).toMatchObject({ rowKey: lead.leadId, Email: 'jsmith@microsoft.com' })
      const failed = (await api('GET', `/v1/leads/${lead.leadId}`)).json.deliveries[0]
      expect(failed.state).not.toBe('delivered')

      t.clock.advance(5_000)
      await t.server.worker.runUntilIdle()

      entities = await entitiesOf(table)
      expect(entities).toHaveLength(1)
      expect(entities.filter((entity) => entity.Email === 'jsmith@microsoft.com')).toHaveLength(1)
      expect(entities[0]).toMatchObject({ rowKey: lead.leadId, EventCount: 1, LeadVersion: 1 })
      const [delivery] = (await api('GET', `/v1/leads/${lead.leadId}`)).json.deliveries
      expect(delivery.state).toBe('delivered')
      // The dropped answer is a network failure, so the first attempt failed as retryable.
      expect(delivery.attemptLog.map((attempt: { outcome: string }) => attempt.outcome)).toEqual([
        'retryable',
        'delivered',
      ])
      expect(proxy.dropped).toHaveLength(1)
    } finally {
      await proxy.close()
    }
  })
})
