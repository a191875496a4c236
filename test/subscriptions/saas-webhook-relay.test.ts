/**
 * The SaaS webhook relay (docs/decisions/0010): Microsoft's calls, signed with a local Entra key set, reach a local
 * fulfillment service exactly once and in order per subscription through its outage; calls with a wrong audience,
 * issuer, signature or an expired token are refused with 401 and never relayed; the subscription a call carries
 * becomes a lead event the poll then does not record again.
 */

import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type EntraWebhookKeys, startEntraWebhookKeys } from '../fakes/entra-webhook-keys.ts'
import { type FulfillmentServiceFake, startFulfillmentServiceFake } from '../fakes/fulfillment-service-fake.ts'
import {
  type FakeSubscription,
  type SaasFulfillmentFake,
  startSaasFulfillmentFake,
} from '../fakes/saas-fulfillment-fake.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

const app = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1f8e4e-5c1a-4b7e-9d0e-2f6d3f1a9c11',
  clientSecret: 'entra-secret-value-1',
}

let t: TestServer
let keys: EntraWebhookKeys
let service: FulfillmentServiceFake
let marketplace: SaasFulfillmentFake
let relayPath: string

beforeEach(async () => {
  keys = await startEntraWebhookKeys()
  service = await startFulfillmentServiceFake()
  marketplace = await startSaasFulfillmentFake({ app })
  t = await startTestServer({
    LEADRELAY_SAAS_WEBHOOK_JWKS_URL: keys.jwksUrl,
    LEADRELAY_ENTRA_LOGIN_URL: marketplace.url,
    LEADRELAY_MARKETPLACE_API_URL: marketplace.url,
  })
  const put = await t.server.app.inject({
    method: 'PUT',
    url: '/v1/subscription-source',
    headers: bearer(t.tenant),
    payload: {
      entraTenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      relayUrl: service.url,
    },
  })
  expect(put.statusCode).toBe(200)
  const relay = put.json().relay as { url: string; webhookUrl: string }
  expect(relay.url).toBe(service.url)
  relayPath = new URL(relay.webhookUrl).pathname
  expect(relayPath).toMatch(/^\/ingest\/saas-webhook\/lr_saas_/)
})

afterEach(async () => {
  await t.close()
  await marketplace.close()
  await service.close()
  await keys.close()
})

const nowSeconds = () => Math.floor(t.clock.now() / 1000)

/** A token as Entra issues it for the publisher's app (v1 issuer form unless told). */
function token(overrides: { iss?: string; aud?: string; lifetimeSeconds?: number; impostor?: boolean } = {}) {
  return keys.sign(
    {
      iss: overrides.iss ?? `https://sts.windows.net/${app.tenantId}/`,
      aud: overrides.aud ?? app.clientId,
      tid: app.tenantId,
      appid: '20e940b3-4c77-4b0b-9a53-9e16a1b010a7',
    },
    {
      nowSeconds: nowSeconds(),
      ...(overrides.lifetimeSeconds !== undefined && { lifetimeSeconds: overrides.lifetimeSeconds }),
      ...(overrides.impostor && { impostor: true }),
    },
  )
}

/** A webhook call shaped like the examples on Microsoft's "Implementing a webhook on the SaaS service" page. */
function webhookBody(subscription: FakeSubscription, action: string, operationId = randomUUID()): string {
  // Spacing as a .NET serializer might leave it: the relay must forward these exact bytes.
  return JSON.stringify(
    {
      id: operationId,
      activityId: randomUUID(),
      publisherId: subscription.publisherId,
      offerId: subscription.offerId,
      planId: subscription.planId,
      quantity: subscription.quantity,
      subscriptionId: subscription.id,
      timeStamp: new Date(t.clock.now()).toISOString(),
      action,
      status: 'Success',
      operationRequestSource: 'Azure',
      subscription,
      purchaseToken: null,
    },
    null,
    1,
  )
}

function send(body: string, authorization: string | undefined, path = relayPath) {
  return t.server.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/json', ...(authorization !== undefined && { authorization }) },
    payload: body,
  })
}

async function relayAll(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await t.server.saasRelay.runOnce()
    const next = await t.store.nextSaasRelayRunAt()
    if (next === undefined) return
    t.clock.advance(Math.max(0, next - t.clock.now()))
  }
  throw new Error('relay did not settle')
}

