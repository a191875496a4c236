import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { servedRoutes } from '../../src/http/app.ts'
import { createLogger } from '../../src/logger.ts'
import { createServer } from '../../src/server.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { johnSmith, microsoftExample, seedLead } from '../helpers/leads.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
})

function send(key: Record<string, string>, body: unknown) {
  return t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { 'content-type': 'application/json', ...key },
    payload: JSON.stringify(body),
  })
}

function get(key: Record<string, string>, url: string) {
  return t.server.app.inject({ method: 'GET', url, headers: key })
}

describe('tenant isolation', () => {
  test("one tenant's key cannot read, list or guess another's leads", async () => {
    const other = await t.addTenant('fabrikam')
    const mine = (await send(bearer(t.tenant), seedLead('AzureMarketplace-INS|contoso.a', johnSmith))).json()
    const theirs = (await send(bearer(other), seedLead('AzureMarketplace-INS|contoso.a', johnSmith))).json()
    expect(theirs.leadId).not.toBe(mine.leadId)
    expect(theirs.newLead).toBe(true)

    const read = await get(bearer(other), `/v1/leads/${mine.leadId}`)
    expect(read.statusCode).toBe(404)
    expect(read.json().code).toBe('LEAD_NOT_FOUND')
    const guess = await get(bearer(other), '/v1/leads/lead_01M89SAZ3WY3SYM90XMK99YMS0')
    expect(guess.statusCode).toBe(404)
    expect(read.json().title).toBe(guess.json().title)

    const list = (await get(bearer(other), '/v1/leads')).json()
    expect(list.items.map((lead: { id: string }) => lead.id)).toEqual([theirs.leadId])
    const byEmail = (await get(bearer(other), `/v1/leads?email=${johnSmith.Email}`)).json()
    expect(byEmail.items).toHaveLength(1)
    expect(byEmail.items[0].id).toBe(theirs.leadId)

    // A cursor made from another tenant's lead id only pages within the caller's own leads: the bare id earlier
    // versions gave out is not found there, and a keyset position naming it only bounds the caller's own leads.
    const legacy = await get(bearer(other), `/v1/leads?cursor=${Buffer.from(mine.leadId).toString('base64url')}`)
    expect(legacy.statusCode).toBe(400)
    expect(legacy.body).not.toContain(mine.leadId)
    const position = Buffer.from(JSON.stringify(['lastActivity.desc', Date.now() + 3_600_000, mine.leadId])).toString(
      'base64url',
    )
    const paged = (await get(bearer(other), `/v1/leads?cursor=${position}`)).json()
    expect(paged.items.map((lead: { id: string }) => lead.id)).toEqual([theirs.leadId])
  })

  test("one tenant's ingest URL files leads under that tenant only", async () => {
    const other = await t.addTenant('fabrikam')
    await t.server.app.inject({
      method: 'POST',
      url: ingestPath(other),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(microsoftExample),
    })
    expect(await t.store.countLeadEvents(other.tenant.id)).toBe(1)
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(0)
    expect((await get(bearer(t.tenant), '/v1/leads')).json().items).toEqual([])
  })
})

describe('offers', () => {
  test('leads carrying the display name find their offer; earlier unrouted leads join it', async () => {
    const early = (await send(bearer(t.tenant), seedLead('AzureMarketplace-INS|Contoso CRM Suite', johnSmith))).json()
    expect(early.routed).toBe(false)
    expect(early.warnings.join()).toContain('offer_unknown')

    const put = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/offers/contoso.crm-suite',
      headers: { 'content-type': 'application/json', ...bearer(t.tenant) },
      payload: JSON.stringify({ title: 'Contoso CRM Suite', aliases: ['CRM Suite'] }),
    })
    expect(put.statusCode).toBe(200)
    expect(put.json()).toMatchObject({ id: 'contoso.crm-suite', aliases: ['Contoso CRM Suite', 'CRM Suite'] })

    const joined = (await get(bearer(t.tenant), `/v1/leads/${early.leadId}`)).json()
    expect(joined).toMatchObject({ offerId: 'contoso.crm-suite', routed: true })

    const later = (await send(bearer(t.tenant), seedLead('AzurePortal-Create|  crm   SUITE ', johnSmith))).json()
    expect(later).toMatchObject({
      routed: true,
      offerId: 'contoso.crm-suite',
      leadId: early.leadId,
      leadStage: 'active',
    })
    const byId = (
      await send(bearer(t.tenant), seedLead('AzurePortal-Create|contoso.crm-suite', { Email: 'x@y.io' }))
    ).json()
    expect(byId.offerId).toBe('contoso.crm-suite')

    const routedOnly = (await get(bearer(t.tenant), '/v1/leads?routed=false')).json()
    expect(routedOnly.items).toEqual([])
  })

  test('an alias already naming another offer is a 409; a bad offer id a 400', async () => {
    const put = (id: string, body: unknown) =>
      t.server.app.inject({
        method: 'PUT',
        url: `/v1/offers/${encodeURIComponent(id)}`,
        headers: { 'content-type': 'application/json', ...bearer(t.tenant) },
        payload: JSON.stringify(body),
      })
    expect((await put('contoso.a', { aliases: ['Suite'] })).statusCode).toBe(200)
    const clash = await put('contoso.b', { aliases: ['suite'] })
    expect(clash.statusCode).toBe(409)
    expect(clash.json()).toMatchObject({ code: 'CONFLICT', field: 'aliases' })
    const bad = await put('has space', {})
    expect(bad.statusCode).toBe(400)
    const unknownField = await put('contoso.c', { colour: 'red' })
    expect(unknownField.statusCode).toBe(400)
    expect(unknownField.json().code).toBe('VALIDATION_FAILED')
  })
})

