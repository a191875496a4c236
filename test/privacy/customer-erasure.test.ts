/**
 * Erasure end to end, on SQLite and PostgreSQL: a customer with leads in two offers, delivered to every destination
 * kind, is erased through the API. Afterwards no byte of the store holds their email, name or phone, every
 * destination got its vendor's delete, the audit names who erased (by a hash, never the email), and re-importing an
 * export taken before the erasure does not bring them back.
 */

import { PassThrough, Readable } from 'node:stream'
import { afterEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createIngestService } from '../../src/services/ingest.ts'
import { exportLeads } from '../../src/services/lead-files/export-leads.ts'
import { importLeadFile } from '../../src/services/lead-files/import-lead-file.ts'
import { startDataverseFake } from '../fakes/dynamics365-fake.ts'
import { fakeToken, startHubSpotFake } from '../fakes/hubspot-fake.ts'
import { startMarketoFake } from '../fakes/marketo-fake.ts'
import { startSalesforceFake } from '../fakes/salesforce-fake.ts'
import { startAzurite } from '../helpers/azurite.ts'
import { postgresSkipReason } from '../helpers/postgres.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink } from '../helpers/webhook-sink.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const victim = {
  FirstName: 'Zebediah',
  LastName: 'Quackenbush',
  Email: 'Zeb.Quackenbush@Fabrikam.example',
  Phone: '+49 151 98765432',
  Country: 'DE',
  Company: 'Fabrikam Erasure GmbH',
  Title: 'Einkaufsleiterin',
}
const bystander = {
  FirstName: 'Philippa',
  LastName: 'Bystander',
  Email: 'philippa@contoso.example',
  Phone: '+1 425 555 0199',
  Country: 'US',
  Company: 'Contoso',
  Title: 'CTO',
}
/** What must not survive the erasure anywhere in the store. */
const victimTraces = ['zeb.quackenbush@fabrikam.example', 'Zebediah', 'Quackenbush', '98765432', 'Fabrikam Erasure']

