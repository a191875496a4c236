/**
 * The bulk import (services/bulk-ingest.ts, what `leads import` uses) against the per-lead path (the ingest service,
 * as over HTTP): the same generated file, with duplicates, a changed row and a malformed one among its rows, gives
 * the same leads, events, stages, flags, deliveries, funnel counts and summary on each store; a second bulk import of
 * the file changes nothing.
 */

import { Readable } from 'node:stream'
import { afterAll, describe, expect, test } from 'vitest'
import { scaleEventRows } from '../../scripts/bench/scale-events.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createBulkIngest } from '../../src/services/bulk-ingest.ts'
import { createIngestService } from '../../src/services/ingest.ts'
import { csvText } from '../../src/services/lead-files/csv-dialect.ts'
import { importLeadFile } from '../../src/services/lead-files/import-lead-file.ts'
import { createTenant } from '../../src/services/tenants.ts'
import type { Store } from '../../src/store/types.ts'
import { postgresFactory, type StoreFactory, sqliteIngestThreadFactory } from '../helpers/stores.ts'
import { fingerprints } from './world.ts'

/** 3,000 generated events for 1,200 customers, then rows that must not become events a second time. */
function fileText(): string {
  const [header, ...rows] = [...scaleEventRows({ events: 3000, leads: 1200, offers: 5 })]
  const columns = header!
  const at = (name: string) => columns.indexOf(name)
  const copy = rows[10]!
  const changed = rows[11]!.map((value, index) => (index === at('description') ? 'changed since' : value))
  const noEventId = rows[12]!.map((value, index) => (index === at('eventId') ? '' : value))
  const extra = [copy, changed, noEventId, noEventId]
  const lines = [columns, ...rows.slice(0, 1500), ...extra, ...rows.slice(1500)]
  // A record with too few fields, in the middle of a batch.
  return `${csvText(lines.slice(0, 2000))}gen-x,too,few\r\n${csvText(lines.slice(2000))}`
}

interface Imported {
  readonly store: Store
  readonly tenantId: string
  readonly summary: Awaited<ReturnType<typeof importLeadFile>>
  readonly problems: string[]
}

async function importInto(
  store: Store,
  text: string,
  way: 'per lead' | 'bulk',
  batchSize: number,
  tenant?: string,
): Promise<Omit<Imported, 'store'>> {
  const clock = createManualClock(Date.UTC(2026, 0, 5, 9))
  const ids = createIdGenerator(clock)
  let tenantId = tenant
  if (tenantId === undefined) {
    tenantId = (await createTenant({ store, clock, ids, publicUrl: 'http://localhost' }, 'contoso')).tenant.id
    // One offer routed to a webhook, known before the import under an alias too: its rows queue deliveries.
    await store.putOffer(tenantId, { id: 'contoso.offer-01', title: 'Offer 1', aliases: ['Offer One'] }, clock.now())
    await store.createDestination(
      { id: 'dst_hook', tenantId, kind: 'webhook', name: 'hook', config: { url: 'http://x' }, maxConcurrency: 4 },
      clock.now(),
    )
    await store.setRoutes(tenantId, 'offer:contoso.offer-01', ['dst_hook'])
  }
  const deps = { store, clock, ids, dedupeWindowMs: 600_000 }
  const ingest = way === 'bulk' ? createBulkIngest({ ...deps, batchSize }) : createIngestService(deps)
  const problems: string[] = []
  const summary = await importLeadFile(
    { store, clock, ingest },
    {
      tenantId,
      input: Readable.from([text]),
      format: 'csv',
      onProblem: ({ line, reason }) => problems.push(`${line} ${reason}`),
    },
  )
  if ('drain' in ingest) await ingest.drain()
  return { tenantId, summary, problems }
}

async function state(store: Store, tenantId: string) {
  return {
    leads: await fingerprints({ store, tenantId } as Parameters<typeof fingerprints>[0], true),
    events: await store.countLeadEvents(tenantId),
    deliveries: (await store.countDeliveries(tenantId, {}, 1_000_000)).count,
    funnel: await store.funnelCounts(tenantId, {}),
  }
}

/**
 * SQLite: batches of 700, so several are in flight on the ingest thread. PostgreSQL: the whole file in one batch,
 * whose event rows take more parameters than one statement may carry, so its writes go in chunks.
 */
const factories: readonly (readonly [StoreFactory, number])[] = [
  [sqliteIngestThreadFactory, 700],
  [postgresFactory, 4000],
]
const disposals: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const dispose of disposals) await dispose()
})

for (const [factory, batchSize] of factories) {
  describe.skipIf(factory.skipReason !== undefined)(`bulk import: ${factory.name}`, () => {
    test('gives what the per-lead path gives, and a second import changes nothing', async () => {
      const text = fileText()
      const perLead = await factory.create()
      const bulk = await factory.create()
      disposals.push(perLead.dispose, bulk.dispose)

      const one = await importInto(perLead.store, text, 'per lead', batchSize)
      const many = await importInto(bulk.store, text, 'bulk', batchSize)
      expect(many.summary).toEqual(one.summary)
      // Reported in another order (a malformed row at once, a refused one when its batch commits), but the same.
      expect(many.problems.sort()).toEqual(one.problems.sort())
      expect(one.summary).toMatchObject({ read: 3005, offersCreated: 4 })
      expect(one.summary.reasons).toEqual({
        'already imported': 2,
        'already imported, changed since': 1,
        'malformed row': 1,
      })
      expect(one.summary.new + one.summary.merged).toBe(3001)

      const expected = await state(perLead.store, one.tenantId)
      expect(expected.events).toBe(3001)
      expect(expected.deliveries).toBeGreaterThan(0)
      expect(expected.leads.some((lead) => lead.includes('"doNotContact":true'))).toBe(true)
      expect(expected.leads.some((lead) => lead.includes('"isTest":true'))).toBe(true)
      expect(await state(bulk.store, many.tenantId)).toEqual(expected)

      const again = await importInto(bulk.store, text, 'bulk', batchSize, many.tenantId)
      expect(again.summary).toMatchObject({ read: 3005, new: 0, merged: 0, skipped: 3005, offersCreated: 0 })
      expect(await state(bulk.store, many.tenantId)).toEqual(expected)
    }, 300_000)
  })
}
