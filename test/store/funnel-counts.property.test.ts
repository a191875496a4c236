/**
 * The funnel counters (kept by the code that writes leads, core/funnel-counters.ts) against a full recount: after any
 * sequence of ingests (alone and several in one group commit; out of order, test leads, offers named by id or by
 * title), offers configured (leads joining and merging), erasures and retention, every counter equals what the leads
 * and their events give when counted from scratch here, and each offer's roll-ups (per month; per day over stages and
 * sources) equal the counters summed. The events cross a month's end.
 */

import Database from 'better-sqlite3'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { stages } from '../../src/core/funnel.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createPostgresStore } from '../../src/store/postgres/index.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant, ingestItemOf } from '../helpers/ingest-items.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const day = 86_400_000
// Events go up to a week back from the 4th of April, so they cross the end of March.
const start = Date.UTC(2026, 2, 5)

type Rows = (query: string, parameters: readonly unknown[]) => Promise<Record<string, unknown>[]>

interface Backend {
  readonly name: string
  readonly skipReason?: string
  open(): Promise<{ store: Store; rows: Rows; close(): Promise<void> }>
}

const backends: readonly Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = createTempDir()
      const filename = `${dir.path}/leadrelay.db`
      const store = createSqliteStore({ filename })
      await store.migrate()
      const reader = new Database(filename, { readonly: true })
      return {
        store,
        rows: async (query, parameters) =>
          reader.prepare(query.replace(/\$\d+/g, '?')).all(...parameters) as Record<string, unknown>[],
        async close() {
          reader.close()
          await store.close()
          dir.remove()
        },
      }
    },
  },
  {
    name: 'postgres',
    ...(postgresSkipReason !== undefined && { skipReason: postgresSkipReason }),
    async open() {
      const schema = newSchemaName()
      const store = createPostgresStore({ connectionString: postgresUrl, schema, poolSize: 2 })
      await store.migrate()
      const client = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${schema}` })
      await client.connect()
      return {
        store,
        rows: async (query, parameters) => (await client.query(query, [...parameters])).rows,
        async close() {
          await client.end()
          await store.close()
          await dropSchema(schema)
        },
      }
    },
  },
]

/** The counters, recounted from the leads and their events: the definition docs/funnel.md gives, written again. */
async function recount(rows: Rows, tenantId: string): Promise<Map<string, number>> {
  const leads = await rows('select id, offer_key, stage, is_test from leads where tenant_id = $1', [tenantId])
  const events = await rows(
    'select lead_id, stage, source, occurred_at, seq from lead_events where tenant_id = $1 order by occurred_at, seq',
    [tenantId],
  )
  const eventsOf = new Map<string, Record<string, unknown>[]>()
  for (const event of events)
    eventsOf.set(String(event.lead_id), [...(eventsOf.get(String(event.lead_id)) ?? []), event])
  const counts = new Map<string, number>()
  const add = (offerKey: unknown, measure: string, at: number, stage: unknown, source: unknown) => {
    const key = JSON.stringify([offerKey, measure, at - (at % day), stage, source ?? ''])
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  for (const lead of leads) {
    if (Number(lead.is_test) === 1) continue
    const own = eventsOf.get(String(lead.id)) ?? []
    const first = own[0]
    if (!first) continue
    add(lead.offer_key, 'new', Number(first.occurred_at), lead.stage, '')
    const firstOfStage = new Map<unknown, Record<string, unknown>>()
    for (const event of own) if (!firstOfStage.has(event.stage)) firstOfStage.set(event.stage, event)
    for (const [stage, event] of firstOfStage)
      add(lead.offer_key, 'reached', Number(event.occurred_at), stage, event.source)
    const trial = firstOfStage.get('trial')
    if (trial) add(lead.offer_key, 'trialed', Number(trial.occurred_at), lead.stage, '')
  }
  return counts
}

async function counters(rows: Rows, tenantId: string): Promise<Map<string, number>> {
  const found = await rows(
    'select offer_key, measure, day, stage, source, leads from funnel_counts where tenant_id = $1 and leads <> 0',
    [tenantId],
  )
  return new Map(
    found.map((row) => [
      JSON.stringify([row.offer_key, row.measure, Number(row.day), row.stage, row.source]),
      Number(row.leads),
    ]),
  )
}

/**
 * The roll-ups of each offer's counters (per month, and per day over stages and sources: SQLite 0020, PostgreSQL
 * 0021) as stored, and as the counters give them; non-zero sums by key.
 */
async function rollUps(rows: Rows, tenantId: string) {
  const sums = (entries: readonly (readonly [string, number])[]) => {
    const summed = new Map<string, number>()
    for (const [key, leads] of entries) summed.set(key, (summed.get(key) ?? 0) + leads)
    return new Map([...summed].filter(([, leads]) => leads !== 0))
  }
  const monthOf = (at: number) => Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), 1)
  const counted = [...(await counters(rows, tenantId))].map(([key, leads]) => {
    const [offerKey, measure, at, stage, source] = JSON.parse(key) as [string, string, number, string, string]
    return { offerKey, measure, at, stage, source, leads }
  })
  const months = await rows(
    'select offer_key, measure, month, stage, source, leads from funnel_offer_months where tenant_id = $1',
    [tenantId],
  )
  const days = await rows('select * from funnel_offer_days where tenant_id = $1', [tenantId])
  const dayColumns = ['first_events', ...stages.map((stage) => `reached_${stage}`)]
  return {
    stored: {
      months: sums(
        months.map((row) => [
          JSON.stringify([row.offer_key, row.measure, Number(row.month), row.stage, row.source]),
          Number(row.leads),
        ]),
      ),
      days: sums(
        days.flatMap((row) =>
          dayColumns.map(
            (column) => [JSON.stringify([row.offer_key, Number(row.day), column]), Number(row[column])] as const,
          ),
        ),
      ),
    },
    counted: {
      months: sums(
        counted.map((counter) => [
          JSON.stringify([counter.offerKey, counter.measure, monthOf(counter.at), counter.stage, counter.source]),
          counter.leads,
        ]),
      ),
      days: sums(
        counted
          .filter((counter) => counter.measure !== 'trialed')
          .map((counter) => [
            JSON.stringify([
              counter.offerKey,
              counter.at,
              counter.measure === 'new' ? 'first_events' : `reached_${counter.stage}`,
            ]),
            counter.leads,
          ]),
      ),
    },
  }
}

const customers = [
  'ana@contoso.example',
  'ben@contoso.example',
  'cy@fabrikam.example',
  'MSFT_TEST_636573304831318844@test.com',
]
const offers = ['contoso.alpha', 'Alpha Suite', 'contoso.beta']
const leadSources = [
  'TestDrive-StartTestDrive',
  'AzureMarketplace-INS',
  'SPZA-INS',
  'SPZA-PLT',
  'AzurePortal-Create',
  'AzureMarketplace-DNC',
  'AzureMarketplace-SubscribeSaaS',
]

const event = fc.record({
  customer: fc.constantFrom(...customers),
  offer: fc.constantFrom(...offers),
  leadSource: fc.constantFrom(...leadSources),
  // Up to a week back, so events arrive out of order and move a lead's first times earlier.
  at: fc.integer({ min: 0, max: 7 * day }),
})

type RecordedEvent = typeof event extends fc.Arbitrary<infer E> ? E : never

const command = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('ingest' as const), event }) },
  // Several events in one group commit, as concurrent requests and imports record them: the counters' changes are
  // summed over the batch, often several for one lead.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      events: fc.array(event, { minLength: 2, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('configure' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('erase' as const), customer: fc.constantFrom(...customers) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retention' as const) }) },
)

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`funnel counters: ${backend.name}`, () => {
    let opened: Awaited<ReturnType<Backend['open']>>
    beforeAll(async () => {
      opened = await backend.open()
    })
    afterAll(async () => {
      await opened?.close()
    })

    test('equal a full recount after random ingests, offer merges, erasures and retention', async () => {
      const clock = createManualClock(start + 30 * day)
      const ids = createIdGenerator(clock)
      const { store, rows } = opened
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          // A tenant per run: runs share the store and never see each other's counters.
          const tenantId = await createTestTenant(store, { ids, clock })
          for (const step of commands) {
            clock.advance(60_000)
            const now = clock.now()
            const itemOf = (recorded: RecordedEvent) =>
              ingestItemOf(
                tenantId,
                {
                  LeadSource: `${recorded.leadSource}|${recorded.offer}`,
                  CustomerInfo: { Email: recorded.customer, FirstName: 'A' },
                  OccurredAt: new Date(now - recorded.at).toISOString(),
                },
                { ids, clock },
              )
            if (step.kind === 'ingest') {
              await store.recordLeadEvents([itemOf(step.event)], now)
            } else if (step.kind === 'batch') {
              await store.recordLeadEvents(step.events.map(itemOf), now)
            } else if (step.kind === 'configure') {
              // Leads that named the offer by its title join the ones that named its id: their leads merge.
              await store.putOffer(
                tenantId,
                { id: 'contoso.alpha', title: 'Alpha Suite', aliases: ['Alpha Suite'] },
                now,
              )
            } else if (step.kind === 'erase') {
              await store.eraseCustomer({
                tenantId,
                email: step.customer.toLowerCase(),
                actor: 'cli:test',
                now,
                auditId: ids.next('aud'),
                newDeliveryId: () => ids.next('dlv'),
              })
            } else {
              await store.reduceIdleLeadEvents(tenantId, now + 1, 500)
            }
          }
          expect(await counters(rows, tenantId)).toEqual(await recount(rows, tenantId))
          const { stored, counted } = await rollUps(rows, tenantId)
          expect(stored).toEqual(counted)
        }),
        { numRuns: backend.name === 'sqlite' ? 40 : 25 },
      )
    })
  })
}
