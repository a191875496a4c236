/** One suite, every store: what the rest of Leadrelay relies on, whatever the dialect. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { hashCredential } from '../../src/core/credentials.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { RoutingChange } from '../../src/store/routing-queries.ts'
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
      expect((await store.findApiKey(hashCredential(`key-${tenantId}`), clock.now()))?.tenant?.id).toBe(tenantId)
      expect(await store.findApiKey(hashCredential('other'), clock.now())).toBeUndefined()
      expect((await store.findIngestToken(hashCredential(`token-${tenantId}`), clock.now()))?.tenant.id).toBe(tenantId)
      expect(await store.countTenants()).toBe(1)
    })

    test("a tenant's first key holds admin; named keys are listed with scopes and hints, never hashes", async () => {
      const first = await store.findApiKey(hashCredential(`key-${tenantId}`), clock.now())
      expect(first?.scopes).toEqual(['admin'])
      const created = await store.createApiKey({
        id: ids.next('key'),
        tenantId,
        name: 'crm script',
        scopes: ['ingest', 'read'],
        hash: hashCredential('secret-1'),
        hint: 'lr_key_abcd…',
        createdAt: clock.now() + 1,
      })
      expect(created).toMatchObject({ name: 'crm script', scopes: ['ingest', 'read'], hint: 'lr_key_abcd…' })
      const listed = await store.listApiKeys(tenantId, clock.now() + 1)
      expect(listed.map((key) => [key.name, key.scopes])).toEqual([
        ['test', ['admin']],
        ['crm script', ['ingest', 'read']],
      ])
      expect(JSON.stringify(listed)).not.toContain(hashCredential('secret-1'))
      expect((await store.findApiKey(hashCredential('secret-1'), clock.now()))?.scopes).toEqual(['ingest', 'read'])
      expect(await store.listApiKeys(await createTestTenant(store, { ids, clock }), clock.now())).toHaveLength(1)
    })

    test('a revoked key stops at once and raises the credential epoch; a rotated key keeps its overlap', async () => {
      const now = clock.now()
      const epoch = await store.credentialEpoch()
      const key = await store.createApiKey({
        id: ids.next('key'),
        tenantId,
        name: 'viewer',
        scopes: ['read'],
        hash: hashCredential('viewer-1'),
        hint: 'h',
        createdAt: now,
      })
      const rotated = await store.rotateApiKey(
        tenantId,
        key.id,
        { id: ids.next('key'), hash: hashCredential('viewer-2'), hint: 'h2', createdAt: now },
        now + 60_000,
      )
      expect(rotated?.current).toMatchObject({ name: 'viewer', scopes: ['read'] })
      expect(rotated?.previous.revokesAt).toBe(now + 60_000)
      expect(await store.credentialEpoch()).toBeGreaterThan(epoch)
      expect((await store.findApiKey(hashCredential('viewer-1'), now + 59_999))?.revokesAt).toBe(now + 60_000)
      expect(await store.findApiKey(hashCredential('viewer-1'), now + 60_000)).toBeUndefined()
      expect(await store.findApiKey(hashCredential('viewer-2'), now + 60_000)).toBeDefined()
      // Rotating a key that is already gone changes nothing, not even the credential epoch.
      const epochBeforeRefusal = await store.credentialEpoch()
      expect(
        await store.rotateApiKey(
          tenantId,
          key.id,
          { id: ids.next('key'), hash: hashCredential('viewer-3'), hint: 'h3', createdAt: now + 60_000 },
          now + 60_000,
        ),
      ).toBeUndefined()
      expect(await store.findApiKey(hashCredential('viewer-3'), now + 60_000)).toBeUndefined()
      expect(await store.revokeApiKey(tenantId, 'key_unknown', now)).toBeUndefined()
      expect(await store.revokeIngestToken(tenantId, 'tok_unknown', now)).toBeUndefined()
      expect(await store.credentialEpoch()).toBe(epochBeforeRefusal)

      const before = await store.credentialEpoch()
      expect(await store.revokeApiKey(tenantId, rotated!.current.id, now + 1)).toMatchObject({ revokesAt: now + 1 })
      expect(await store.credentialEpoch()).toBeGreaterThan(before)
      expect(await store.findApiKey(hashCredential('viewer-2'), now + 1)).toBeUndefined()
      expect(await store.revokeApiKey(tenantId, rotated!.current.id, now + 2)).toBeUndefined()
      // Another tenant cannot revoke this tenant's key.
      const other = await createTestTenant(store, { ids, clock })
      const firstKey = (await store.listApiKeys(tenantId, now))[0]!
      expect(await store.revokeApiKey(other, firstKey.id, now)).toBeUndefined()
      expect(await store.findApiKey(hashCredential(`key-${tenantId}`), now)).toBeDefined()
    })

    test('a rotated ingest token works until its overlap ends; the new one at once; revoking ends the overlap', async () => {
      const now = clock.now()
      const tokens = await store.rotateIngestToken(
        { id: ids.next('itk'), tenantId, hash: hashCredential('token-2'), hint: 'lr_in_x…', createdAt: now },
        now + 3_600_000,
      )
      expect(tokens.map((token) => token.revokesAt)).toEqual([undefined, now + 3_600_000])
      expect((await store.findIngestToken(hashCredential('token-2'), now))?.tenant.id).toBe(tenantId)
      const old = await store.findIngestToken(hashCredential(`token-${tenantId}`), now + 3_599_999)
      expect(old?.revokesAt).toBe(now + 3_600_000)
      expect(await store.findIngestToken(hashCredential(`token-${tenantId}`), now + 3_600_000)).toBeUndefined()
      expect(await store.listIngestTokens(tenantId, now + 3_600_000)).toHaveLength(1)

      // A second rotation never lengthens the first token's overlap.
      await store.rotateIngestToken(
        { id: ids.next('itk'), tenantId, hash: hashCredential('token-3'), hint: 'lr_in_y…', createdAt: now + 1 },
        now + 7_200_000,
      )
      const listed = await store.listIngestTokens(tenantId, now + 1)
      expect(listed.map((token) => token.revokesAt)).toEqual([undefined, now + 7_200_000, now + 3_600_000])
      const epoch = await store.credentialEpoch()
      expect(await store.revokeIngestToken(tenantId, listed[1]!.id, now + 2)).toMatchObject({ revokesAt: now + 2 })
      expect(await store.credentialEpoch()).toBeGreaterThan(epoch)
      expect(await store.findIngestToken(hashCredential('token-2'), now + 2)).toBeUndefined()
      expect(await store.findIngestToken(hashCredential('token-3'), now + 2)).toBeDefined()
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

    describe('offers and routes reach the leads that arrived before them', () => {
      const byId = (email: string, action = 'INS') =>
        item({ LeadSource: `AzureMarketplace-${action}|contoso.suite`, CustomerInfo: { Email: email } })
      const byName = (email: string, action = 'INS', fields: Record<string, string> = {}) =>
        item({ LeadSource: `AzureMarketplace-${action}|Contoso  SUITE`, CustomerInfo: { Email: email, ...fields } })
      const suite = { id: 'contoso.suite', title: 'Contoso Suite', aliases: ['Contoso Suite'] }

      async function destination(name: string): Promise<string> {
        const id = ids.next('dst')
        await store.createDestination(
          { id, tenantId, kind: 'webhook', name, config: { url: 'http://x' }, maxConcurrency: 4 },
          clock.now(),
        )
        return id
      }

      async function record(items: IngestItem[]): Promise<string[]> {
        const outcomes = await store.recordLeadEvents(items, clock.now())
        return outcomes.map((outcome) => (outcome.status === 'recorded' ? outcome.receipt.leadId : ''))
      }

      async function deliveriesTo(destinationId: string) {
        return (await store.listDeliveries(tenantId, { destinationId }, { limit: 100 })).items
      }

      function change(overrides: Partial<RoutingChange>): RoutingChange {
        return {
          tenantId,
          earlierLeads: 'deliver',
          dryRun: false,
          newDeliveryId: () => ids.next('dlv'),
          now: clock.now(),
          ...overrides,
        }
      }

      test('leads naming the offer by id join it, and a customer who named it both ways becomes one lead', async () => {
        clock.advance(1000)
        const [a, b1] = await record([byId('a@example.com'), byId('b@example.com', 'StartTestDrive')])
        clock.advance(1000)
        const [b2, c] = await record([
          byName('b@example.com', 'PLT', { FirstName: 'Bea' }),
          byName('c@example.com', 'INS', { FirstName: 'Cy' }),
        ])
        expect(new Set([a, b1, b2, c]).size).toBe(4)
        const offer = await store.putOffer(tenantId, suite, clock.now())
        expect(offer.id).toBe('contoso.suite')

        const leads = (await store.listLeads(tenantId, {}, { limit: 10 })).items
        expect(leads).toHaveLength(3)
        expect(leads.every((lead) => lead.offerId === 'contoso.suite' && lead.offerKey === 'contoso.suite')).toBe(true)
        expect((await store.listLeads(tenantId, { routed: false }, { limit: 10 })).items).toEqual([])
        const merged = leads.find((lead) => lead.customer.email === 'b@example.com')
        // The older lead survives, with both events: the furthest stage, the newest name, both counted.
        expect(merged).toMatchObject({ id: b1, stage: 'active', eventCount: 2, action: 'PLT', version: 2 })
        expect(merged?.customer.firstName).toBe('Bea')
        expect((await store.listLeadEvents(tenantId, b1!)).map((event) => event.action)).toEqual([
          'StartTestDrive',
          'PLT',
        ])
        expect(await store.getLead(tenantId, b2!)).toBeUndefined()
        expect(await store.countLeadEvents(tenantId)).toBe(4)

        // Later events of both ways of naming the offer reach the same lead.
        const [later] = await record([byName('b@example.com', 'DNC')])
        const [latest] = await record([byId('b@example.com', 'Create')])
        expect([later, latest]).toEqual([b1, b1])
        expect(await store.getLead(tenantId, b1!)).toMatchObject({ eventCount: 4, offerId: 'contoso.suite' })
      })

      test('an offer created with a route queues every earlier lead once; a dry run counts the same and writes nothing', async () => {
        const hook = await destination('hook')
        await record([byId('a@example.com'), byId('b@example.com'), byName('b@example.com'), byName('c@example.com')])
        await record([byName('test@example.com', 'INS', { FirstName: 'MSFT_TEST_636573304831318844' })])
        const planned = change({ offer: suite, destinationIds: [hook], dryRun: true })
        const preview = await store.changeRouting(planned)
        expect(preview).toMatchObject({
          offer: { id: 'contoso.suite', title: 'Contoso Suite' },
          joinedLeads: 4,
          mergedLeads: 1,
          earlierLeads: { choice: 'deliver', destinations: [{ destinationId: hook, leads: 4 }], leads: 4, queued: 0 },
        })
        expect(await store.getOffer(tenantId, 'contoso.suite')).toBeUndefined()
        expect(await store.getRoutes(tenantId, 'offer:contoso.suite')).toEqual([])
        expect((await store.listLeads(tenantId, {}, { limit: 10 })).items).toHaveLength(5)
        expect(await deliveriesTo(hook)).toEqual([])

        const done = await store.changeRouting({ ...planned, dryRun: false })
        expect(done.earlierLeads).toEqual({ ...preview.earlierLeads, queued: 4 })
        const queued = await deliveriesTo(hook)
        expect(queued).toHaveLength(4)
        const leads = (await store.listLeads(tenantId, {}, { limit: 10 })).items
        expect(new Set(queued.map((delivery) => delivery.leadId))).toEqual(new Set(leads.map((lead) => lead.id)))
        expect(leads.some((lead) => lead.isTest)).toBe(true)
        expect(await store.getRoutes(tenantId, 'offer:contoso.suite')).toEqual([hook])

        // Saved again unchanged: nothing new.
        const again = await store.changeRouting(change({ offer: suite, destinationIds: [hook] }))
        expect(again.earlierLeads).toMatchObject({ destinations: [], leads: 0, queued: 0 })
        expect(await deliveriesTo(hook)).toHaveLength(4)
      })

      test('a destination added to a live offer gets the earlier leads, the first one nothing again; skip queues none', async () => {
        const first = await destination('first')
        await store.changeRouting(change({ offer: suite, destinationIds: [first] }))
        await record([byId('a@example.com'), byName('b@example.com')])
        expect(await deliveriesTo(first)).toHaveLength(2)

        const second = await destination('second')
        const added = await store.changeRouting(change({ offer: suite, destinationIds: [first, second] }))
        expect(added.earlierLeads).toMatchObject({ destinations: [{ destinationId: second, leads: 2 }], queued: 2 })
        expect(await deliveriesTo(first)).toHaveLength(2)
        expect(await deliveriesTo(second)).toHaveLength(2)

        const third = await destination('third')
        const skipped = await store.changeRouting(
          change({ offer: suite, destinationIds: [first, second, third], earlierLeads: 'skip' }),
        )
        expect(skipped.earlierLeads).toEqual({
          choice: 'skip',
          destinations: [{ destinationId: third, leads: 2 }],
          leads: 2,
          deliveries: 2,
          queued: 0,
        })
        expect(await deliveriesTo(third)).toEqual([])
        // New leads go everywhere, as always.
        await record([byName('c@example.com')])
        expect(await deliveriesTo(third)).toHaveLength(1)
      })

      test('the default route gains a destination: leads of offers without their own route and of unknown offers get it', async () => {
        const own = await destination('own')
        await store.changeRouting(change({ offer: { id: 'routed.offer', aliases: [] }, destinationIds: [own] }))
        await store.putOffer(tenantId, suite, clock.now())
        await record([
          byId('a@example.com'),
          item({ LeadSource: 'AzureMarketplace-INS|routed.offer', CustomerInfo: { Email: 'r@example.com' } }),
          item({ LeadSource: 'AzureMarketplace-INS|Not Configured Yet', CustomerInfo: { Email: 'w@example.com' } }),
        ])
        const fallback = await destination('fallback')
        const preview = await store.changeRouting(change({ destinationIds: [fallback], dryRun: true }))
        expect(preview.earlierLeads).toMatchObject({ destinations: [{ destinationId: fallback, leads: 2 }], leads: 2 })
        expect(preview.offer).toBeUndefined()
        const done = await store.changeRouting(change({ destinationIds: [fallback] }))
        expect(done.earlierLeads.queued).toBe(2)
        const emails = await Promise.all(
          (await deliveriesTo(fallback)).map(
            async (delivery) => (await store.getLead(tenantId, delivery.leadId))?.customer.email,
          ),
        )
        expect(emails.sort()).toEqual(['a@example.com', 'w@example.com'])
        expect(await deliveriesTo(own)).toHaveLength(1)

        // A lead waiting under the default route joins an offer with its own route: it gets that route.
        const later = await store.changeRouting(
          change({ offer: { id: 'routed.offer', aliases: ['Not Configured Yet'] }, destinationIds: [own] }),
        )
        expect(later).toMatchObject({
          joinedLeads: 1,
          earlierLeads: { destinations: [{ destinationId: own, leads: 1 }] },
        })
        expect(await deliveriesTo(own)).toHaveLength(2)
      })
    })
  })
}
