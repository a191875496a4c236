/** The SaaS webhook relay's outbox (docs/decisions/0010), on every store: order per subscription, dedupe, leases. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant } from '../helpers/ingest-items.ts'
import { storeFactories } from '../helpers/stores.ts'

for (const factory of storeFactories.filter((f) => f.name !== 'sqlite (ingest thread)')) {
  describe.skipIf(factory.skipReason !== undefined)(`Store contract, SaaS relay: ${factory.name}`, () => {
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

    const enqueue = (subscriptionId: string, operationId?: string) =>
      store.enqueueSaasRelayCall({
        id: ids.next('rly'),
        tenantId,
        subscriptionId,
        ...(operationId !== undefined && { operationId }),
        body: JSON.stringify({ id: operationId, subscriptionId }),
        authorization: 'Bearer token',
        contentType: 'application/json',
        receivedAt: clock.now(),
      })

    test('calls are numbered in the order received; the same operation again is stored once', async () => {
      const first = await enqueue('sub-a', 'op-1')
      const second = await enqueue('sub-a', 'op-2')
      const again = await enqueue('sub-a', 'op-1')
      expect(first.duplicate).toBe(false)
      expect(second.call.seq).toBe(first.call.seq + 1)
      expect(again).toMatchObject({ duplicate: true, call: { id: first.call.id } })
      expect(await store.listSaasRelayCalls(tenantId, { limit: 10 })).toHaveLength(2)
    })

    test("a settled call keeps only its action: the purchaser's and beneficiary's details go with the token", async () => {
      const body = JSON.stringify({
        id: 'op-9',
        action: 'Unsubscribe',
        subscriptionId: 'sub-p',
        subscription: {
          purchaser: { emailId: 'Buyer@Contoso.example', objectId: 'o-1' },
          beneficiary: { emailId: 'user@contoso.example', objectId: 'o-2' },
        },
      })
      const call = (
        await store.enqueueSaasRelayCall({
          id: ids.next('rly'),
          tenantId,
          subscriptionId: 'sub-p',
          operationId: 'op-9',
          body,
          authorization: 'Bearer token',
          contentType: 'application/json',
          receivedAt: clock.now(),
        })
      ).call
      const listed = async () =>
        (await store.listSaasRelayCalls(tenantId, { limit: 10 })).find((candidate) => candidate.id === call.id)
      // Still to be relayed: the body as Microsoft sent it, to be sent again unchanged.
      await store.settleSaasRelayCall(call.id, 1, { state: 'pending', status: 503, error: 'HTTP 503', runAt: 1 })
      expect(await listed()).toMatchObject({ body, authorization: 'Bearer token' })

      await store.settleSaasRelayCall(call.id, 2, { state: 'rejected', status: 400, error: 'HTTP 400', at: 2 })
      const settled = await listed()
      expect(settled).toMatchObject({ state: 'rejected', body: '{"action":"Unsubscribe"}', authorization: '' })
      expect(JSON.stringify(settled).toLowerCase()).not.toContain('contoso')
    })

    test('one call per subscription at a time, oldest first; other subscriptions are not held up', async () => {
      const a1 = await enqueue('sub-a', 'op-1')
      const a2 = await enqueue('sub-a', 'op-2')
      const b1 = await enqueue('sub-b', 'op-3')
      const claimed = await store.claimSaasRelayCalls(clock.now(), 60_000, 10)
      expect(claimed.map((call) => call.id).sort()).toEqual([a1.call.id, b1.call.id].sort())
      // Leased: nothing more of either lane, even after a2's turn would otherwise come.
      expect(await store.claimSaasRelayCalls(clock.now(), 60_000, 10)).toEqual([])

      await store.settleSaasRelayCall(a1.call.id, 1, {
        state: 'pending',
        status: 503,
        error: 'HTTP 503',
        runAt: clock.now() + 5000,
      })
      // a1 failed and waits: a2 stays behind it.
      expect(await store.claimSaasRelayCalls(clock.now(), 60_000, 10)).toEqual([])
      expect(await store.nextSaasRelayRunAt()).toBe(clock.now() + 5000)
      clock.advance(5000)
      const retried = await store.claimSaasRelayCalls(clock.now(), 60_000, 10)
      expect(retried.map((call) => call.id)).toEqual([a1.call.id])
      await store.settleSaasRelayCall(a1.call.id, 2, { state: 'relayed', status: 200, at: clock.now() })
      const next = await store.claimSaasRelayCalls(clock.now(), 60_000, 10)
      expect(next.map((call) => call.id)).toEqual([a2.call.id])

      const [settled] = (await store.listSaasRelayCalls(tenantId, { limit: 10 })).filter((c) => c.id === a1.call.id)
      expect(settled).toMatchObject({ state: 'relayed', attempts: 2, lastStatus: 200, authorization: '' })
    })

    test('a lease that ran out (a node died mid-relay) lets another node take the call', async () => {
      const a1 = await enqueue('sub-a', 'op-1')
      expect(await store.claimSaasRelayCalls(clock.now(), 60_000, 10)).toHaveLength(1)
      clock.advance(60_000)
      const taken = await store.claimSaasRelayCalls(clock.now(), 60_000, 10)
      expect(taken.map((call) => call.id)).toEqual([a1.call.id])
    })
  })
}
