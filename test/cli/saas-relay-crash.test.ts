/**
 * The SaaS webhook relay through a real `serve`: killed with SIGKILL while the first call is on the wire to the
 * fulfillment service and two more wait behind it, then started again, it relays all three, in order, each applied
 * once (the first one sent again under the same operation id, as Microsoft's own retries are).
 */

import { randomUUID } from 'node:crypto'
import { afterEach, expect, test } from 'vitest'
import { type EntraWebhookKeys, startEntraWebhookKeys } from '../fakes/entra-webhook-keys.ts'
import { type FulfillmentServiceFake, startFulfillmentServiceFake } from '../fakes/fulfillment-service-fake.ts'
import { printedApiKey, type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const app = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '0b1f8e4e-5c1a-4b7e-9d0e-2f6d3f1a9c11' }

const running: RunningServe[] = []
let keys: EntraWebhookKeys | undefined
let service: FulfillmentServiceFake | undefined
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child, 'SIGKILL')
  await service?.close()
  await keys?.close()
})

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('kill -9 with a call on the wire and two queued: after a restart all three arrive once, in order', async () => {
  const dir = createTempDir()
  keys = await startEntraWebhookKeys()
  service = await startFulfillmentServiceFake()
  const env = {
    LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    LEADRELAY_SAAS_WEBHOOK_JWKS_URL: keys.jwksUrl,
    LEADRELAY_SUBSCRIPTION_POLL: '0',
    // A short lease, so the call the killed process held comes back within the test.
    LEADRELAY_ATTEMPT_TIMEOUT: '2s',
    LEADRELAY_LEASE: '4s',
  }
  const first = await startServe(['--data', dir.path, '--print-credentials'], env)
  running.push(first)
  const put = await fetch(`${first.url}/v1/subscription-source`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${printedApiKey(first)}` },
    body: JSON.stringify({
      entraTenantId: app.tenantId,
      clientId: app.clientId,
      clientSecret: 'entra-secret-value-1',
      relayUrl: service.url,
    }),
  })
  expect(put.status).toBe(200)
  const relayPath = new URL(((await put.json()) as { relay: { webhookUrl: string } }).relay.webhookUrl).pathname

  const token = await keys.sign(
    { iss: `https://sts.windows.net/${app.tenantId}/`, aud: app.clientId, tid: app.tenantId },
    { nowSeconds: Math.floor(Date.now() / 1000) },
  )
  const subscriptionId = randomUUID()
  const bodies = ['ChangePlan', 'ChangeQuantity', 'Suspend'].map((action) =>
    JSON.stringify({
      id: randomUUID(),
      subscriptionId,
      publisherId: 'contoso',
      offerId: 'crm',
      action,
      status: 'Success',
    }),
  )
  service.hang = true
  for (const body of bodies) {
    const answer = await fetch(`${first.url}${relayPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    })
    expect(answer.status).toBe(200)
  }
  // The first call is on the wire (the service holds it), the other two wait behind it: now serve dies.
  await until('the first call to reach the service', () => (service?.received.length ?? 0) >= 1)
  await stopProcess(first.child, 'SIGKILL')
  expect(service.received.map((call) => call.body)).toEqual([bodies[0]])
  expect(service.applied).toEqual([])

  service.hang = false
  const second = await startServe(['--data', dir.path], env)
  running.push(second)
  await until('all three calls applied', () => (service?.applied.length ?? 0) === 3)
  expect(service.applied.map((call) => call.body)).toEqual(bodies)
  expect(service.applied.every((call) => call.authorization === `Bearer ${token}`)).toBe(true)
  // The first went out twice (before and after the crash); the same operation id made it one in effect.
  expect(service.received.map((call) => call.body)).toEqual([bodies[0], ...bodies])
})
