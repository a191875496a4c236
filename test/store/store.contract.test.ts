/** One suite, every store: what the rest of Leadrelay relies on, whatever the dialect. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { hashCredential } from '../../src/core/credentials.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { IngestItem, Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { storeFactories } from '../helpers/stores.ts'

for (const factory of storeFactories) {
  describe.skipIf(factory.skipReason !== undefined)(`Store contract: ${factory.name}`, () => {
    let store: Store
    let dispose: () => Promise<void>
    const clock = createManualClock(Date.UTC(2026, 10, 25))
    const ids = createIdGenerator(clock)
    let tenantId: string

    beforeEach(async () => {
      ;({ store, dispose } = await factory.create())
      tenantId = await createTestTenant(store, { ids, clock })
    })
    afterEach(async () => {
      await dispose()
    })

    function item(body: Record<string, unknown>, extra: Partial<IngestItem> = {}): IngestItem {
      return ingestItemOf(tenantId, body, { ids, clock }, extra)
    }

    test('migrate is idempotent', async () => {
      const again = await store.migrate()
      expect(again.applied).toEqual([])
      expect(again.current).toBeGreaterThanOrEqual(1)
    })

    test('finds tenants by hashed API key and ingest token only', async () => {
      expect((await store.findApiKey(hashCredential(`key-${tenantId}`)))?.tenant?.id).toBe(tenantId)
      expect(await store.findApiKey(hashCredential('other'))).toBeUndefined()
      expect((await store.findTenantByIngestToken(hashCredential(`token-${tenantId}`)))?.id).toBe(tenantId)
      expect(await store.countTenants()).toBe(1)
    })

    test('a batch merges events of one customer in order and answers per item', async () => {
      const customer = { Email: 'a@example.com' }
      const outcomes = await store.recordLeadEvents(
        [
          item({ LeadSource: 'TestDrive-StartTestDrive|x.y', CustomerInfo: customer }),
          item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { ...customer, FirstName: 'Ann' } }),
          item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'b@example.com' } }),
        ],
        clock.now(),
      )
      expect(outcomes.map((o) => o.status)).toEqual(['recorded', 'recorded', 'recorded'])
      const [first, second, third] = outcomes.map((o) => ('receipt' in o ? o.receipt : undefined))
      expect(second?.leadId).toBe(first?.leadId)
      expect(third?.leadId).not.toBe(first?.leadId)
      const lead = await store.getLead(tenantId, first!.leadId)
      expect(lead).toMatchObject({ stage: 'initial_interest', eventCount: 2, version: 2 })
      expect(lead?.customer.firstName).toBe('Ann')
      expect(await store.listLeadEvents(tenantId, first!.leadId)).toHaveLength(2)
      expect(await store.countLeadEvents(tenantId)).toBe(3)
    })

    test('within one batch, later items see earlier ones: repeats, the same lead twice, deliveries per change', async () => {
      const destinationId = await routedDestination()
      const body = { LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'a@example.com' } }
      const outcomes = await store.recordLeadEvents(
        [
          item(body, { idempotencyKey: 'k1' }),
          item(body, { idempotencyKey: 'k1' }),
          item({ ...body, LeadSource: 'AzureMarketplace-PLT|x.y' }, { idempotencyKey: 'k1' }),
          item({ LeadSource: 'TestDrive-StartTestDrive|x.y', CustomerInfo: { Email: 'b@example.com' } }),
          item({ LeadSource: 'TestDrive-StartTestDrive|x.y', CustomerInfo: { Email: 'b@example.com' } }),
          item({ LeadSource: 'AzureMarketplace-PLT|x.y', CustomerInfo: { Email: 'a@example.com', FirstName: 'Ann' } }),
        ],
        clock.now(),
      )
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'recorded',
        'duplicate',
        'conflict',
        'recorded',
        'duplicate',
        'recorded',
      ])
      const receipts = outcomes.map((outcome) => ('receipt' in outcome ? outcome.receipt : undefined))
      expect(receipts[1]).toEqual(receipts[0])
      expect(receipts[4]).toEqual(receipts[3])
      expect(receipts[5]).toMatchObject({ leadId: receipts[0]?.leadId, newLead: false, leadStage: 'active' })
      const lead = await store.getLead(tenantId, receipts[0]!.leadId)
      expect(lead).toMatchObject({ stage: 'active', eventCount: 2, version: 2 })
      expect(lead?.customer.firstName).toBe('Ann')
      expect(await store.countLeadEvents(tenantId)).toBe(3)
      const queued = await store.listDeliveries(tenantId, { destinationId }, { limit: 10 })
      expect(queued.items.map((delivery) => delivery.leadVersion).sort()).toEqual([1, 1, 2])
    })

    test('an idempotency key answers with the first receipt; reused with another body it conflicts', async () => {
      const body = { LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'a@example.com' } }
      const [first] = await store.recordLeadEvents([item(body, { idempotencyKey: 'k1' })], clock.now())
      const [again, clash] = await store.recordLeadEvents(
        [item(body, { idempotencyKey: 'k1' }), item({ ...body, LeadSource: 'x-PLT|x.y' }, { idempotencyKey: 'k1' })],
        clock.now(),
      )
      expect(again).toEqual({ status: 'duplicate', receipt: first?.status === 'recorded' ? first.receipt : undefined })
      expect(clash).toEqual({ status: 'conflict', reason: 'idempotency_key_reused' })
      expect(await store.countLeadEvents(tenantId)).toBe(1)
    })

    test('one failing item does not fail the others committed with it', async () => {
      const good = item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'a@example.com' } })
      const poison = { ...item({ LeadSource: 'AzureMarketplace-INS|x.y' }), tenantId: 'tnt_missing' }
      const [goodOutcome, poisonOutcome] = await store.recordLeadEvents([good, poison], clock.now())
      expect(goodOutcome?.status).toBe('recorded')
      expect(poisonOutcome?.status).toBe('failed')
      const page = await store.listLeads(tenantId, {}, { limit: 10 })
      expect(page.items).toHaveLength(1)
    })

    async function routedDestination(): Promise<string> {
      const id = ids.next('dst')
      await store.createDestination(
        { id, tenantId, kind: 'webhook', name: 'hook', config: { url: 'http://x' }, maxConcurrency: 4 },
        clock.now(),
      )
      await store.setRoutes(tenantId, 'default', [id])
      return id
    }

    const unlimited = { slotsFor: () => 1000 }

    test('a busy destination skipped by the claim does not hide other destinations behind its backlog', async () => {
      const busy = await routedDestination()
      await store.recordLeadEvents(
        Array.from({ length: 6 }, (_, n) =>
          item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: `busy${n}@example.com` } }),
        ),
        clock.now(),
      )
      const other = await routedDestination()
      const later = clock.now() + 1000
      await store.recordLeadEvents(
        [item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'other@example.com' } })],
        later,
      )
      const slotsFor = (destinationId: string) => (destinationId === busy ? 0 : 1)
      const request = { workerId: 'w1', now: later, leaseMs: 1000, limit: 1, slotsFor }
      // Without the hint the oldest rows read are all the busy destination's, and none of them can be taken.
      expect(await store.claimDeliveries(request)).toEqual([])
      const claimed = await store.claimDeliveries({ ...request, skipDestinations: [busy] })
      expect(claimed.map((delivery) => delivery.destinationId)).toEqual([other])
    })

    test("extendLeases renews only the calling worker's leases, so they outlast the sweep", async () => {
      await routedDestination()
      await store.recordLeadEvents(
        [
          item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'a@example.com' } }),
          item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'b@example.com' } }),
        ],
        clock.now(),
      )
      const now = clock.now()
      const [mine] = await store.claimDeliveries({ workerId: 'w1', now, leaseMs: 1000, limit: 1, ...unlimited })
      const [theirs] = await store.claimDeliveries({ workerId: 'w2', now, leaseMs: 1000, limit: 1, ...unlimited })
      expect(await store.extendLeases('w1', now + 900, 1000)).toBe(1)
      // At now + 1500 only w2's lease has run out; w1's was renewed to now + 1900.
      expect(await store.releaseExpiredLeases(now + 1500)).toBe(1)
      expect((await store.getDelivery(tenantId, mine!.id))?.state).toBe('in_flight')
      expect((await store.getDelivery(tenantId, theirs!.id))?.state).toBe('queued')
      expect(await store.releaseExpiredLeases(now + 1901)).toBe(1)
    })

    test('a lead change queues one delivery per routed destination in the same commit; claims lease it', async () => {
      const destinationId = await routedDestination()
      const [outcome] = await store.recordLeadEvents(
        [item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'a@example.com' } })],
        clock.now(),
      )
      expect(outcome?.status === 'recorded' && outcome.receipt.deliveries).toBe(1)
      const claimed = await store.claimDeliveries({
        workerId: 'w1',
        now: clock.now(),
        leaseMs: 1000,
        limit: 10,
        ...unlimited,
      })
      expect(claimed).toHaveLength(1)
      expect(claimed[0]).toMatchObject({ destinationId, state: 'in_flight', leadVersion: 1 })
      expect(
        await store.claimDeliveries({ workerId: 'w2', now: clock.now(), leaseMs: 1000, limit: 10, ...unlimited }),
      ).toEqual([])
      // The lease runs out (the worker died): the delivery comes back.
      expect(await store.releaseExpiredLeases(clock.now() + 1001)).toBe(1)
      const again = await store.claimDeliveries({
        workerId: 'w2',
        now: clock.now() + 1001,
        leaseMs: 1000,
        limit: 10,
        ...unlimited,
      })
      expect(again.map((d) => d.id)).toEqual([claimed[0]!.id])
      // The first worker's late answer does not overwrite the second worker's lease.
      const late = await store.completeAttempt({
        deliveryId: claimed[0]!.id,
        workerId: 'w1',
        attempt: {
          id: ids.next('att'),
          deliveryId: claimed[0]!.id,
          number: 1,
          leadVersion: 1,
          startedAt: 0,
          durationMs: 1,
          outcome: 'delivered',
        },
        transition: { state: 'delivered', attempts: 1 },
        now: clock.now(),
      })
      expect(late).toBe(false)
      const done = await store.completeAttempt({
        deliveryId: claimed[0]!.id,
        workerId: 'w2',
        attempt: {
          id: ids.next('att'),
          deliveryId: claimed[0]!.id,
          number: 1,
          leadVersion: 1,
          startedAt: 0,
          durationMs: 1,
          outcome: 'delivered',
          status: 200,
        },
        transition: { state: 'delivered', attempts: 1 },
        now: clock.now(),
      })
      expect(done).toBe(true)
      expect((await store.getDelivery(tenantId, claimed[0]!.id))?.state).toBe('delivered')
      expect(await store.listAttempts(tenantId, [claimed[0]!.id])).toHaveLength(2)
    })

    test('pending changes of one lead are claimed once, as the newest; older ones are superseded', async () => {
      await routedDestination()
      for (const action of ['StartTestDrive', 'INS', 'Create']) {
        await store.recordLeadEvents(
          [item({ LeadSource: `x-${action}|x.y`, CustomerInfo: { Email: 'a@example.com' } })],
          clock.now(),
        )
      }
      const claimed = await store.claimDeliveries({
        workerId: 'w',
        now: clock.now(),
        leaseMs: 1000,
        limit: 10,
        ...unlimited,
      })
      expect(claimed).toHaveLength(1)
      expect(claimed[0]?.leadVersion).toBe(3)
      const superseded = await store.listDeliveries(tenantId, { state: 'superseded' }, { limit: 10 })
      expect(superseded.items).toHaveLength(2)
    })

    test('concurrent claims never lease one delivery, or one (destination, lead), twice', async () => {
      await routedDestination()
      const customers = Array.from({ length: 40 }, (_, n) => ({ Email: `c${n}@example.com` }))
      for (const customer of customers) {
        for (const action of ['INS', 'PLT']) {
          await store.recordLeadEvents([item({ LeadSource: `x-${action}|x.y`, CustomerInfo: customer })], clock.now())
        }
      }
      const claims = await Promise.all(
        Array.from({ length: 4 }, (_, n) =>
          store.claimDeliveries({ workerId: `w${n}`, now: clock.now(), leaseMs: 60_000, limit: 15, ...unlimited }),
        ),
      )
      const all = claims.flat()
      expect(new Set(all.map((d) => d.id)).size).toBe(all.length)
      expect(new Set(all.map((d) => d.leadId)).size).toBe(all.length)
      const inFlight = await store.listDeliveries(tenantId, { state: 'in_flight' }, { limit: 500 })
      expect(inFlight.items).toHaveLength(all.length)
    })

    test('replay queues final deliveries again with a fresh schedule and skips queued ones', async () => {
      await routedDestination()
      await store.recordLeadEvents(
        [item({ LeadSource: 'x-INS|x.y', CustomerInfo: { Email: 'a@example.com' } })],
        clock.now(),
      )
      const [delivery] = await store.claimDeliveries({
        workerId: 'w',
        now: clock.now(),
        leaseMs: 1000,
        limit: 10,
        ...unlimited,
      })
      await store.completeAttempt({
        deliveryId: delivery!.id,
        workerId: 'w',
        attempt: {
          id: ids.next('att'),
          deliveryId: delivery!.id,
          number: 1,
          leadVersion: 1,
          startedAt: 0,
          durationMs: 1,
          outcome: 'rejected',
          error: 'bad',
        },
        transition: { state: 'dead', attempts: 1, reason: 'bad' },
        now: clock.now(),
      })
      const later = clock.now() + 5000
      const first = await store.replayDeliveries(tenantId, { filter: { state: 'dead' } }, later)
      expect(first.replayed).toEqual([delivery!.id])
      const replayed = await store.getDelivery(tenantId, delivery!.id)
      expect(replayed).toMatchObject({ state: 'queued', attempts: 0, runAt: later, retryFrom: later })
      expect(await store.replayDeliveries(tenantId, { ids: [delivery!.id] }, later)).toEqual({
        replayed: [],
        skipped: 1,
      })
    })

    test('loadLeadHistories returns several leads with their events in order and offer titles, per tenant', async () => {
      await store.putOffer(tenantId, { id: 'x.y', title: 'X Suite', aliases: [] }, clock.now())
      const outcomes = await store.recordLeadEvents(
        [
          item({ LeadSource: 'TestDrive-StartTestDrive|x.y', CustomerInfo: { Email: 'a@example.com' } }),
          item({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: 'b@example.com' } }),
          item({ LeadSource: 'AzureMarketplace-PLT|x.y', CustomerInfo: { Email: 'a@example.com' } }),
          item({ LeadSource: 'AzureMarketplace-INS|unknown.offer', CustomerInfo: { Email: 'c@example.com' } }),
        ],
        clock.now(),
      )
      const [a, b, , c] = outcomes.map((o) => ('receipt' in o ? o.receipt.leadId : ''))
      const histories = await store.loadLeadHistories([
        { tenantId, leadId: a! },
        { tenantId, leadId: b! },
        { tenantId, leadId: c! },
        { tenantId: 'tnt_someone_else', leadId: a! },
        { tenantId, leadId: 'lead_missing' },
      ])
      expect([...histories.keys()].sort()).toEqual([a, b, c].sort())
      expect(histories.get(a!)?.events.map((event) => event.action)).toEqual(['StartTestDrive', 'PLT'])
      expect(histories.get(a!)).toMatchObject({ lead: { id: a, stage: 'active' }, offerTitle: 'X Suite' })
      expect(histories.get(b!)?.events).toHaveLength(1)
      expect(histories.get(c!)?.offerTitle).toBeUndefined()
      const otherTenant = await store.loadLeadHistories([{ tenantId: 'tnt_someone_else', leadId: a! }])
      expect(otherTenant.size).toBe(0)
    })

    test('putOffer links waiting leads and resolves aliases', async () => {
      await store.recordLeadEvents(
        [item({ LeadSource: 'AzureMarketplace-INS|Contoso Suite', CustomerInfo: { Email: 'a@example.com' } })],
        clock.now(),
      )
      const offer = await store.putOffer(tenantId, { id: 'contoso.suite', aliases: ['Contoso Suite'] }, clock.now())
      expect(offer.aliases).toEqual(['Contoso Suite'])
      const [lead] = (await store.listLeads(tenantId, { offerId: 'contoso.suite' }, { limit: 5 })).items
      expect(lead?.offerKey).toBe('contoso.suite')
      expect(await store.listOffers(tenantId)).toHaveLength(1)
    })
  })
}
