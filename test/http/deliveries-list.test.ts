/**
 * The Deliveries page's API at scale: a page carries each delivery's lead (customer, offer title) so the portal needs
 * no request per lead, a total, a cursor that yields every delivery once; failing and dead deliveries are counted per
 * destination and reason in the database; "retry now" makes a queued delivery due without jumping a rate-limit hold.
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Store } from '../../src/store/types.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer

interface DeliveryItem {
  id: string
  leadId: string
  destinationId: string
  state: string
  nextAttemptAt: string | null
  lead: { id: string; customer: Record<string, string>; offerTitle: string | null } | null
}

function call<T>(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  return t.server.app
    .inject({
      method,
      url,
      headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    })
    .then((response) => ({ status: response.statusCode, body: response.json() as T }))
}

async function destination(name: string): Promise<string> {
  const created = await call<{ id: string }>('POST', '/v1/destinations', {
    kind: 'webhook',
    name,
    config: { url: `https://hooks.example.com/${name}` },
  })
  expect(created.status).toBe(201)
  return created.body.id
}

/** Claims the queued deliveries of `ids` and records a failed attempt for each: queued again, or dead. */
async function fail(
  store: Store,
  ids: readonly string[],
  outcome: 'queued' | 'dead',
  reason: string,
  holdUntil?: number,
) {
  const now = t.clock.now()
  const claimed = await store.claimDeliveries({ workerId: 'w1', now, leaseMs: 60_000, limit: 500, slotsFor: () => 500 })
  const chosen = claimed.filter((delivery) => ids.includes(delivery.id))
  await store.completeAttempts(
    chosen.map((delivery, index) => ({
      deliveryId: delivery.id,
      workerId: 'w1',
      attempt: {
        id: `att_${outcome}_${index}_${delivery.id}`,
        deliveryId: delivery.id,
        leadVersion: delivery.leadVersion,
        startedAt: now,
        durationMs: 5,
        outcome: 'retryable',
        status: 503,
        error: reason,
      },
      transition:
        outcome === 'dead'
          ? { state: 'dead', attempts: 1, reason }
          : { state: 'queued', attempts: 1, runAt: now + 3_600_000, reason },
      ...(holdUntil !== undefined && { holdDestinationUntil: holdUntil }),
      now,
    })),
  )
  // Whatever else was claimed goes back as it was.
  const others = claimed.filter((delivery) => !ids.includes(delivery.id)).map((delivery) => delivery.id)
  if (others.length > 0) await store.releaseDeliveries(others, 'w1', now, now)
}

beforeEach(async () => {
  t = await startTestServer()
  await t.store.putOffer(t.tenant.tenant.id, { id: 'contoso.crm', title: 'Contoso CRM', aliases: [] }, t.clock.now())
})
afterEach(async () => {
  await t.close()
})

async function seed(leads: number, destinationIds: readonly string[]) {
  expect((await call('PUT', '/v1/routes/default', { destinations: destinationIds })).status).toBe(200)
  for (let i = 0; i < leads; i++) {
    const sent = await call('POST', '/v1/leads', {
      LeadSource: 'AzureMarketplace-INS|contoso.crm',
      CustomerInfo: { FirstName: `First${i}`, LastName: `Last${i}`, Email: `c${i}@contoso.com`, Company: `Co ${i}` },
    })
    expect(sent.status).toBe(202)
    t.clock.advance(1000)
  }
}

