/** The retention part of the Store contract (docs/privacy.md), on SQLite and PostgreSQL, with a manual clock. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { defaultRetentionSettings } from '../../src/core/retention.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { storeFactories } from '../helpers/stores.ts'

const day = 24 * 60 * 60 * 1000

for (const factory of storeFactories.filter((f) => f.name !== 'sqlite (ingest thread)')) {
  describe.skipIf(factory.skipReason !== undefined)(`Store contract, retention: ${factory.name}`, () => {
    let store: Store
    let dispose: () => Promise<void>
    const clock = createManualClock(Date.UTC(2023, 0, 10))
    const ids = createIdGenerator(clock)
    let tenantId: string

    beforeEach(async () => {
      clock.set(Date.UTC(2023, 0, 10))
      ;({ store, dispose } = await factory.create())
      tenantId = await createTestTenant(store, { ids, clock })
    })
    afterEach(async () => {
      await dispose()
    })

    /** Records one event at `at` (received then too). */
    async function event(tenant: string, at: number, body: Record<string, unknown>): Promise<string> {
      clock.set(at)
      const [outcome] = await store.recordLeadEvents(
        [ingestItemOf(tenant, { ...body, OccurredAt: new Date(at).toISOString() }, { ids, clock })],
        at,
      )
      if (outcome?.status !== 'recorded') throw new Error(`not recorded: ${JSON.stringify(outcome)}`)
      return outcome.receipt.leadId
    }

    test('settings are the defaults until a tenant saves its own; the plan lists every tenant', async () => {
      expect(await store.getRetentionSettings(tenantId)).toEqual(defaultRetentionSettings)
      const other = await createTestTenant(store, { ids, clock })
      const saved = await store.putRetentionSettings(
        tenantId,
        { attemptsDays: 30, leadEventsIdleMonths: 12, auditMonths: 36 },
        clock.now(),
      )
      expect(saved).toEqual({ attemptsDays: 30, leadEventsIdleMonths: 12, auditMonths: 36, updatedAt: clock.now() })
      await store.putRetentionSettings(
        tenantId,
        { attemptsDays: 31, leadEventsIdleMonths: 12, auditMonths: 36 },
        clock.now() + 1,
      )
      expect(await store.getRetentionSettings(tenantId)).toMatchObject({ attemptsDays: 31, updatedAt: clock.now() + 1 })
      const plan = new Map((await store.listRetentionPlan()).map((entry) => [entry.tenantId, entry.settings]))
      expect(plan.get(other)).toEqual(defaultRetentionSettings)
      expect(plan.get(tenantId)).toMatchObject({ attemptsDays: 31, auditMonths: 36 })
    })

    test('idle leads keep the first event of each stage and source and their latest, carrying the merged customer', async () => {
      const start = Date.UTC(2023, 0, 10)
      const customer = { Email: 'alice@contoso.example', Phone: '+1 425 555 0100' }
      const alice = await event(tenantId, start, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { ...customer, FirstName: 'Al' },
        Description: 'first look',
      })
      await event(tenantId, start + day, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { ...customer, FirstName: 'Al', Company: 'Contoso' },
      })
      await event(tenantId, start + 2 * day, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: customer,
      })
      await event(tenantId, start + 3 * day, {
        LeadSource: 'AzureMarketplace-PLT|contoso.app',
        CustomerInfo: { ...customer, Title: 'CTO' },
      })
      await event(tenantId, start + 4 * day, {
        LeadSource: 'TestDrive-StartTestDrive|contoso.app',
        CustomerInfo: customer,
      })
      await event(tenantId, start + 5 * day, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { ...customer, FirstName: 'Alice' },
        Description: 'came back',
      })
      const now = Date.UTC(2025, 6, 1)
      const recent = await event(tenantId, now - 30 * day, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { Email: 'bob@contoso.example' },
      })
      await event(tenantId, now - 29 * day, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { Email: 'bob@contoso.example' },
      })
      const elsewhere = await createTestTenant(store, { ids, clock })
      const theirs = await event(elsewhere, start, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { Email: 'carol@fabrikam.example' },
      })
      await event(elsewhere, start + day, {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { Email: 'carol@fabrikam.example' },
      })
      clock.set(now)
      const leadBefore = await store.getLead(tenantId, alice)
      const funnelBefore = await store.funnelCounts(tenantId, {})

      const batch = await store.reduceIdleLeadEvents(tenantId, Date.UTC(2024, 0, 1), 500)
      expect(batch).toEqual({ leads: 1, eventsDeleted: 2, eventsReduced: 4 })

      const events = await store.listLeadEvents(tenantId, alice)
      expect(events.map((e) => [e.occurredAt - start, e.stage, e.source])).toEqual([
        [0, 'initial_interest', 'AzureMarketplace'],
        [3 * day, 'active', 'AzureMarketplace'],
        [4 * day, 'trial', 'TestDrive'],
        [5 * day, 'initial_interest', 'AzureMarketplace'],
      ])
      const lead = await store.getLead(tenantId, alice)
      expect(lead).toEqual(leadBefore)
      for (const kept of events) {
        expect(kept.customer).toEqual(lead?.customer)
        expect(kept.description).toBeUndefined()
      }
      expect(await store.funnelCounts(tenantId, {})).toEqual(funnelBefore)
      expect(await store.listLeadEvents(tenantId, recent)).toHaveLength(2)
      expect(await store.listLeadEvents(elsewhere, theirs)).toHaveLength(2)

      // A reduced lead has nothing more to give.
      expect(await store.reduceIdleLeadEvents(tenantId, Date.UTC(2024, 0, 1), 500)).toEqual({
        leads: 1,
        eventsDeleted: 0,
        eventsReduced: 0,
      })
    })

    test('the walk over idle leads goes in batches of the limit, from the cursor each batch gives', async () => {
      const start = Date.UTC(2023, 0, 10)
      for (const [n, name] of ['ann', 'ben', 'cat'].entries()) {
        for (const offset of [0, 1, 2])
          await event(tenantId, start + n * day + offset * 1000, {
            LeadSource: 'AzureMarketplace-INS|contoso.app',
            CustomerInfo: { Email: `${name}@contoso.example` },
          })
      }
      clock.set(Date.UTC(2025, 6, 1))
      const first = await store.reduceIdleLeadEvents(tenantId, Date.UTC(2024, 0, 1), 2)
      expect(first).toMatchObject({ leads: 2, eventsDeleted: 2 })
      expect(first.nextCursor).toBeDefined()
      const second = await store.reduceIdleLeadEvents(tenantId, Date.UTC(2024, 0, 1), 2, first.nextCursor)
      // Each event already carries exactly the merged customer: nothing to rewrite.
      expect(second).toEqual({ leads: 1, eventsDeleted: 1, eventsReduced: 0 })
      // Each lead keeps its first and its latest event.
      expect(await store.countLeadEvents(tenantId)).toBe(6)
    })

    test('attempts older than the cut-off go, oldest first and a batch at a time; the delivery keeps its state', async () => {
      const destinationId = ids.next('dst')
      await store.createDestination(
        { id: destinationId, tenantId, kind: 'webhook', name: 'hook', config: { url: 'http://x' }, maxConcurrency: 4 },
        clock.now(),
      )
      await store.setRoutes(tenantId, 'default', [destinationId])
      await event(tenantId, clock.now(), {
        LeadSource: 'AzureMarketplace-INS|contoso.app',
        CustomerInfo: { Email: 'dan@contoso.example' },
      })
      const [claimed] = await store.claimDeliveries({
        workerId: 'w1',
        now: clock.now(),
        leaseMs: 60_000,
        limit: 1,
        slotsFor: () => 10,
      })
      const deliveryId = claimed!.id
      const base = clock.now()
      const startedAts = [base, base + day, base + 2 * day, base + 100 * day]
      for (const [index, startedAt] of startedAts.entries()) {
        const last = index === startedAts.length - 1
        await store.completeAttempt({
          deliveryId,
          workerId: 'w1',
          attempt: {
            id: ids.next('att'),
            deliveryId,
            number: index + 1,
            leadVersion: 1,
            startedAt,
            durationMs: 5,
            outcome: last ? 'delivered' : 'timeout',
            ...(last && { status: 200 }),
          },
          transition: last
            ? { state: 'delivered', attempts: index + 1 }
            : { state: 'queued', attempts: index + 1, runAt: startedAt },
          now: startedAt,
        })
        if (!last)
          await store.claimDeliveries({
            workerId: 'w1',
            now: startedAt + 1,
            leaseMs: 60_000,
            limit: 1,
            slotsFor: () => 10,
          })
      }
      const before = await store.getDelivery(tenantId, deliveryId)
      expect(before?.state).toBe('delivered')

      const cutoff = base + 50 * day
      expect(await store.deleteAttemptsBefore(tenantId, cutoff, 2)).toBe(2)
      expect((await store.listAttempts(tenantId, [deliveryId])).map((a) => a.startedAt)).toEqual([
        base + 2 * day,
        base + 100 * day,
      ])
      expect(await store.deleteAttemptsBefore(tenantId, cutoff, 2)).toBe(1)
      expect(await store.deleteAttemptsBefore(tenantId, cutoff, 2)).toBe(0)
      expect(await store.getDelivery(tenantId, deliveryId)).toEqual(before)
    })

    test("audit entries older than the cut-off go, in batches, and only the tenant's own", async () => {
      const other = await createTestTenant(store, { ids, clock })
      const base = clock.now()
      for (const tenant of [tenantId, other])
        for (const offset of [0, 1, 2, 400])
          await store.appendAudit({
            id: ids.next('aud'),
            tenantId: tenant,
            actor: 'system',
            action: `test.${offset}`,
            at: base + offset * day,
          })
      const cutoff = base + 365 * day
      const auditOf = async (tenant: string) =>
        (await store.listAudit(tenant, 100)).map((entry) => entry.action).filter((a) => a.startsWith('test.'))
      expect(await store.deleteAuditBefore(tenantId, cutoff, 2)).toBe(2)
      expect(await store.deleteAuditBefore(tenantId, cutoff, 2)).toBe(1)
      expect(await store.deleteAuditBefore(tenantId, cutoff, 2)).toBe(0)
      expect(await auditOf(tenantId)).toEqual(['test.400'])
      expect(await auditOf(other)).toHaveLength(4)
    })
  })
}
