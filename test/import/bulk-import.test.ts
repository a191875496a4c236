/**
 * The bulk import (services/bulk-ingest.ts, what `leads import` uses) against the per-lead path (the ingest service,
 * as over HTTP): the same generated file, with duplicates, a changed row and a malformed one among its rows, gives
 * the same leads, events, stages, flags, deliveries, funnel counts and summary on each store; a second bulk import of
 * the file changes nothing. So does a file that lists each customer's events one after another, as an export does,
 * where most leads get several events in one batch.
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
import { indexesDeferredDuringBulkImport } from '../../src/store/sqlite/deferred-indexes.ts'
import type { Store } from '../../src/store/types.ts'
import { postgresFactory, type StoreFactory, sqliteIngestThreadFactory } from '../helpers/stores.ts'
import { allLeads, fingerprints } from './world.ts'

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

/**
 * The generated events with each customer's rows together, in the order they happened (as `leads export` lists a
 * lead's events): a customer's trial, activation, do-not-contact request and so on fall into one batch.
 */
function customerOrderedText(): string {
  const [header, ...rows] = [...scaleEventRows({ events: 3000, leads: 1200, offers: 5 })]
  const columns = header!
  const email = columns.indexOf('email')
  const phone = columns.indexOf('phone')
  const customerOf = (row: readonly string[]) => `${row[email]} ${row[phone]}`
  const order = new Map<string, number>()
  for (const row of rows) if (!order.has(customerOf(row))) order.set(customerOf(row), order.size)
  // Array.prototype.sort is stable: a customer's rows keep their order in time.
  const sorted = [...rows].sort((a, b) => order.get(customerOf(a))! - order.get(customerOf(b))!)
  return csvText([columns, ...sorted])
}

/** How many leads have more than one row in one batch of `batchSize` rows of the file. */
function leadsWithSeveralRowsInABatch(text: string, batchSize: number): number {
  const [header, ...rows] = text.trimEnd().split('\r\n')
  const columns = header!.split(',')
  const email = columns.indexOf('email')
  const phone = columns.indexOf('phone')
  let several = 0
  for (let start = 0; start < rows.length; start += batchSize) {
    const counts = new Map<string, number>()
    for (const row of rows.slice(start, start + batchSize)) {
      // The generated fields hold no separator in these two columns; a quoted description only shifts later ones.
      const fields = row.split(',')
      const key = fields.length === columns.length ? `${fields[email]} ${fields[phone]}` : row
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    for (const count of counts.values()) if (count > 1) several++
  }
  return several
}

interface Imported {
  readonly store: Store
  readonly tenantId: string
  readonly summary: Awaited<ReturnType<typeof importLeadFile>>
  readonly problems: string[]
  /** Indexes set aside during the import and built at its end. */
  readonly setAside: number
}

async function importInto(
  store: Store,
  text: string,
  way: 'per lead' | 'bulk' | 'bulk, indexes after',
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
  const ingest = way === 'per lead' ? createIngestService(deps) : createBulkIngest({ ...deps, batchSize })
  const problems: string[] = []
  let setAside = 0
  const summary = await store.runBulkImport(
    {
      expectedRows: text.length,
      indexes: way === 'bulk, indexes after' ? 'after' : 'during',
      onIndexProgress: (built, total) => {
        if (built === 0) setAside = total
      },
    },
    () =>
      importLeadFile(
        { store, clock, ingest },
        {
          tenantId,
          input: Readable.from([text]),
          format: 'csv',
          onProblem: ({ line, reason }) => problems.push(`${line} ${reason}`),
        },
      ),
  )
  if ('drain' in ingest) await ingest.drain()
  return { tenantId, summary, problems, setAside }
}

/** Each lead with the deliveries queued for it: destination, lead version and state. */
async function deliveriesOfLeads(store: Store, tenantId: string): Promise<string[]> {
  const byLead = new Map<string, string[]>()
  let cursor: string | undefined
  do {
    const page = await store.listDeliveries(tenantId, {}, { limit: 1000, ...(cursor !== undefined && { cursor }) })
    for (const delivery of page.items) {
      const list = byLead.get(delivery.leadId) ?? []
      list.push(`${delivery.destinationId} v${delivery.leadVersion} ${delivery.state}`)
      byLead.set(delivery.leadId, list)
    }
    cursor = page.nextCursor
  } while (cursor !== undefined)
  const result: string[] = []
  for await (const lead of allLeads(store, tenantId)) {
    const customer = lead.customer.email ?? lead.customer.phone ?? lead.id
    result.push(`${lead.offerKey} ${customer}: ${(byLead.get(lead.id) ?? []).sort().join(', ')}`)
  }
  return result.sort()
}

async function state(store: Store, tenantId: string) {
  return {
    leads: await fingerprints({ store, tenantId } as Parameters<typeof fingerprints>[0], true),
    deliveriesOfLeads: await deliveriesOfLeads(store, tenantId),
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

      // With the indexes only reads use set aside during the import and built at its end (SQLite), and again into
      // the same store, where the second import finds every row already there.
      const deferred = await factory.create()
      disposals.push(deferred.dispose)
      const after = await importInto(deferred.store, text, 'bulk, indexes after', batchSize)
      expect(after.summary).toEqual(one.summary)
      // SQLite sets the indexes aside; PostgreSQL keeps them up (its import runs as it always does).
      expect(after.setAside).toBe(factory === postgresFactory ? 0 : indexesDeferredDuringBulkImport.length)
      expect(await state(deferred.store, after.tenantId)).toEqual(expected)
      const afterAgain = await importInto(deferred.store, text, 'bulk, indexes after', batchSize, after.tenantId)
      expect(afterAgain.summary).toMatchObject({ read: 3005, new: 0, merged: 0, skipped: 3005 })
      expect(await state(deferred.store, after.tenantId)).toEqual(expected)
    }, 300_000)

    test("gives what the per-lead path gives when a customer's rows come together, several in one batch", async () => {
      const text = customerOrderedText()
      expect(leadsWithSeveralRowsInABatch(text, batchSize)).toBeGreaterThan(500)
      const perLead = await factory.create()
      const bulk = await factory.create()
      disposals.push(perLead.dispose, bulk.dispose)

      const one = await importInto(perLead.store, text, 'per lead', batchSize)
      const many = await importInto(bulk.store, text, 'bulk', batchSize)
      expect(many.summary).toEqual(one.summary)
      expect(one.summary).toMatchObject({ read: 3000, skipped: 0 })
      expect(one.summary.merged).toBeGreaterThan(1500)

      const expected = await state(perLead.store, one.tenantId)
      expect(expected.deliveriesOfLeads.some((lead) => lead.split(', ').length > 2)).toBe(true)
      expect(await state(bulk.store, many.tenantId)).toEqual(expected)
    }, 300_000)
  })
}
