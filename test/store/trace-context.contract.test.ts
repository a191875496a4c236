/**
 * Every store keeps the ingest's W3C trace context with the deliveries it queues and hands it to the worker that
 * claims them, on whichever connection, thread or node (docs/decisions/0012-trace-context-of-deliveries.md).
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { storeFactories } from '../helpers/stores.ts'

const traceParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

for (const factory of storeFactories) {
  describe.skipIf(factory.skipReason !== undefined)(`Trace context of deliveries: ${factory.name}`, () => {
    let store: Store
    let dispose: () => Promise<void>
    const clock = createManualClock(Date.UTC(2026, 11, 7))
    const ids = createIdGenerator(clock)
    let tenantId: string

    beforeEach(async () => {
      ;({ store, dispose } = await factory.create())
      tenantId = await createTestTenant(store, { ids, clock })
      for (const name of ['crm', 'hook']) {
        const id = ids.next('dst')
        await store.createDestination(
          { id, tenantId, kind: 'webhook', name, config: { url: 'http://x' }, maxConcurrency: 4 },
          clock.now(),
        )
        const routed = await store.listDestinations(tenantId)
        await store.setRoutes(
          tenantId,
          'default',
          routed.map((destination) => destination.id),
        )
      }
    })
    afterEach(async () => {
      await dispose()
    })

    const claimAll = () =>
      store.claimDeliveries({ workerId: 'w1', now: clock.now(), leaseMs: 1000, limit: 10, slotsFor: () => 10 })

    test("each delivery an ingest queues carries that ingest's traceparent to the claim; one without has none", async () => {
      const body = (email: string) => ({ LeadSource: 'AzureMarketplace-INS|x.y', CustomerInfo: { Email: email } })
      await store.recordLeadEvents(
        [
          ingestItemOf(tenantId, body('traced@example.com'), { ids, clock }, { traceParent }),
          ingestItemOf(tenantId, body('untraced@example.com'), { ids, clock }),
        ],
        clock.now(),
      )
      const claimed = await claimAll()
      expect(claimed).toHaveLength(4)
      const leads = [...new Set(claimed.map((delivery) => delivery.leadId))]
      const parents = leads.map((leadId) =>
        claimed.filter((delivery) => delivery.leadId === leadId).map((delivery) => delivery.traceParent),
      )
      expect(parents).toContainEqual([traceParent, traceParent])
      expect(parents).toContainEqual([undefined, undefined])
      for (const delivery of claimed)
        expect(Object.hasOwn(delivery, 'traceParent')).toBe(delivery.traceParent !== undefined)
    })
  })
}