for (const store of ['sqlite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && postgresSkipReason !== undefined)(`erasing a customer (${store})`, () => {
    test('removes their data from every table, deletes them at every destination, and keeps them out', async () => {
      const t: TestServer = await startTestServer({}, { store })
      cleanups.push(() => t.close())
      const api = async (method: string, url: string, body?: unknown) => {
        const response = await t.server.app.inject({
          method: method as 'GET',
          url,
          headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { payload: JSON.stringify(body) }),
        })
        return { status: response.statusCode, json: response.body ? response.json() : undefined }
      }

      const salesforce = await startSalesforceFake()
      const dataverse = await startDataverseFake()
      const hubspot = await startHubSpotFake()
      for (const name of ['leadrelay_do_not_contact', 'leadrelay_test'])
        hubspot.addProperty({ name, type: 'bool', fieldType: 'booleancheckbox', options: ['true', 'false'] })
      const marketo = await startMarketoFake({ clientId: 'leadrelay', clientSecret: 'leadrelay-secret-0123456789' })
      const sink = await startWebhookSink()
      const azurite = await startAzurite()
      cleanups.push(
        () => salesforce.close(),
        () => dataverse.close(),
        () => hubspot.close(),
        () => marketo.close(),
        () => sink.close(),
        () => azurite.stop(),
      )
      const table = `erasure${store}`
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
        { kind: 'webhook', config: { url: sink.url } },
        { kind: 'azure-table', config: { tableName: table }, secrets: { connectionString: azurite.connectionString } },
      ]
      const ids: string[] = []
      for (const destination of destinations) {
        const created = await api('POST', '/v1/destinations', { name: destination.kind, ...destination })
        expect(created.status, JSON.stringify(created.json)).toBe(201)
        ids.push(created.json.id)
      }
      const webhookId = ids[4]!
      expect((await api('PUT', '/v1/offers/contoso.crm-suite', { destinations: ids })).status).toBe(200)
      expect((await api('PUT', '/v1/offers/contoso.analytics', { destinations: [webhookId] })).status).toBe(200)

      const send = async (action: string, offer: string, customer: Record<string, string>) => {
        const response = await api('POST', '/v1/leads', {
          LeadSource: `AzureMarketplace-${action}|${offer}`,
          CustomerInfo: customer,
          Description: `Please call ${customer.FirstName} ${customer.LastName} on ${customer.Phone}`,
        })
        expect(response.status, JSON.stringify(response.json)).toBe(202)
        return response.json as { leadId: string }
      }
      const victimLead = await send('INS', 'contoso.crm-suite', victim)
      t.clock.advance(60_000)
      await send('PLT', 'contoso.crm-suite', victim)
      await send('INS', 'contoso.analytics', victim)
      await send('INS', 'contoso.crm-suite', bystander)
      for (let round = 0; round < 5; round++) {
        await t.server.worker.runUntilIdle()
        t.clock.advance(2000)
      }
      expect(salesforce.leads.size).toBe(2)
      expect(dataverse.leads).toHaveLength(2)
      expect(hubspot.contacts.size).toBe(2)
      expect(marketo.leads.size).toBe(2)

      // The export a publisher took before the customer asked to be forgotten.
      const exported = new PassThrough()
      const chunks: Buffer[] = []
      exported.on('data', (chunk: Buffer) => chunks.push(chunk))
      await exportLeads(t.store, { tenantId: t.tenant.tenant.id, format: 'jsonl', output: exported })
      exported.end()
      const oldExport = Buffer.concat(chunks).toString()
      expect(oldExport).toContain('zeb.quackenbush@fabrikam.example')
      // Every attempt kept the payload it sent, which carries the customer.
      type Attempt = { id: string; outcome: string; request: { body: string | null } | null; response: unknown }
      const attemptsOf = async (leadId: string) =>
        ((await api('GET', `/v1/leads/${leadId}`)).json.deliveries as { attemptLog: Attempt[] }[]).flatMap(
          (delivery) => delivery.attemptLog,
        )
      const sentBefore = await attemptsOf(victimLead.leadId)
      expect(sentBefore.length).toBeGreaterThanOrEqual(6)
      expect(sentBefore.filter((attempt) => attempt.request?.body?.includes('Quackenbush')).length).toBeGreaterThan(0)
      expect((await t.rawContents()).toString('latin1')).toContain('Quackenbush')

      t.clock.advance(60_000)
      const erased = await api(
        'DELETE',
        `/v1/customers?email=${encodeURIComponent(' ZEB.Quackenbush@fabrikam.EXAMPLE')}`,
      )
      expect(erased.status, JSON.stringify(erased.json)).toBe(200)
      // Two leads (one per offer); six destinations hold the first, the webhook the second.
      expect(erased.json).toMatchObject({ leads: 2, deletionsQueued: 7 })
      expect(erased.json.emailHash).toMatch(/^[0-9a-f]{64}$/)

      for (let round = 0; round < 5; round++) {
        await t.server.worker.runUntilIdle()
        t.clock.advance(2000)
      }
      // Each vendor's own delete, for the victim's record only.
      expect(salesforce.deleted).toHaveLength(1)
      expect(salesforce.leads.size).toBe(1)
      expect([...salesforce.leads.values()][0]!.Email).toBe('philippa@contoso.example')
      expect(dataverse.deleted).toHaveLength(1)
      expect(dataverse.leads.map((lead) => lead.values.emailaddress1)).toEqual(['philippa@contoso.example'])
      expect(hubspot.gdprDeleted).toHaveLength(1)
      expect(hubspot.contactByEmail('zeb.quackenbush@fabrikam.example')).toBeUndefined()
      expect(hubspot.contacts.size).toBe(1)
      expect(marketo.deleted).toHaveLength(1)
      expect(marketo.leads.size).toBe(1)
      const erasures = sink.received.filter(
        (request) => (request.json as { type?: string })?.type === 'customer.erased',
      )
      expect(erasures).toHaveLength(2)
      expect(erasures.every((request) => request.headers['webhook-signature']?.startsWith('v1,'))).toBe(true)
      expect(erasures.map((request) => (request.json as { data: { leadId: string } }).data.leadId)).toContain(
        victimLead.leadId,
      )
      const entities: { rowKey?: string }[] = []
      for await (const entity of azurite.tableClient(table).listEntities()) entities.push(entity)
      expect(entities).toHaveLength(1)
      expect(entities[0]!.rowKey).not.toBe(victimLead.leadId)

      // The erase deliveries are recorded like any delivery, and all went through.
      const deliveries = (await api('GET', `/v1/deliveries?lead=${victimLead.leadId}&limit=100`)).json.items as {
        state: string
      }[]
      expect(deliveries.filter((delivery) => delivery.state === 'delivered').length).toBeGreaterThanOrEqual(12)
      expect(deliveries.filter((delivery) => delivery.state === 'queued' || delivery.state === 'in_flight')).toEqual([])

      // The audit says who erased, and names the customer only by the hash.
      const audit = (await api('GET', '/v1/audit')).json.items as { action: string; actor: string; detail: unknown }[]
      const entry = audit.find((item) => item.action === 'customer.erased')
      expect(entry).toMatchObject({ detail: { emailHash: erased.json.emailHash, leads: 2, deletions: 7 } })
      expect(entry?.actor).toMatch(/^key:key_/)

      // The attempts that sent them are still listed, without what they sent or got back.
      const sentAfter = new Map((await attemptsOf(victimLead.leadId)).map((attempt) => [attempt.id, attempt]))
      for (const before of sentBefore) {
        expect(sentAfter.get(before.id)).toMatchObject({ outcome: before.outcome, request: null, response: null })
      }
      // Nothing of the customer is left in any table (every byte of the SQLite file and WAL, every PostgreSQL row).
      const afterErasure = (await t.rawContents()).toString('latin1')
      for (const trace of victimTraces) expect(afterErasure).not.toContain(trace)
      expect(afterErasure).toContain('philippa@contoso.example')
      const tombstone = await t.store.getLead(t.tenant.tenant.id, victimLead.leadId)
      expect(tombstone?.customer).toEqual({})
      expect(tombstone?.erasedAt).toBeDefined()

      // Re-importing the old export brings nothing of them back.
      const ingest = createIngestService({
        store: t.store,
        clock: t.clock,
        ids: createIdGenerator(t.clock),
        dedupeWindowMs: 0,
      })
      const summary = await importLeadFile(
        { store: t.store, ingest, clock: t.clock },
        { tenantId: t.tenant.tenant.id, format: 'jsonl', input: Readable.from([oldExport]) },
      )
      // The bystander's row merges into their lead (the file's idempotency key is not the API send's); none of the
      // victim's three rows is stored.
      expect(summary).toMatchObject({ read: 4, new: 0, merged: 1, skipped: 3 })
      expect(summary.reasons['erased customer']).toBe(3)
      expect((await api('GET', '/v1/leads?email=zeb.quackenbush@fabrikam.example')).json.items).toEqual([])
      const afterImport = (await t.rawContents()).toString('latin1')
      for (const trace of victimTraces) expect(afterImport).not.toContain(trace)

      // A lead the customer sends after the erasure is taken, and flagged.
      t.clock.advance(60_000)
      const comeback = await send('INS', 'contoso.crm-suite', victim)
      expect(comeback.leadId).not.toBe(victimLead.leadId)
      expect(await t.store.getLead(t.tenant.tenant.id, comeback.leadId)).toMatchObject({ previouslyErased: true })
      expect((await t.store.getLead(t.tenant.tenant.id, victimLead.leadId))?.customer).toEqual({})
    }, 60_000)
  })
}
