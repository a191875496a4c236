/** One suite, every store: what the rest of Leadrelay relies on, whatever the dialect. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { hashCredential } from '../../src/core/credentials.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { parseInboundLead } from '../../src/core/inbound.ts'
import { contentHashOf, interpretLead } from '../../src/core/lead.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { IngestItem, Store } from '../../src/store/types.ts'
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
      tenantId = ids.next('tnt')
      await store.createTenant({
        id: tenantId,
        name: 'contoso',
        ingestTokenHash: hashCredential(`token-${tenantId}`),
        apiKey: { id: ids.next('key'), hash: hashCredential(`key-${tenantId}`), label: 'test' },
        createdAt: clock.now(),
      })
    })
    afterEach(async () => {
      await dispose()
    })

    function item(body: Record<string, unknown>, extra: Partial<IngestItem> = {}): IngestItem {
      return {
        tenantId,
        eventId: ids.next('evt'),
        newLeadId: ids.next('lead'),
        newDeliveryId: () => ids.next('dlv'),
        draft: interpretLead(parseInboundLead(body, 'api'), { receivedAt: clock.now() }),
        contentHash: contentHashOf('api', body),
        dedupeWindowMs: 600_000,
        ...extra,
      }
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
