import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

let t: TestServer
let sink: WebhookSink

beforeEach(async () => {
  t = await startTestServer()
  sink = await startWebhookSink()
})
afterEach(async () => {
  await t.close()
  await sink.close()
})

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
  return {
    status: response.statusCode,
    type: response.headers['content-type'],
    body: response.body,
    json: response.body ? response.json() : undefined,
  }
}

const apiKey = 'sk-live-recognisable-api-key-0123456789'
const bearerToken = 'Bearer recognisable-bearer-token-abcdef'

/** Every way the API shows destinations, as one string to search for a value. */
async function everythingShown(id: string): Promise<string> {
  return [(await api('GET', `/v1/destinations/${id}`)).body, (await api('GET', '/v1/destinations')).body].join('\n')
}

/** Runs "Test connection" and returns the headers of the requests the sink received for it. */
async function headersSentBy(id: string): Promise<Record<string, string>[]> {
  const before = sink.received.length
  const verified = await api('POST', `/v1/destinations/${id}/verify`)
  expect(verified.json).toMatchObject({ ok: true })
  return sink.received.slice(before).map((request) => request.headers)
}

describe('webhook secret headers', () => {
  test('are sent with every request, sealed at rest, and shown by name only', async () => {
    const created = await api('POST', '/v1/destinations', {
      kind: 'webhook',
      name: 'CRM hook',
      config: { url: sink.url, headers: { 'X-Tenant': 'contoso' } },
      secrets: { headers: { 'X-Api-Key': apiKey, Authorization: bearerToken } },
    })
    expect(created.status).toBe(201)
    expect(created.json.signingSecret).toMatch(/^whsec_/)
    expect(created.json.secretHeaders).toEqual(['Authorization', 'X-Api-Key'])
    expect(created.json.config.headers).toEqual({ 'X-Tenant': 'contoso' })
    expect(created.body).not.toContain(apiKey)
    expect(created.body).not.toContain(bearerToken)
    const shown = await everythingShown(created.json.id)
    expect(shown).toContain('"secretHeaders":["Authorization","X-Api-Key"]')
    expect(shown).not.toContain(apiKey)
    expect(shown).not.toContain(bearerToken)

    const sent = await headersSentBy(created.json.id)
    expect(sent).toHaveLength(2)
    for (const headers of sent) {
      expect(headers).toMatchObject({ 'x-api-key': apiKey, authorization: bearerToken, 'x-tenant': 'contoso' })
    }
    const bytes = await t.rawContents()
    expect(bytes.includes(Buffer.from(apiKey))).toBe(false)
    expect(bytes.includes(Buffer.from('recognisable-bearer-token'))).toBe(false)
  })

  test('a credential in the plain headers is refused with a problem naming the field and the way to send it', async () => {
    for (const name of ['Authorization', 'x-api-key', 'X-Session-Token', 'Cookie', 'X-Client-Secret']) {
      const refused = await api('POST', '/v1/destinations', {
        kind: 'webhook',
        name: 'CRM hook',
        config: { url: sink.url, headers: { [name]: apiKey } },
      })
      expect(refused.status).toBe(400)
      expect(refused.type).toMatch(/^application\/problem\+json/)
      expect(refused.json).toMatchObject({ code: 'VALIDATION_FAILED', field: `config.headers.${name}` })
      expect(refused.json.detail).toContain('secrets.headers')
      expect(refused.body).not.toContain(apiKey)
    }
    expect((await api('GET', '/v1/destinations')).json.items).toEqual([])
  })

  test('an update replaces or removes secret headers by name and keeps the signing secret hidden', async () => {
    const created = await api('POST', '/v1/destinations', {
      kind: 'webhook',
      name: 'CRM hook',
      config: { url: sink.url },
      secrets: { headers: { 'X-Api-Key': apiKey, Authorization: bearerToken } },
    })
    const patched = await api('PATCH', `/v1/destinations/${created.json.id}`, {
      secrets: { headers: { 'x-api-key': 'sk-live-second-key', authorization: null } },
    })
    expect(patched.status).toBe(200)
    expect(patched.json.secretHeaders).toEqual(['x-api-key'])
    // Only values Leadrelay generated are ever shown, and only when generated.
    expect(patched.json.signingSecret).toBeUndefined()
    expect(patched.body).not.toContain('sk-live-second-key')
    const [ping] = await headersSentBy(created.json.id)
    expect(ping?.['x-api-key']).toBe('sk-live-second-key')
    expect(ping?.authorization).toBeUndefined()

    const rotated = await api('POST', `/v1/destinations/${created.json.id}/rotate-secrets`)
    expect(rotated.json.signingSecret).toMatch(/^whsec_/)
    expect(rotated.json.secretHeaders).toEqual(['x-api-key'])
    expect(rotated.body).not.toContain('sk-live-second-key')
    expect((await headersSentBy(created.json.id))[0]?.['x-api-key']).toBe('sk-live-second-key')
  })

  test('a credential stored in the plain headers before the rule is never shown, still sent, and sealed by the next update', async () => {
    const created = await api('POST', '/v1/destinations', {
      kind: 'webhook',
      name: 'old hook',
      config: { url: sink.url },
    })
    const id: string = created.json.id
    // A row saved before credential headers were refused in the plain config.
    await t.store.updateDestination(
      t.tenant.tenant.id,
      id,
      {
        config: {
          url: sink.url,
          format: 'leadrelay',
          timeoutMs: 15_000,
          headers: { 'X-Api-Key': apiKey, 'X-Tenant': 'contoso' },
        },
      },
      t.clock.now(),
    )
    const shown = await everythingShown(id)
    expect(shown).not.toContain(apiKey)
    const read = (await api('GET', `/v1/destinations/${id}`)).json
    expect(read.config.headers).toEqual({ 'X-Tenant': 'contoso' })
    expect(read.secretHeaders).toEqual(['X-Api-Key'])
    expect((await headersSentBy(id))[0]).toMatchObject({ 'x-api-key': apiKey, 'x-tenant': 'contoso' })

    // The portal sends back the config it was shown: the credential header must survive that, sealed.
    const renamed = await api('PATCH', `/v1/destinations/${id}`, { name: 'renamed', config: read.config })
    expect(renamed.status).toBe(200)
    expect(renamed.body).not.toContain(apiKey)
    const stored = await t.store.getDestination(t.tenant.tenant.id, id)
    expect(JSON.stringify(stored?.config)).not.toContain(apiKey)
    expect(stored?.sealedSecrets).not.toContain(apiKey)
    expect((await api('GET', `/v1/destinations/${id}`)).json.secretHeaders).toEqual(['X-Api-Key'])
    expect((await headersSentBy(id))[0]).toMatchObject({ 'x-api-key': apiKey, 'x-tenant': 'contoso' })
  })

  test('the kinds endpoint declares the secret headers as a record for forms', async () => {
    const kinds = (await api('GET', '/v1/destination-kinds')).json.items as {
      kind: string
      secretFields: { name: string; headerRecord?: boolean }[]
    }[]
    const webhook = kinds.find((kind) => kind.kind === 'webhook')
    expect(webhook?.secretFields.find((field) => field.name === 'headers')).toMatchObject({ headerRecord: true })
  })
})
