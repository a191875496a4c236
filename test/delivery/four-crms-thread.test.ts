/**
 * Four CRMs at once, from the real `serve`: lead events committed on its ingest thread, deliveries claimed and
 * recorded on its delivery thread, API writes on its HTTP thread: three connections to one SQLite file. No lock
 * error may reach the log, and once the vendors are idle nothing is left in flight.
 */

import { afterEach, expect, test } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { startDataverseFake } from '../fakes/dynamics365-fake.ts'
import { fakeToken, startHubSpotFake } from '../fakes/hubspot-fake.ts'
import { startMarketoFake } from '../fakes/marketo-fake.ts'
import { startSalesforceFake } from '../fakes/salesforce-fake.ts'
import { startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test('30 customers, 70 events to Salesforce, Dynamics 365, HubSpot and Marketo: no lock error, nothing left in flight', async () => {
  const dir = createTempDir()
  cleanups.push(() => dir.remove())
  const config = loadConfig({ data: dir.path }, {})
  // The tenant exists before serve starts, so its API key is known here.
  const setup = createSqliteStore({ filename: config.sqliteFile })
  await setup.migrate()
  const tenant = await createTenant(
    { store: setup, clock: systemClock, ids: createIdGenerator(systemClock), publicUrl: config.publicUrl },
    'contoso',
  )
  await setup.close()
  const serve = await startServe(['--data', dir.path], {
    LEADRELAY_LOG_LEVEL: 'info',
    LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    // Far longer than the wait below: a delivery stranded in flight cannot be rescued by its lease's expiry.
    LEADRELAY_LEASE: '120s',
  })
  cleanups.push(() => stopProcess(serve.child))
  let stderr = ''
  serve.child.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })

  const salesforce = await startSalesforceFake()
  const dataverse = await startDataverseFake()
  const hubspot = await startHubSpotFake()
  for (const name of ['leadrelay_do_not_contact', 'leadrelay_test'])
    hubspot.addProperty({ name, type: 'bool', fieldType: 'booleancheckbox', options: ['true', 'false'] })
  const marketo = await startMarketoFake({ clientId: 'leadrelay', clientSecret: 'leadrelay-secret-0123456789' })
  cleanups.push(
    () => salesforce.close(),
    () => dataverse.close(),
    () => hubspot.close(),
    () => marketo.close(),
  )

  const api = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const response = await fetch(`${serve.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tenant.apiKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return { status: response.status, json: (await response.json()) as Record<string, unknown> }
  }
  const destinations = [
    {
      kind: 'salesforce',
      config: { loginUrl: salesforce.url, timeoutMs: 5000 },
      secrets: { clientId: salesforce.clientId, clientSecret: salesforce.clientSecret },
    },
    {
      kind: 'dynamics365',
      config: {
        environmentUrl: dataverse.url,
        authorityHost: dataverse.authorityHost,
        tenantId: dataverse.tenantId,
        clientId: dataverse.clientId,
      },
      secrets: { clientSecret: dataverse.clientSecret },
    },
    {
      kind: 'hubspot',
      config: {
        baseUrl: hubspot.url,
        timeoutMs: 5000,
        doNotContactProperty: 'leadrelay_do_not_contact',
        testLeadProperty: 'leadrelay_test',
      },
      secrets: { accessToken: fakeToken },
    },
    {
      kind: 'marketo',
      config: { restUrl: marketo.url },
      secrets: { clientId: 'leadrelay', clientSecret: 'leadrelay-secret-0123456789' },
    },
  ]
  const destinationIds: string[] = []
  for (const destination of destinations) {
    const created = await api('POST', '/v1/destinations', { name: destination.kind, ...destination })
    expect(created.status, JSON.stringify(created.json)).toBe(201)
    destinationIds.push(created.json.id as string)
  }
  expect((await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: destinationIds })).status).toBe(200)

  // 30 customers: each signs up, starts a trial later, and every third one asks for contact: 70 events, sent by
  // four clients while earlier ones are being delivered, so that commits of all three threads interleave.
  const events: { action: string; n: number }[] = []
  for (let n = 0; n < 30; n++) events.push({ action: 'INS', n })
  for (let n = 0; n < 30; n++) events.push({ action: 'PLT', n })
  for (let n = 0; n < 30; n += 3) events.push({ action: 'CTA', n })
  expect(events).toHaveLength(70)
  const lanes = Array.from({ length: 4 }, async (_, lane) => {
    for (let index = lane; index < events.length; index += 4) {
      const { action, n } = events[index]!
      const response = await api('POST', '/v1/leads', {
        LeadSource: `AzureMarketplace-${action}|contoso.crm-suite`,
        CustomerInfo: {
          FirstName: `Customer${n}`,
          LastName: action === 'INS' ? 'Signup' : `Stage${action}`,
          Email: `customer${n}@example.com`,
          Company: 'Contoso',
        },
      })
      expect(response.status).toBe(202)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })
  await Promise.all(lanes)
  type Delivery = { leadId: string; destinationId: string; leadVersion: number }
  const deliveries = async (state: string) => {
    const items: Delivery[] = []
    let cursor: string | undefined
    do {
      const page = await api('GET', `/v1/deliveries?state=${state}&limit=100${cursor ? `&cursor=${cursor}` : ''}`)
      items.push(...(page.json.items as Delivery[]))
      cursor = page.json.nextCursor as string | undefined
    } while (cursor)
    return items
  }
  // Far less than the lease: whatever waits for its expiry fails the test.
  await waitFor(
    async () => (await deliveries('queued')).length === 0 && (await deliveries('in_flight')).length === 0,
    45_000,
  )

  const delivered = await deliveries('delivered')
  for (const destinationId of destinationIds) {
    expect(new Set(delivered.filter((d) => d.destinationId === destinationId).map((d) => d.leadId)).size).toBe(30)
  }
  for (const leadId of new Set(delivered.map((delivery) => delivery.leadId))) {
    // Every customer's newest state reached every CRM.
    const lead = await api('GET', `/v1/leads/${leadId}`)
    const reached = delivered.filter((d) => d.leadId === leadId && d.leadVersion === lead.json.version)
    expect(reached.map((delivery) => delivery.destinationId).sort()).toEqual([...destinationIds].sort())
  }
  expect(salesforce.leads.size).toBe(30)
  expect(dataverse.leads).toHaveLength(30)
  expect(hubspot.contacts.size).toBe(30)
  expect(marketo.leads.size).toBe(30)

  await stopProcess(serve.child)
  const log = `${serve.output()}\n${stderr}`
  // The log was read: serve logs its requests at info level.
  expect(log).toMatch(/"statusCode":202/)
  expect(log.split('\n').filter((line) => /SQLITE_BUSY|database is locked/i.test(line))).toEqual([])
}, 90_000)