describe('listing', () => {
  test('filters by offer, stage, email and time, and pages with a cursor', async () => {
    for (let i = 0; i < 7; i++) {
      await send(
        bearer(t.tenant),
        seedLead(`AzureMarketplace-${i % 2 ? 'INS' : 'PLT'}|contoso.a`, { Email: `c${i}@example.com` }),
      )
      t.clock.advance(3_600_000)
    }
    await send(bearer(t.tenant), seedLead('TestDrive-StartTestDrive|contoso.b', { Email: 'c0@example.com' }))
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = (await get(bearer(t.tenant), `/v1/leads?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json()
      expect(page.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.items.map((lead: { id: string }) => lead.id))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toHaveLength(8)
    expect(new Set(seen).size).toBe(8)
    expect([...seen].sort().reverse()).toEqual(seen)

    expect((await get(bearer(t.tenant), '/v1/leads?stage=active')).json().items).toHaveLength(4)
    // Offers not configured yet are found by the name leads carry.
    expect((await get(bearer(t.tenant), '/v1/leads?offer=contoso.b')).json().items).toHaveLength(1)
    expect((await get(bearer(t.tenant), '/v1/leads?offer=contoso.z')).json().items).toHaveLength(0)
    expect((await get(bearer(t.tenant), '/v1/leads?email=C0@Example.com')).json().items).toHaveLength(2)
    const since = new Date(Date.UTC(2026, 10, 25, 17, 0, 0)).toISOString()
    expect((await get(bearer(t.tenant), `/v1/leads?since=${since}`)).json().items).toHaveLength(3)
    const bad = await get(bearer(t.tenant), '/v1/leads?stage=hot')
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'stage' })
    expect((await get(bearer(t.tenant), '/v1/leads?cursor=garbage')).json().code).toBe('VALIDATION_FAILED')
  })
})

test('healthz answers 200 and the OpenAPI document lists the routes', async () => {
  expect((await get({}, '/healthz')).statusCode).toBe(200)
  const document = (await get({}, '/openapi.json')).json()
  expect(document.openapi).toBe('3.1.0')
  expect(Object.keys(document.paths)).toEqual(
    expect.arrayContaining(['/ingest/microsoft/{token}', '/v1/leads', '/v1/leads/{leadId}', '/v1/offers/{offerId}']),
  )
})

test('logs never contain customer emails, phones, API keys or ingest tokens', async () => {
  const dir = createTempDir()
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk))
      callback()
    },
  })
  const config = loadConfig({ data: dir.path }, {})
  const store = createSqliteStore({ filename: config.sqliteFile })
  await store.migrate()
  const clock = createManualClock()
  const ids = createIdGenerator(clock)
  const server = createServer({ config, store, clock, ids, log: createLogger('debug', sink) })
  const tenant = await createTenant({ store, clock, ids, publicUrl: config.publicUrl }, 'logged')
  await server.app.inject({
    method: 'POST',
    url: ingestPath(tenant),
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(microsoftExample),
  })
  await server.app.inject({
    method: 'POST',
    url: '/ingest/microsoft/lr_in_wrong',
    payload: '{',
    headers: { 'content-type': 'application/json' },
  })
  await server.app.inject({ method: 'GET', url: '/v1/leads', headers: bearer(tenant) })
  await server.close()
  await store.close()
  dir.remove()
  const log = lines.join('')
  expect(log).toContain('request completed')
  for (const secret of ['someone@contoso.com', '16175555555', tenant.apiKey, tenant.ingestToken, 'lr_in_wrong']) {
    expect(log).not.toContain(secret)
  }
})

test('the OpenAPI document describes every API route the app serves', async () => {
  const document = (await get({}, '/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> }
  const served = (servedRoutes.get(t.server.app) ?? [])
    .filter(({ method }) => method !== 'HEAD' && method !== 'OPTIONS')
    .map(({ method, url }) => ({ path: url.replace(/:(\w+)/g, '{$1}'), method: method.toLowerCase() }))
    .filter(({ path }) => path.startsWith('/v1/') || path.startsWith('/ingest/') || path === '/healthz')
  expect(served.length).toBeGreaterThan(20)
  const missing = served.filter(({ path, method }) => document.paths[path]?.[method] === undefined)
  expect(missing).toEqual([])
})
