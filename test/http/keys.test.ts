/** Named API keys with scopes, rotation and revocation, and the ingest URL's rotation with an overlap. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { hashCredential } from '../../src/core/credentials.ts'
import { servedRoutes } from '../../src/http/app.ts'
import { epochCheckMs } from '../../src/http/auth.ts'
import { johnSmith, microsoftExample, seedLead } from '../helpers/leads.ts'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer

beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
})

const hourMs = 3_600_000

function call(key: string | Record<string, string>, method: string, url: string, body?: unknown) {
  const authorization = typeof key === 'string' ? { authorization: `Bearer ${key}` } : key
  return t.server.app.inject({
    method: method as 'GET',
    url,
    headers: { ...authorization, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
}

const admin = () => bearer(t.tenant)

async function createKey(name: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const response = await call(admin(), 'POST', '/v1/keys', { name, scopes })
  expect(response.statusCode).toBe(201)
  return response.json()
}

function sendLead(key: string) {
  return call(key, 'POST', '/v1/leads', seedLead('AzureMarketplace-INS|contoso.a', johnSmith))
}

function sendMicrosoftLead(path: string) {
  return t.server.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(microsoftExample),
  })
}

describe('scopes', () => {
  test('a read key reads but changes nothing; an ingest key sends leads and reads nothing', async () => {
    const reader = await createKey('portal viewer', ['read'])
    const script = await createKey('crm script', ['ingest'])

    expect((await sendLead(script.key)).statusCode).toBe(202)
    expect((await call(reader.key, 'GET', '/v1/leads')).json().items).toHaveLength(1)
    expect((await call(reader.key, 'GET', '/v1/destinations')).statusCode).toBe(200)
    expect((await call(reader.key, 'GET', '/v1/tenant')).json().key).toEqual({ id: reader.id, scopes: ['read'] })

    const refused = await call(reader.key, 'POST', '/v1/destinations', {
      kind: 'webhook',
      name: 'crm',
      config: { url: 'https://example.com/hook' },
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', field: 'Authorization', requiredScope: 'admin' })
    expect(refused.json().detail).toContain('"admin"')
    expect((await t.store.listDestinations(t.tenant.tenant.id)).length).toBe(0)

    expect((await sendLead(reader.key)).json()).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'ingest' })
    expect((await call(reader.key, 'GET', '/v1/keys')).statusCode).toBe(403)
    expect((await call(reader.key, 'POST', '/v1/keys', { name: 'mine', scopes: ['admin'] })).statusCode).toBe(403)
    expect((await call(reader.key, 'PUT', '/v1/offers/contoso.a', { title: 'A' })).statusCode).toBe(403)
    expect((await call(reader.key, 'POST', '/v1/deliveries/replay', { ids: ['dlv_x'] })).statusCode).toBe(403)

    const listing = await call(script.key, 'GET', '/v1/leads')
    expect(listing.statusCode).toBe(403)
    expect(listing.json()).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'read' })
    expect((await call(script.key, 'GET', `/v1/leads/${(await sendLead(script.key)).json().leadId}`)).statusCode).toBe(
      403,
    )
    expect((await call(script.key, 'POST', '/v1/tenant/ingest-token/rotate', {})).statusCode).toBe(403)
    // Nothing was rotated by the refused call: the tenant still has its one ingest token.
    expect(await t.store.listIngestTokens(t.tenant.tenant.id, t.clock.now())).toHaveLength(1)
  })

  test('every served API route has a scope decided, and a key without it is refused there before anything runs', async () => {
    // The API's routes are registered when the app is ready.
    await t.server.app.ready()
    const served = (servedRoutes.get(t.server.app) ?? []).filter(
      ({ method, url }) => url.startsWith('/v1/') && method !== 'HEAD' && method !== 'OPTIONS',
    )
    expect(served.length).toBeGreaterThan(30)
    // Every API route declares who may call it; only the Microsoft-facing URLs carry their credential in the path.
    expect(served.filter(({ access }) => access?.role === undefined)).toEqual([])

    const keys = {
      ingest: (await createKey('ingest only', ['ingest'])).key,
      read: (await createKey('read only', ['read'])).key,
      admin: (await createKey('second admin', ['admin'])).key,
    }
    for (const { method, url, access } of served) {
      const needed = access?.scope
      const path = url.replace(/:(\w+)/g, 'x')
      for (const [scope, key] of Object.entries(keys)) {
        const response = await call(key, method, path, method === 'GET' || method === 'DELETE' ? undefined : {})
        const allowed = scope === 'admin' || scope === needed
        expect([method, url, scope, response.statusCode === 403]).toEqual([method, url, scope, !allowed])
      }
    }
    // HEAD is served by the GET route, with its declaration: a read key may ask.
    expect((await call(keys.read, 'HEAD', '/v1/leads')).statusCode).toBe(200)
    // The refused calls changed nothing.
    expect(await t.store.listApiKeys(t.tenant.tenant.id, t.clock.now())).toHaveLength(4)
  })

  test('existing keys hold admin; scopes are validated', async () => {
    const keys = (await call(admin(), 'GET', '/v1/keys')).json().items
    expect(keys).toEqual([expect.objectContaining({ name: 'created with the tenant', scopes: ['admin'] })])
    const bad = await call(admin(), 'POST', '/v1/keys', { name: 'x', scopes: ['owner'] })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'scopes.0' })
    expect((await call(admin(), 'POST', '/v1/keys', { name: 'x', scopes: [] })).statusCode).toBe(400)
    expect((await call(admin(), 'POST', '/v1/keys', { name: ' ', scopes: ['read'] })).statusCode).toBe(400)
  })

  test('the OpenAPI document names the scope of each operation', async () => {
    const document = (await call({}, 'GET', '/openapi.json')).json()
    // A key with the scope, or a signed-in person (session cookie) with the role in x-leadrelay-role.
    const either = (scope: string) => [{ apiKey: [scope] }, { session: [] }]
    expect(document.paths['/v1/keys'].get.security).toEqual(either('admin'))
    expect(document.paths['/v1/leads'].post.security).toEqual(either('ingest'))
    expect(document.paths['/v1/leads'].get.security).toEqual(either('read'))
    expect(document.paths['/v1/tenant/ingest-token/rotate'].post.security).toEqual(either('admin'))
    expect(document.paths['/v1/leads'].get['x-leadrelay-role']).toBe('viewer')
    expect(document.paths['/v1/deliveries/replay'].post['x-leadrelay-role']).toBe('editor')
    expect(document.paths['/v1/destinations'].post['x-leadrelay-role']).toBe('admin')
    expect(document.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie' })
    // The Microsoft URL and readiness take no API key: an empty requirement says so.
    expect(document.paths['/ingest/microsoft/{token}'].post.security).toEqual([])
    expect(document.paths['/healthz'].get.security).toEqual([])
  })
})

describe('named keys', () => {
  test('are listed with name, scopes and a hint, never the secret; the secret is shown once', async () => {
    // Oldest first: created a second after the tenant's key (ids made in one millisecond sort at random).
    t.clock.advance(1000)
    const created = await createKey('crm script', ['ingest', 'read'])
    expect(created.key).toMatch(/^lr_key_/)
    const listed = await call(admin(), 'GET', '/v1/keys')
    const text = listed.body
    expect(text).not.toContain(created.key)
    expect(text).not.toContain(t.tenant.apiKey)
    expect(text).not.toContain(hashCredential(created.key))
    expect(listed.json().items).toEqual([
      expect.objectContaining({ name: 'created with the tenant', scopes: ['admin'] }),
      {
        id: created.id,
        name: 'crm script',
        scopes: ['ingest', 'read'],
        hint: `${created.key.slice(0, 11)}…`,
        createdAt: new Date(t.clock.now()).toISOString(),
        revokesAt: null,
      },
    ])
  })

  test('a revoked key is refused at once, with no cache window', async () => {
    const script = await createKey('crm script', ['ingest'])
    expect((await sendLead(script.key)).statusCode).toBe(202)
    expect((await call(admin(), 'DELETE', `/v1/keys/${script.id}`)).statusCode).toBe(204)
    const refused = await sendLead(script.key)
    expect(refused.statusCode).toBe(401)
    expect(refused.json().code).toBe('UNAUTHORIZED')
    expect((await call(admin(), 'GET', '/v1/keys')).json().items.map((key: { id: string }) => key.id)).not.toContain(
      script.id,
    )
    expect((await call(admin(), 'DELETE', `/v1/keys/${script.id}`)).statusCode).toBe(404)
  })

  test('a key revoked by another process stops here within the epoch check, not after the 30 s cache', async () => {
    const script = await createKey('crm script', ['ingest'])
    expect((await sendLead(script.key)).statusCode).toBe(202)
    // As the CLI or another node would: straight in the store, without this node's cache being told.
    await t.store.revokeApiKey(t.tenant.tenant.id, script.id, t.clock.now())
    t.clock.advance(epochCheckMs)
    expect((await sendLead(script.key)).statusCode).toBe(401)
  })

  test('a rotated key works and the old one does not; with an overlap the old one works until it ends', async () => {
    const script = await createKey('crm script', ['ingest'])
    expect((await sendLead(script.key)).statusCode).toBe(202)
    const rotated = await call(admin(), 'POST', `/v1/keys/${script.id}/rotate`)
    expect(rotated.statusCode).toBe(201)
    const fresh = rotated.json()
    expect(fresh).toMatchObject({ name: 'crm script', scopes: ['ingest'], previous: { id: script.id } })
    expect(fresh.key).not.toBe(script.key)
    expect((await sendLead(script.key)).statusCode).toBe(401)
    expect((await sendLead(fresh.key)).statusCode).toBe(202)

    const again = (await call(admin(), 'POST', `/v1/keys/${fresh.id}/rotate`, { overlapHours: 2 })).json()
    expect(again.previous.revokesAt).toBe(new Date(t.clock.now() + 2 * hourMs).toISOString())
    expect((await sendLead(fresh.key)).statusCode).toBe(202)
    expect((await sendLead(again.key)).statusCode).toBe(202)
    t.clock.advance(2 * hourMs - 1)
    expect((await sendLead(fresh.key)).statusCode).toBe(202)
    t.clock.advance(1)
    expect((await sendLead(fresh.key)).statusCode).toBe(401)
    expect((await sendLead(again.key)).statusCode).toBe(202)
  })

  test('the last admin key cannot be revoked, so the tenant is never locked out', async () => {
    const [only] = (await call(admin(), 'GET', '/v1/keys')).json().items
    const refused = await call(admin(), 'DELETE', `/v1/keys/${only.id}`)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('CONFLICT')
    expect((await call(admin(), 'GET', '/v1/keys')).statusCode).toBe(200)

    const second = await createKey('second admin', ['admin'])
    expect((await call(second.key, 'DELETE', `/v1/keys/${only.id}`)).statusCode).toBe(204)
    expect((await call(admin(), 'GET', '/v1/keys')).statusCode).toBe(401)
  })

  test("another tenant's key ids are not found", async () => {
    const other = await t.addTenant('fabrikam')
    const script = await createKey('crm script', ['ingest'])
    expect((await call(bearer(other), 'DELETE', `/v1/keys/${script.id}`)).statusCode).toBe(404)
    expect((await call(bearer(other), 'POST', `/v1/keys/${script.id}/rotate`)).statusCode).toBe(404)
    expect((await sendLead(script.key)).statusCode).toBe(202)
  })
})

describe('ingest URL rotation', () => {
  test('the old URL keeps working through its overlap and is refused after it; the new one works at once', async () => {
    const oldPath = ingestPath(t.tenant)
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(202)
    const rotated = await call(admin(), 'POST', '/v1/tenant/ingest-token/rotate', { overlapHours: 24 })
    expect(rotated.statusCode).toBe(201)
    const body = rotated.json()
    expect(body.ingestUrl).toBe(`${new URL(t.tenant.ingestUrl).origin}/ingest/microsoft/${body.ingestToken}`)
    expect(body.tokens.map((token: { current: boolean }) => token.current)).toEqual([true, false])
    expect(body.tokens[1].revokesAt).toBe(new Date(t.clock.now() + 24 * hourMs).toISOString())
    const newPath = new URL(body.ingestUrl).pathname

    expect((await sendMicrosoftLead(newPath)).statusCode).toBe(202)
    t.clock.advance(24 * hourMs - 1)
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(202)
    t.clock.advance(1)
    const refused = await sendMicrosoftLead(oldPath)
    expect(refused.statusCode).toBe(401)
    expect(refused.json().code).toBe('INGEST_TOKEN_UNKNOWN')
    expect((await sendMicrosoftLead(newPath)).statusCode).toBe(202)
    const listed = (await call(admin(), 'GET', '/v1/tenant/ingest-tokens')).json().items
    expect(listed).toHaveLength(1)
    expect(JSON.stringify(listed)).not.toContain(body.ingestToken)
  })

  test('the overlap defaults to 72 hours; revoking the old token ends it at once; the current one cannot be revoked', async () => {
    const oldPath = ingestPath(t.tenant)
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(202)
    const body = (await call(admin(), 'POST', '/v1/tenant/ingest-token/rotate')).json()
    const [current, previous] = body.tokens
    expect(previous.revokesAt).toBe(new Date(t.clock.now() + 72 * hourMs).toISOString())
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(202)

    expect((await call(admin(), 'DELETE', `/v1/tenant/ingest-tokens/${previous.id}`)).statusCode).toBe(204)
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(401)
    expect((await sendMicrosoftLead(new URL(body.ingestUrl).pathname)).statusCode).toBe(202)

    const refused = await call(admin(), 'DELETE', `/v1/tenant/ingest-tokens/${current.id}`)
    expect(refused.statusCode).toBe(409)
    expect((await sendMicrosoftLead(new URL(body.ingestUrl).pathname)).statusCode).toBe(202)
    expect((await call(admin(), 'POST', '/v1/tenant/ingest-token/rotate', { overlapHours: 721 })).statusCode).toBe(400)
  })

  test('overlapHours 0 stops the old URL at once', async () => {
    const oldPath = ingestPath(t.tenant)
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(202)
    const body = (await call(admin(), 'POST', '/v1/tenant/ingest-token/rotate', { overlapHours: 0 })).json()
    expect((await sendMicrosoftLead(oldPath)).statusCode).toBe(401)
    expect((await sendMicrosoftLead(new URL(body.ingestUrl).pathname)).statusCode).toBe(202)
  })
})

test('key and ingest token changes are audited with the acting key', async () => {
  const adminKeyId = (await call(admin(), 'GET', '/v1/tenant')).json().key.id
  // The audit log is ordered by time: one millisecond between changes keeps their order plain.
  const script = await createKey('crm script', ['ingest'])
  t.clock.advance(1)
  const rotated = (await call(admin(), 'POST', `/v1/keys/${script.id}/rotate`, { overlapHours: 1 })).json()
  t.clock.advance(1)
  await call(admin(), 'DELETE', `/v1/keys/${rotated.id}`)
  t.clock.advance(1)
  const token = (await call(admin(), 'POST', '/v1/tenant/ingest-token/rotate', { overlapHours: 5 })).json()
  t.clock.advance(1)
  await call(admin(), 'DELETE', `/v1/tenant/ingest-tokens/${token.tokens[1].id}`)

  const entries = (await call(admin(), 'GET', '/v1/audit')).json().items as {
    action: string
    actor: string
    target: string
    detail?: Record<string, unknown>
  }[]
  const ours = entries.filter((entry) => entry.action.startsWith('key.') || entry.action.startsWith('ingest_token.'))
  expect(ours.map((entry) => [entry.action, entry.target]).reverse()).toEqual([
    ['key.created', script.id],
    ['key.rotated', script.id],
    ['key.revoked', rotated.id],
    ['ingest_token.rotated', token.id],
    ['ingest_token.revoked', token.tokens[1].id],
  ])
  expect(new Set(ours.map((entry) => entry.actor))).toEqual(new Set([`key:${adminKeyId}`]))
  expect(ours.find((entry) => entry.action === 'key.rotated')?.detail).toEqual({
    replacedBy: rotated.id,
    overlapHours: 1,
  })
  expect(JSON.stringify(entries)).not.toContain(script.key)
  expect(JSON.stringify(entries)).not.toContain(token.ingestToken)
})
