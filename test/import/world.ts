/** An in-process store with one tenant and an ingest service: what the import tests feed and compare. */

import { createIdGenerator } from '../../src/core/ids.ts'
import type { Lead, LeadEvent } from '../../src/core/lead.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createIngestService, type IngestService } from '../../src/services/ingest.ts'
import { createTenant } from '../../src/services/tenants.ts'
import type { Store } from '../../src/store/types.ts'
import { sqliteFactory } from '../helpers/stores.ts'

export interface World {
  readonly store: Store
  readonly clock: ReturnType<typeof createManualClock>
  readonly ingest: IngestService
  readonly tenantId: string
  dispose(): Promise<void>
}

export async function createWorld(start = Date.UTC(2026, 10, 25, 12, 0, 0)): Promise<World> {
  const { store, dispose } = await sqliteFactory.create()
  const clock = createManualClock(start)
  const ids = createIdGenerator(clock)
  const created = await createTenant({ store, clock, ids, publicUrl: 'http://localhost' }, 'contoso')
  const ingest = createIngestService({ store, clock, ids, dedupeWindowMs: 600_000 })
  return {
    store,
    clock,
    ingest,
    tenantId: created.tenant.id,
    async dispose() {
      await ingest.drain()
      await dispose()
    },
  }
}

/** Every lead of the tenant, page by page. */
export async function* allLeads(store: Store, tenantId: string): AsyncGenerator<Lead> {
  let cursor: string | undefined
  do {
    const page = await store.listLeads(tenantId, {}, { limit: 1000, ...(cursor !== undefined && { cursor }) })
    yield* page.items
    cursor = page.nextCursor
  } while (cursor !== undefined)
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sorted(v)]),
    )
  }
  return value
}

/** What must survive a round trip: the lead without its ids and store times. */
export function leadFingerprint(lead: Lead): string {
  return JSON.stringify(
    sorted({
      offerKey: lead.offerKey,
      offerId: lead.offerId,
      stage: lead.stage,
      doNotContact: lead.doNotContact,
      isTest: lead.isTest,
      customer: lead.customer,
      source: lead.source,
      action: lead.action,
      eventCount: lead.eventCount,
      firstEventAt: lead.firstEventAt,
      lastEventAt: lead.lastEventAt,
    }),
  )
}

/** An event without its ids, format, arrival time and offer reference. */
export function eventFingerprint(event: LeadEvent): string {
  return JSON.stringify(
    sorted({
      occurredAt: event.occurredAt,
      leadSource: event.leadSource,
      source: event.source,
      action: event.action,
      stage: event.stage,
      offerTitle: event.offerTitle,
      description: event.description,
      customer: event.customer,
      invalid: event.invalid,
      extra: event.extra,
      isTest: event.isTest,
    }),
  )
}

/** Sorted fingerprints of every lead, each followed by its events' fingerprints when `withEvents`. */
export async function fingerprints(world: World, withEvents = false): Promise<string[]> {
  const result: string[] = []
  for await (const lead of allLeads(world.store, world.tenantId)) {
    let print = leadFingerprint(lead)
    if (withEvents) {
      const events = await world.store.listLeadEvents(world.tenantId, lead.id)
      print += `\n${events.map(eventFingerprint).join('\n')}`
    }
    result.push(print)
  }
  return result.sort()
}