describe('SaaS webhook relay', () => {
  test('valid calls reach the fulfillment service unchanged, once each and in order, through its outage', async () => {
    const ann = marketplace.add({ emailId: 'ann@example.com', planId: 'silver' })
    const bob = marketplace.add({ emailId: 'bob@example.com' })
    const bearerToken = `Bearer ${await token()}`
    service.down = true

    const calls: string[] = []
    ann.planId = 'gold'
    calls.push(webhookBody(ann, 'ChangePlan'))
    ann.quantity = 5
    calls.push(webhookBody(ann, 'ChangeQuantity'))
    calls.push(webhookBody(bob, 'Renew'))
    ann.saasSubscriptionStatus = 'Suspended'
    calls.push(webhookBody(ann, 'Suspend'))
    for (const body of calls) {
      const answer = await send(body, bearerToken)
      expect(answer.statusCode).toBe(200)
      expect(answer.json()).toMatchObject({ duplicate: false })
    }
    // Microsoft sends the first operation again (its retry): stored once, relayed once.
    const again = await send(calls[0] as string, bearerToken)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ duplicate: true })

    // The outage: one attempt per subscription (Ann's later calls wait behind her first), nothing applied.
    await t.server.saasRelay.runOnce()
    expect(service.received).toHaveLength(2)
    expect(service.applied).toEqual([])
    t.clock.advance(1000)
    await t.server.saasRelay.runOnce()
    expect(service.received).toHaveLength(4)

    service.down = false
    await relayAll()
    const annCalls = [calls[0], calls[1], calls[3]]
    expect(service.applied.map((call) => call.body).filter((body) => body.includes(ann.id))).toEqual(annCalls)
    expect(service.applied.map((call) => call.body).filter((body) => body.includes(bob.id))).toEqual([calls[2]])
    // Exactly once in effect and unchanged on the wire: every request after the outage carried a new operation.
    expect(service.received.filter((call) => call.body === calls[0])).toHaveLength(3)
    expect(service.received.slice(4)).toHaveLength(4)
    for (const call of service.applied) {
      expect(call.authorization).toBe(bearerToken)
      expect(call.contentType).toBe('application/json')
    }
    // Settled calls no longer keep Microsoft's token.
    const stored = await t.store.listSaasRelayCalls(t.tenant.tenant.id, { limit: 10 })
    expect(stored.map((call) => call.state)).toEqual(['relayed', 'relayed', 'relayed', 'relayed'])
    expect(stored.every((call) => call.authorization === '')).toBe(true)

    // What the API shows of them: the action, state and attempts, never the body or the token.
    const listed = await t.server.app.inject({
      method: 'GET',
      url: '/v1/subscription-source/relay-calls',
      headers: bearer(t.tenant),
    })
    expect(listed.statusCode).toBe(200)
    const items = listed.json().items as { action: string; state: string; attempts: number; subscriptionId: string }[]
    expect(items.map((item) => item.action)).toEqual(['Suspend', 'Renew', 'ChangeQuantity', 'ChangePlan'])
    expect(items.find((item) => item.action === 'ChangePlan')).toMatchObject({ state: 'relayed', attempts: 3 })
    expect(items[0]?.subscriptionId).toBe(ann.id)
    expect(listed.body).not.toContain(bearerToken.slice(7))
    expect(listed.body).not.toContain('purchaser')
  })

  test('the subscription a call carries becomes a lead event once; the poll that reads the same state adds none', async () => {
    const { receipt } = await t.server.ingest.ingest({
      tenantId: t.tenant.tenant.id,
      format: 'api',
      body: { leadSource: 'AzureMarketplace-INS|contoso.crm', customer: { email: 'Ann@Example.com' } },
    })
    const ann = marketplace.add({ emailId: 'ann@example.com', saasSubscriptionStatus: 'Subscribed' })
    const before = await t.store.countLeadEvents(t.tenant.tenant.id)
    const bearerToken = `Bearer ${await token()}`
    expect((await send(webhookBody(ann, 'Renew'), bearerToken)).statusCode).toBe(200)
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before + 1)
    const lead = await t.server.app.inject({
      method: 'GET',
      url: `/v1/leads/${receipt.leadId}`,
      headers: bearer(t.tenant),
    })
    expect(lead.json()).toMatchObject({ stage: 'customer' })

    const poll = await t.server.subscriptions.poll(t.tenant.tenant.id)
    expect(poll).toMatchObject({ read: 1, recorded: 0, unchanged: 1 })
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before + 1)

    // Suspended on Microsoft's side: the call says so before any poll; the poll after it again adds nothing.
    marketplace.update(ann.id, { saasSubscriptionStatus: 'Suspended' })
    const suspended = marketplace.subscriptions.find((subscription) => subscription.id === ann.id) as FakeSubscription
    expect((await send(webhookBody(suspended, 'Suspend'), bearerToken)).statusCode).toBe(200)
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before + 2)
    expect(await t.server.subscriptions.poll(t.tenant.tenant.id)).toMatchObject({ recorded: 0, duplicates: 0 })
    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(before + 2)
    const after = await t.server.app.inject({
      method: 'GET',
      url: `/v1/leads/${receipt.leadId}`,
      headers: bearer(t.tenant),
    })
    expect(after.json()).toMatchObject({ stage: 'suspended' })
  })

  test('a wrong audience, issuer, signature, an expired or missing token: 401, logged, never relayed', async () => {
    const ann = marketplace.add({ emailId: 'ann@example.com' })
    const refused = [
      { detail: 'audience', authorization: `Bearer ${await token({ aud: randomUUID() })}` },
      {
        detail: 'issued by',
        authorization: `Bearer ${await token({ iss: `https://sts.windows.net/${randomUUID()}/` })}`,
      },
      { detail: 'signature', authorization: `Bearer ${await token({ impostor: true })}` },
      { detail: 'expired', authorization: `Bearer ${await token({ lifetimeSeconds: -120 })}` },
      { detail: 'no Authorization', authorization: undefined },
      { detail: 'malformed', authorization: 'Bearer not.a.jwt' },
    ]
    for (const { detail, authorization } of refused) {
      const answer = await send(webhookBody(ann, 'ChangePlan'), authorization)
      expect(answer.statusCode, detail).toBe(401)
      expect(answer.headers['content-type']).toContain('application/problem+json')
      expect(answer.json()).toMatchObject({ code: 'SAAS_WEBHOOK_TOKEN_INVALID', field: 'Authorization' })
      expect(answer.json().detail).toContain(detail)
    }
    // The v2 issuer form and the app id URI are Microsoft's too.
    const v2 = await token({
      iss: `https://login.microsoftonline.com/${app.tenantId}/v2.0`,
      aud: `api://${app.clientId}`,
    })
    expect((await send(webhookBody(ann, 'Renew'), `Bearer ${v2}`)).statusCode).toBe(200)
    // An unknown relay URL is not a relay.
    const unknown = await send(webhookBody(ann, 'Renew'), `Bearer ${v2}`, '/ingest/saas-webhook/lr_saas_unknown')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ code: 'SAAS_WEBHOOK_UNKNOWN' })

    await relayAll()
    expect(service.received).toHaveLength(1)
    expect(service.received[0]?.authorization).toBe(`Bearer ${v2}`)
    expect(await t.store.listSaasRelayCalls(t.tenant.tenant.id, { limit: 10 })).toHaveLength(1)
  })

  test('the relay URL is shown once, rotates, and turning the relay off closes it', async () => {
    const source = await t.server.app.inject({
      method: 'GET',
      url: '/v1/subscription-source',
      headers: bearer(t.tenant),
    })
    expect(source.json().relay).toEqual({ url: service.url })
    const v1 = `Bearer ${await token()}`
    const ann = marketplace.add({ emailId: 'ann@example.com' })

    const rotated = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/subscription-source',
      headers: bearer(t.tenant),
      payload: { entraTenantId: app.tenantId, clientId: app.clientId, rotateRelayToken: true },
    })
    const newPath = new URL(rotated.json().relay.webhookUrl).pathname
    expect(newPath).not.toBe(relayPath)
    expect((await send(webhookBody(ann, 'Renew'), v1)).statusCode).toBe(404)
    expect((await send(webhookBody(ann, 'Renew'), v1, newPath)).statusCode).toBe(200)

    const off = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/subscription-source',
      headers: bearer(t.tenant),
      payload: { entraTenantId: app.tenantId, clientId: app.clientId, relayUrl: null },
    })
    expect(off.json().relay).toBeNull()
    expect((await send(webhookBody(ann, 'Renew'), v1, newPath)).statusCode).toBe(404)

    const bad = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/subscription-source',
      headers: bearer(t.tenant),
      payload: { entraTenantId: app.tenantId, clientId: app.clientId, relayUrl: 'ftp://example.com/hook' },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'relayUrl' })
  })
})