async function everyPage(query: string, limit: number) {
  const items: DeliveryItem[] = []
  const totals = new Set<number>()
  let cursor: string | undefined
  do {
    const page = await call<{ items: DeliveryItem[]; nextCursor?: string; total: number }>(
      'GET',
      `/v1/deliveries?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
    )
    expect(page.status).toBe(200)
    items.push(...page.body.items)
    totals.add(page.body.total)
    cursor = page.body.nextCursor
  } while (cursor)
  return { items, totals }
}

describe('GET /v1/deliveries', () => {
  test('pages every delivery once, with a total and each lead’s customer and offer title', async () => {
    const first = await destination('first')
    const second = await destination('second')
    await seed(23, [first, second])
    const { items, totals } = await everyPage('', 7)
    expect(items).toHaveLength(46)
    expect(new Set(items.map((item) => item.id)).size).toBe(46)
    expect([...totals]).toEqual([46])
    for (const item of items.slice(0, 10)) {
      const lead = await call<{ customer: Record<string, string> }>('GET', `/v1/leads/${item.leadId}`)
      expect(item.lead?.customer).toEqual({
        firstName: lead.body.customer.firstName,
        lastName: lead.body.customer.lastName,
        email: lead.body.customer.email,
        company: lead.body.customer.company,
      })
      expect(item.lead?.offerTitle).toBe('Contoso CRM')
    }
    const toSecond = await everyPage(`&destination=${second}&state=queued`, 10)
    expect(toSecond.items).toHaveLength(23)
    expect([...toSecond.totals]).toEqual([23])
  })

  test('failing and dead deliveries are counted per destination and reason; a reason filters the list', async () => {
    const hook = await destination('hook')
    await seed(12, [hook])
    const all = (await everyPage('', 50)).items.map((item) => item.id)
    await fail(t.store, all.slice(0, 5), 'dead', 'HTTP 410 Gone')
    await fail(t.store, all.slice(5, 8), 'queued', 'HTTP 503 Service Unavailable')
    const troubles = await call<{ items: unknown[] }>('GET', '/v1/deliveries/troubles')
    expect(troubles.body.items).toEqual([
      { trouble: 'dead', destinationId: hook, reason: 'HTTP 410 Gone', count: 5 },
      { trouble: 'failing', destinationId: hook, reason: 'HTTP 503 Service Unavailable', count: 3 },
    ])
    const group = await everyPage(`&state=dead&reason=${encodeURIComponent('HTTP 410 Gone')}`, 2)
    expect(group.items.map((item) => item.id).sort()).toEqual(all.slice(0, 5).sort())
    expect([...group.totals]).toEqual([5])
  })
})

describe('POST /v1/deliveries/{id}/retry', () => {
  test('makes a queued delivery due now, audited; a dead one is refused', async () => {
    const hook = await destination('hook')
    await seed(3, [hook])
    const [waiting, gone] = (await everyPage('', 50)).items.map((item) => item.id)
    await fail(t.store, [waiting!], 'queued', 'HTTP 503 Service Unavailable')
    await fail(t.store, [gone!], 'dead', 'HTTP 410 Gone')
    expect((await t.store.getDelivery(t.tenant.tenant.id, waiting!))?.runAt).toBe(t.clock.now() + 3_600_000)

    const retried = await call<{ state: string; nextAttemptAt: string; destinationHeldUntil: string | null }>(
      'POST',
      `/v1/deliveries/${waiting}/retry`,
    )
    expect(retried.status).toBe(200)
    expect(retried.body.nextAttemptAt).toBe(new Date(t.clock.now()).toISOString())
    expect(retried.body.destinationHeldUntil).toBeNull()
    const claimed = await t.store.claimDeliveries({
      workerId: 'w2',
      now: t.clock.now(),
      leaseMs: 60_000,
      limit: 10,
      slotsFor: () => 10,
    })
    expect(claimed.map((delivery) => delivery.id)).toContain(waiting)

    const audit = await call<{ items: { action: string; target: string }[] }>('GET', '/v1/audit')
    expect(audit.body.items).toContainEqual(expect.objectContaining({ action: 'delivery.retried', target: waiting }))

    const refused = await call<{ code: string }>('POST', `/v1/deliveries/${gone}/retry`)
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('CONFLICT')
    expect((await call<{ code: string }>('POST', '/v1/deliveries/dlv_nope/retry')).status).toBe(404)
  })

  test('does not jump a rate-limit hold: the delivery stays unclaimed until the hold ends, and the answer says so', async () => {
    const hook = await destination('hook')
    await seed(1, [hook])
    const [only] = (await everyPage('', 50)).items.map((item) => item.id)
    const holdUntil = t.clock.now() + 600_000
    await fail(t.store, [only!], 'queued', 'HTTP 429 Too Many Requests', holdUntil)

    const retried = await call<{ destinationHeldUntil: string | null }>('POST', `/v1/deliveries/${only}/retry`)
    expect(retried.status).toBe(200)
    expect(retried.body.destinationHeldUntil).toBe(new Date(holdUntil).toISOString())
    const request = { workerId: 'w2', leaseMs: 60_000, limit: 10, slotsFor: () => 10 }
    expect(await t.store.claimDeliveries({ ...request, now: t.clock.now() })).toEqual([])
    t.clock.set(holdUntil + 1)
    expect((await t.store.claimDeliveries({ ...request, now: t.clock.now() })).map((d) => d.id)).toEqual([only])
  })
})
