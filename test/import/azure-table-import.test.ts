import { readdirSync, readFileSync } from 'node:fs'
import type { TableClient } from '@azure/data-tables'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { openTableClient } from '../../src/destinations/azure-table/client.ts'
import {
  entityToLead,
  followAzureTable,
  followStatePath,
  importAzureTable,
  parseCreatedTime,
  readFollowState,
  skipWrittenByLeadrelay,
} from '../../src/services/azure-table-import.ts'
import { createBulkIngest } from '../../src/services/bulk-ingest.ts'
import { type Azurite, startAzurite } from '../helpers/azurite.ts'
import { runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { allLeads, createWorld, fingerprints, type World } from './world.ts'

let azurite: Azurite
const dir = createTempDir('leadrelay-table-import-')
beforeAll(async () => {
  azurite = await startAzurite()
})
afterAll(async () => {
  await azurite?.stop()
  dir.remove()
})

let tables = 0
const newTable = () => `MarketplaceLeads${++tables}x${process.pid}`

const customer = (first: string, last: string, email: string, extra: Record<string, string> = {}) =>
  JSON.stringify({
    FirstName: first,
    LastName: last,
    Email: email,
    Phone: '1234567890',
    Country: 'US',
    Company: 'Contoso',
    Title: 'CTO',
    ...extra,
  })

/** Entities the way Microsoft wrote them: a date PartitionKey with `/` as `:2F`, CustomerInfo as a JSON string. */
function microsoftEntity(
  partitionKey: string,
  rowKey: string,
  action: string,
  customerInfo: string,
  createdTime: string | undefined,
  offer = 'contoso.crm-suite',
): { partitionKey: string; rowKey: string } & Record<string, string> {
  return {
    partitionKey,
    rowKey,
    ProductId: offer,
    CustomerInfo: customerInfo,
    LeadSource: `AzureMarketplace-${action}|${offer}`,
    ActionCode: action,
    PublisherDisplayName: 'Contoso',
    OfferDisplayName: 'Contoso CRM Suite',
    ...(createdTime !== undefined && { CreatedTime: createdTime }),
    Description: action === 'PLT' ? 'Campaigns: spring' : '',
  }
}

const janeInfo = customer('Jane', 'Doe', 'Jane.Doe@contoso.com')
const samInfo = customer('Sam', 'Lee', 'sam@fabrikam.com', { Company: 'Fabrikam' })

/** Jane three times (INS, PLT, Create), Sam twice on two offers' … and two entities that are not leads. */
const sampleEntities = [
  microsoftEntity('9:2F28:2F2018', 'a1', 'INS', janeInfo, '9/28/2018 10:23:45 AM'),
  microsoftEntity('9:2F29:2F2018', 'a2', 'PLT', janeInfo, '9/29/2018 1:05:00 PM'),
  microsoftEntity('10:2F1:2F2018', 'a3', 'Create', customer('', '', 'jane.doe@contoso.com'), '2018-10-01T08:00:00Z'),
  microsoftEntity('9:2F28:2F2018', 'b1', 'StartTestDrive', samInfo, '9/28/2018 11:00:00 AM'),
  microsoftEntity('9:2F30:2F2018', 'b2', 'INS', samInfo, undefined),
  microsoftEntity('9:2F30:2F2018', 'b3', 'INS', samInfo, '9/30/2018 9:00:00 AM', 'contoso.other-offer'),
  {
    partitionKey: '10:2F2:2F2018',
    rowKey: 'c1',
    ProductId: 'contoso.crm-suite',
    CustomerInfo: 'not json at all',
    LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
  },
  { partitionKey: '10:2F2:2F2018', rowKey: 'c2', Note: 'not a lead' },
]

async function fill(client: TableClient, entities: readonly Record<string, unknown>[]): Promise<void> {
  await client.createTable()
  for (const entity of entities) await client.createEntity(entity as { partitionKey: string; rowKey: string })
}

function importer(world: World, table: string, since?: number) {
  const client = openTableClient({ connectionString: azurite.connectionString }, table)
  return importAzureTable(
    { ingest: world.ingest },
    { tenantId: world.tenantId, client, table, ...(since !== undefined && { since }) },
  )
}

describe('reading entities', () => {
  test.each([
    ['9/28/2018 10:23:45 AM', Date.UTC(2018, 8, 28, 10, 23, 45)],
    ['9/28/2018 12:05:00 AM', Date.UTC(2018, 8, 28, 0, 5)],
    ['12/1/2018 12:05 PM', Date.UTC(2018, 11, 1, 12, 5)],
    ['9/28/2018', Date.UTC(2018, 8, 28)],
    ['2018-09-28T10:23:45Z', Date.UTC(2018, 8, 28, 10, 23, 45)],
    ['2018-09-28T10:23:45', Date.UTC(2018, 8, 28, 10, 23, 45)],
    ['2018-09-28T12:23:45+02:00', Date.UTC(2018, 8, 28, 10, 23, 45)],
    ['last tuesday', undefined],
    ['', undefined],
  ])('CreatedTime %s', (text, expected) => {
    expect(parseCreatedTime(text)).toBe(expected)
  })

  test('an entity becomes an ingest body with its provenance and a stable key', () => {
    const lead = entityToLead(
      {
        ...microsoftEntity('9:2F28:2F2018', 'r1', 'INS', janeInfo, '9/28/2018 10:23:45 AM'),
        timestamp: '2026-01-01T00:00:00Z',
        etag: 'W/"x"',
      },
      'MarketplaceLeads',
    )
    expect(lead.idempotencyKey).toBe('azure-table:marketplaceleads:9:2F28:2F2018:r1')
    expect(lead.body).toMatchObject({
      CreatedTime: '2018-09-28T10:23:45.000Z',
      PartitionKey: '9/28/2018',
      RowKey: 'r1',
      CustomerInfo: janeInfo,
      LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
    })
    expect(lead.body).not.toHaveProperty('etag')
    const noTime = entityToLead(
      { partitionKey: 'p', rowKey: 'r', LeadSource: 'x', timestamp: '2026-01-02T03:04:05Z' },
      'T',
    )
    expect(noTime.body?.CreatedTime).toBe('2026-01-02T03:04:05.000Z')
    const split = entityToLead(
      { partitionKey: 'p', rowKey: 'r', LeadSource: 'x', Email: 'a@b.co', FirstName: 'A' },
      'T',
    )
    expect(split.body).toMatchObject({ CustomerInfo: { Email: 'a@b.co', FirstName: 'A' } })
    expect(split.body).not.toHaveProperty('Email')
    expect(entityToLead({ partitionKey: 'p', rowKey: 'r', LeadId: 'lead_1', LeadVersion: 2 }, 'T')).toEqual({
      skip: skipWrittenByLeadrelay,
    })
    const odd = entityToLead({ partitionKey: 'p', rowKey: 'é'.repeat(300), LeadSource: 'x' }, 'T')
    expect(odd.idempotencyKey).toMatch(/^azure-table:#[\w-]{43}$/)
  })
})

describe('importing a table Microsoft filled', () => {
  test('twice: the same leads once, merged by customer; the summary counts right', async () => {
    const table = newTable()
    await fill(azurite.tableClient(table), sampleEntities)
    const world = await createWorld()
    try {
      const first = await importer(world, table)
      expect(first).toMatchObject({
        read: 8,
        new: 3,
        merged: 3,
        skipped: 2,
        reasons: { 'invalid value': 1, 'no lead source, offer or customer': 1 },
      })
      const leads = []
      for await (const lead of allLeads(world.store, world.tenantId)) leads.push(lead)
      expect(leads).toHaveLength(3)
      const jane = leads.find((lead) => lead.customer.email === 'jane.doe@contoso.com')!
      expect(jane).toMatchObject({
        offerKey: 'contoso.crm-suite',
        stage: 'active',
        eventCount: 3,
        source: 'AzureMarketplace',
        action: 'Create',
        firstEventAt: Date.UTC(2018, 8, 28, 10, 23, 45),
        lastEventAt: Date.UTC(2018, 9, 1, 8),
        customer: { firstName: 'Jane', lastName: 'Doe', company: 'Contoso', country: 'US' },
      })
      const events = await world.store.listLeadEvents(world.tenantId, jane.id)
      expect(events.map((event) => [event.action, event.extra?.PartitionKey, event.extra?.RowKey])).toEqual([
        ['INS', '9/28/2018', 'a1'],
        ['PLT', '9/29/2018', 'a2'],
        ['Create', '10/1/2018', 'a3'],
      ])
      expect(events.every((event) => event.format === 'azure-table')).toBe(true)
      expect(events[1]?.description).toBe('Campaigns: spring')
      const sam = leads.filter((lead) => lead.customer.email === 'sam@fabrikam.com')
      expect(sam.map((lead) => [lead.offerKey, lead.eventCount]).sort()).toEqual([
        ['contoso.crm-suite', 2],
        ['contoso.other-offer', 1],
      ])

      const second = await importer(world, table)
      expect(second).toMatchObject({
        read: 8,
        new: 0,
        merged: 0,
        skipped: 8,
        reasons: {
          'already imported': 6,
          'invalid value': 1,
          'no lead source, offer or customer': 1,
        },
      })
      expect(await world.store.countLeadEvents(world.tenantId)).toBe(6)
      expect(second.newestTimestamp).toBe(first.newestTimestamp)
    } finally {
      await world.dispose()
    }
  })

  test('in batches (what the CLI does): the same leads, events and summary as entity by entity', async () => {
    const table = newTable()
    await fill(azurite.tableClient(table), sampleEntities)
    const oneByOne = await createWorld()
    const batched = await createWorld()
    try {
      const expected = await importer(oneByOne, table)
      const client = openTableClient({ connectionString: azurite.connectionString }, table)
      // Two entities a batch: Jane's three events fall into one batch and the next, Sam's likewise.
      const ingest = createBulkIngest({
        store: batched.store,
        clock: batched.clock,
        ids: createIdGenerator(batched.clock),
        dedupeWindowMs: 600_000,
        batchSize: 2,
      })
      const problems: string[] = []
      const summary = await importAzureTable(
        { ingest },
        {
          tenantId: batched.tenantId,
          client,
          table,
          onProblem: ({ key, reason }) => problems.push(`${key} ${reason}`),
        },
      )
      expect(summary).toEqual(expected)
      expect(summary).toMatchObject({ read: 8, new: 3, merged: 3, skipped: 2 })
      expect(problems.sort()).toEqual([
        '10:2F2:2F2018/c1 invalid value',
        '10:2F2:2F2018/c2 no lead source, offer or customer',
      ])
      expect(await fingerprints(batched, true)).toEqual(await fingerprints(oneByOne, true))
      expect(await batched.store.countLeadEvents(batched.tenantId)).toBe(6)

      const again = await importAzureTable({ ingest }, { tenantId: batched.tenantId, client, table })
      expect(again).toMatchObject({ read: 8, new: 0, merged: 0, reasons: { 'already imported': 6 } })
    } finally {
      await oneByOne.dispose()
      await batched.dispose()
    }
  })

  test('--since reads only what was written after; an entity changed since its import is not imported again', async () => {
    const table = newTable()
    const client = azurite.tableClient(table)
    await fill(client, sampleEntities.slice(0, 2))
    const world = await createWorld()
    try {
      const first = await importer(world, table)
      expect(first).toMatchObject({ read: 2, new: 1, merged: 1 })
      const after = first.newestTimestamp! + 1
      expect(await importer(world, table, after)).toMatchObject({ read: 0 })
      await new Promise((resolve) => setTimeout(resolve, 20))
      await client.createEntity(microsoftEntity('9:2F30:2F2018', 'a9', 'PLT', janeInfo, '9/30/2018 8:00:00 AM'))
      await client.updateEntity({ partitionKey: '9:2F28:2F2018', rowKey: 'a1', Processed: 'yes' }, 'Merge')
      const later = await importer(world, table, after)
      expect(later).toMatchObject({
        read: 2,
        new: 0,
        merged: 1,
        reasons: { 'already imported, changed since': 1 },
      })
    } finally {
      await world.dispose()
    }
  })

  test('following a table: new entities arrive on the next poll; the newest Timestamp is kept in a state file', async () => {
    const table = newTable()
    const client = azurite.tableClient(table)
    await fill(client, sampleEntities.slice(0, 1))
    const world = await createWorld()
    const stop = new AbortController()
    const statePath = followStatePath(dir.path, world.tenantId, azurite.endpoint, table)
    const passes: number[] = []
    try {
      const following = followAzureTable(
        { ingest: world.ingest },
        {
          tenantId: world.tenantId,
          client: openTableClient({ connectionString: azurite.connectionString }, table),
          table,
          endpoint: azurite.endpoint,
          statePath,
          intervalMs: 100,
          stopSignal: stop.signal,
          now: () => Date.now(),
          onPass: (summary) => passes.push(summary.new + summary.merged),
        },
      )
      const until = async (condition: () => Promise<boolean>) => {
        for (let i = 0; i < 100 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 50))
      }
      await until(async () => (await world.store.countLeadEvents(world.tenantId)) === 1)
      await client.createEntity(microsoftEntity('9:2F29:2F2018', 'a2', 'PLT', janeInfo, '9/29/2018 1:05:00 PM'))
      await until(async () => (await world.store.countLeadEvents(world.tenantId)) === 2)
      stop.abort()
      await following
      expect(await world.store.countLeadEvents(world.tenantId)).toBe(2)
      expect(passes.filter((n) => n > 0)).toEqual([1, 1])
      const state = readFollowState(statePath)
      expect(state).toMatchObject({ table, endpoint: azurite.endpoint, tenantId: world.tenantId })
      let newest = ''
      for await (const entity of client.listEntities()) newest = entity.timestamp! > newest ? entity.timestamp! : newest
      expect(Date.parse(state!.newestTimestamp)).toBe(Date.parse(newest))
    } finally {
      stop.abort()
      await world.dispose()
    }
  })

  test('the CLI: a progress line and a summary; a second run imports nothing new; bad credentials exit 1', async () => {
    const table = newTable()
    await fill(azurite.tableClient(table), sampleEntities)
    const data = `${dir.path}/cli`
    expect((await runCli(['tenants', 'create', 'contoso', '--data', data])).code).toBe(0)
    const args = ['import', 'azure-table', '--table', table, '--data', data, '--json']
    const env = { LEADRELAY_IMPORT_CONNECTION_STRING: azurite.connectionString, LEADRELAY_LOG_LEVEL: 'warn' }
    const first = await runCli(args, env)
    expect(first.code).toBe(1) // two entities are not usable leads
    expect(first.stderr).toContain('Importing entities: 8/8')
    expect(first.stderr).toContain('Read 8 entities: 3 new leads, 3 merged into existing leads, 2 skipped')
    expect(first.stderr).toMatch(/10:2F2:2F2018\/c1: invalid value: LEAD_INVALID/)
    expect(JSON.parse(first.stdout)).toMatchObject({ read: 8, new: 3, merged: 3, skipped: 2 })
    const second = await runCli([...args, '--connection-string', azurite.connectionString])
    expect(JSON.parse(second.stdout)).toMatchObject({ read: 8, new: 0, merged: 0, reasons: { 'already imported': 6 } })
    // A later --follow starts from the newest Timestamp this import saw.
    const states = readdirSync(`${data}/imports`)
    expect(states).toHaveLength(1)
    expect(JSON.parse(readFileSync(`${data}/imports/${states[0]}`, 'utf8'))).toMatchObject({ table })
    const wrongKey = azurite.connectionString.replace(
      /AccountKey=[^;]+/,
      `AccountKey=${Buffer.alloc(64, 1).toString('base64')}`,
    )
    const denied = await runCli([...args, '--connection-string', wrongKey])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('Azure refused our credentials')
    const missing = await runCli(['import', 'azure-table', '--data', data])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('--connection-string')
  }, 180_000)
})
