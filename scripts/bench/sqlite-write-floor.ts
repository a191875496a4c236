/**
 * How fast this machine's SQLite can write what a bulk import must write, with none of Leadrelay's own work: for each
 * event its `lead_events` row, its delivery's row and, for two events in five, a new lead's row (rows as large as
 * the store's), 5,000 events per transaction in WAL mode with the store's page cache (docs/import-export.md, "What
 * bounds the import"). Two floors:
 *
 * - `appends`: row ids that only grow, no secondary index, no lookup, every value computed before the loop;
 * - `with lookups`: the indexes and reads dedupe and merge cannot do without (each event looked up by its
 *   idempotency key, its lead by tenant, offer and merge key, its content hash indexed; customers return at random
 *   as in the generated files, so three in five events find their lead), values still computed before the loop.
 *
 *   npm run bench:write-floor -- [events, default 1000000]
 */

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'

const events = Number(process.argv[2] ?? 1_000_000)
const batch = 5000

const schema = `
  create table lead_events (seq integer primary key autoincrement, id text not null unique, tenant_id text not null,
    lead_id text not null, format text not null, received_at integer not null, occurred_at integer not null,
    lead_source text, source text, action text, stage text not null, offer_ref text, offer_title text,
    description text, customer text not null, invalid text, extra text, is_test integer not null,
    idempotency_key text, content_hash text not null, result text not null) strict;
  create table deliveries (id text primary key, tenant_id text not null, lead_id text not null,
    destination_id text not null, lead_version integer not null, state text not null, attempts integer not null,
    run_at integer not null, retry_from integer not null, created_at integer not null, updated_at integer not null) strict;
  create table leads (id text primary key, tenant_id text not null, offer_key text not null, merge_key text,
    email text, first_name text, last_name text, stage text not null, event_count integer not null,
    first_event_at integer not null, last_event_at integer not null, version integer not null, company text,
    country text, phone text, title text) strict;`

const lookupIndexes = `
  create unique index lead_events_idempotency on lead_events (tenant_id, idempotency_key);
  create index lead_events_content on lead_events (tenant_id, content_hash, received_at);
  create unique index leads_identity on leads (tenant_id, offer_key, merge_key);`

const customer = JSON.stringify({
  firstName: 'Jane',
  lastName: 'Doe',
  email: 'user123456@company1234.example',
  phone: '+1 425 555 0000',
  country: 'US',
  company: 'Company 123456',
  title: 'CTO',
})
const receipt =
  '{"eventId":"evt_01M98AASWKZR3MKFEV9P02A2DZ","leadId":"ld_01M98AASWKZR3MKFEV9P02A2DZ","routed":true,"stage":"trial","leadStage":"trial","isTest":false,"newLead":true,"deliveries":1,"warnings":[]}'

/** Deterministic pseudo-random numbers (mulberry32), so both floors see the same customers. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function run(kind: 'appends' | 'with lookups'): { seconds: number; bytes: number } {
  const dir = mkdtempSync(join(os.tmpdir(), 'leadrelay-write-floor-'))
  try {
    const database = new SQLite(join(dir, 'floor.db'))
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = NORMAL')
    database.pragma('cache_size = -262144')
    database.exec(schema)
    if (kind === 'with lookups') database.exec(lookupIndexes)
    const insertEvent = database.prepare(
      `insert into lead_events (id, tenant_id, lead_id, format, received_at, occurred_at, lead_source, source, action,
        stage, offer_ref, offer_title, description, customer, invalid, extra, is_test, idempotency_key, content_hash,
        result) values (?, 'ten_1', ?, 'file', ?, ?, 'AzureMarketplace-INS|contoso.offer-01', 'AzureMarketplace', 'INS',
        'trial', 'contoso.offer-01', 'Contoso Offer 1', 'Please call me', ?, null, null, 0, ?, ?, ?)`,
    )
    const insertDelivery = database.prepare(
      `insert into deliveries values (?, 'ten_1', ?, 'dst_1', 1, 'queued', 0, ?, ?, ?, ?)`,
    )
    const insertLead = database.prepare(
      `insert into leads values (?, 'ten_1', ?, ?, ?, 'Jane', 'Doe', 'trial', 1, ?, ?, 1, 'Company 123456', 'US',
        '+1 425 555 0000', 'CTO')`,
    )
    const byKey = database.prepare('select content_hash from lead_events where tenant_id = ? and idempotency_key = ?')
    const byIdentity = database.prepare('select id from leads where tenant_id = ? and offer_key = ? and merge_key = ?')
    const next = random(42)
    const customers = Math.round(events * 0.4)
    const pad = (n: number) => String(n).padStart(12, '0')
    // Every value the loop writes, made before the clock starts.
    const rows = Array.from({ length: events }, (_, n) => {
      const who = Math.floor(next() * customers)
      return {
        event: `evt_01M98AAS${pad(n)}`,
        delivery: `dlv_01M98AAS${pad(n)}`,
        newLead: `ld_01M98AAS${pad(n)}`,
        offer: `contoso.offer-${String(who % 20).padStart(2, '0')}`,
        mergeKey: `user${who}@company${who % 5000}.example`,
        key: `file:gen-${n}`,
        hash: (who * 2654435761 + n * 40503).toString(16).padStart(16, '0').repeat(4),
      }
    })
    const seen = new Set<string>()
    const started = process.hrtime.bigint()
    for (let from = 0; from < events; from += batch) {
      database.exec('begin immediate')
      for (let n = from; n < Math.min(events, from + batch); n++) {
        const row = rows[n]!
        let leadId: string
        if (kind === 'with lookups') {
          byKey.get('ten_1', row.key)
          const found = byIdentity.get('ten_1', row.offer, row.mergeKey) as { id: string } | undefined
          leadId = found?.id ?? row.newLead
          if (!found) insertLead.run(leadId, row.offer, row.mergeKey, row.mergeKey, n, n)
        } else {
          // The same share of new leads, without looking for them.
          const identity = `${row.offer} ${row.mergeKey}`
          leadId = row.newLead
          if (!seen.has(identity)) {
            seen.add(identity)
            insertLead.run(leadId, row.offer, row.mergeKey, row.mergeKey, n, n)
          }
        }
        insertDelivery.run(row.delivery, leadId, n, n, n, n)
        insertEvent.run(row.event, leadId, n, n, customer, row.key, row.hash, receipt)
      }
      database.exec('commit')
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    database.close()
    return { seconds, bytes: statSync(join(dir, 'floor.db')).size }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

process.stdout.write(
  `SQLite write floor: ${events.toLocaleString('en-US')} events, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}\n`,
)
for (const kind of ['appends', 'with lookups'] as const) {
  const { seconds, bytes } = run(kind)
  process.stdout.write(
    `  ${kind.padEnd(13)} ${seconds.toFixed(1)} s, ${Math.round(events / seconds).toLocaleString('en-US')} events/s, ${((seconds / events) * 1e6).toFixed(1)} µs per event, ${(bytes / 1e6).toFixed(0)} MB\n`,
  )
}
process.stdout.write(`load average ${os.loadavg()[0]!.toFixed(2)} at the end\n`)
