/**
 * A retention run over every tenant (src/delivery/retention-task.ts), on SQLite and PostgreSQL with a manual clock:
 * each tenant by its own settings, in batches with progress, stoppable between two batches.
 */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { type RetentionProgress, runRetention } from '../../src/delivery/retention-task.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { postgresFactory, sqliteFactory } from '../helpers/stores.ts'

const day = 24 * 60 * 60 * 1000

for (const factory of [sqliteFactory, postgresFactory]) {
  describe.skipIf(factory.skipReason !== undefined)(`retention run: ${factory.name}`, () => {
    let store: Store
    let dispose: () => Promise<void>
    const clock = createManualClock()
    const ids = createIdGenerator(clock)

    beforeEach(async () => {
      clock.set(Date.UTC(2024, 0, 1))
      ;({ store, dispose } = await factory.create())
    })
    afterEach(async () => {
      await dispose()
    })

    async function audit(tenantId: string, count: number, at: number) {
      for (let n = 0; n < count; n++)
        await store.appendAudit({ id: ids.next('aud'), tenantId, actor: 'system', action: `old.${n}`, at })
    }

    async function threeEvents(tenantId: string, email: string, at: number) {
      for (const offset of [0, 1000, 2000]) {
        clock.set(at + offset)
        await store.recordLeadEvents(
          [
            ingestItemOf(
              tenantId,
              {
                LeadSource: 'AzureMarketplace-INS|contoso.app',
                CustomerInfo: { Email: email },
                OccurredAt: new Date(at + offset).toISOString(),
              },
              { ids, clock },
            ),
          ],
          at + offset,
        )
      }
    }

    test('each tenant by its own settings, a batch at a time, reporting progress', async () => {
      const strict = await createTestTenant(store, { ids, clock })
      const lenient = await createTestTenant(store, { ids, clock })
      // Eighteen months before "now": kept by the defaults (24 months), gone with a 12-month setting.
      const eighteenMonthsAgo = Date.UTC(2024, 0, 1)
      await audit(strict, 7, eighteenMonthsAgo)
      await audit(lenient, 7, eighteenMonthsAgo)
      await threeEvents(strict, 'ann@contoso.example', eighteenMonthsAgo)
      await threeEvents(lenient, 'ann@contoso.example', eighteenMonthsAgo)
      clock.set(Date.UTC(2025, 6, 1))
      await store.putRetentionSettings(strict, { attemptsDays: 30, leadEventsIdleMonths: 12, auditMonths: 12 }, 0)

      const progress: RetentionProgress[] = []
      const summary = await runRetention(
        { store, clock },
        {
          batchSize: 3,
          batchBudgetMs: Number.POSITIVE_INFINITY,
          pauseMs: 0,
          onProgress: (step) => progress.push(step),
        },
      )
      expect(summary).toMatchObject({ tenants: 2, auditDeleted: 7, idleLeads: 1, eventsDeleted: 1, complete: true })
      const audited = async (tenantId: string) =>
        (await store.listAudit(tenantId, 100)).filter((entry) => entry.action.startsWith('old.')).length
      expect(await audited(strict)).toBe(0)
      expect(await audited(lenient)).toBe(7)
      // The idle lead keeps its first and its latest event.
      expect(await store.countLeadEvents(strict)).toBe(2)
      expect(await store.countLeadEvents(lenient)).toBe(3)
      // Seven entries, three a batch: 3, 6, 7.
      expect(progress.filter((p) => p.tenantId === strict && p.step === 'audit').map((p) => p.done)).toEqual([3, 6, 7])
    })

    test('batches that take longer than the budget are halved, down to 50 rows, so the write lock is never held long', async () => {
      const tenantId = await createTestTenant(store, { ids, clock })
      await audit(tenantId, 400, clock.now())
      clock.set(clock.now() + 1000 * day)
      const asked: number[] = []
      const slow: Store = {
        ...store,
        async deleteAuditBefore(tenant, before, limit) {
          asked.push(limit)
          await new Promise((resolve) => setTimeout(resolve, 15))
          return store.deleteAuditBefore(tenant, before, limit)
        },
      }
      const summary = await runRetention({ store: slow, clock }, { batchSize: 200, batchBudgetMs: 10, pauseMs: 0 })
      expect(summary).toMatchObject({ auditDeleted: 400, complete: true })
      expect(asked).toEqual([200, 100, 50, 50, 50])
    })

    test('an aborted run stops between two batches and says it did not finish', async () => {
      const tenantId = await createTestTenant(store, { ids, clock })
      await audit(tenantId, 10, clock.now())
      clock.set(clock.now() + 1000 * day)
      const controller = new AbortController()
      const summary = await runRetention(
        { store, clock },
        {
          batchSize: 4,
          batchBudgetMs: Number.POSITIVE_INFINITY,
          pauseMs: 0,
          signal: controller.signal,
          onProgress: (step) => {
            if (step.step === 'audit') controller.abort()
          },
        },
      )
      expect(summary).toMatchObject({ auditDeleted: 4, complete: false })
      expect((await store.listAudit(tenantId, 100)).filter((entry) => entry.action.startsWith('old.'))).toHaveLength(6)
    })
  })
}
