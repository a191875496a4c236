import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { PassThrough, Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import { createSubmitWindow, type ImportSummary } from '../../src/services/import-summary.ts'
import { csvLine, parseCsvRecord } from '../../src/services/lead-files/csv-dialect.ts'
import { exportLeads } from '../../src/services/lead-files/export-leads.ts'
import { importLeadFile } from '../../src/services/lead-files/import-lead-file.ts'
import type { LeadFileFormat } from '../../src/services/lead-files/lead-file-columns.ts'
import { readLeadFile } from '../../src/services/lead-files/read-lead-file.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { createWorld, fingerprints, type World } from './world.ts'

setFlagsFromString('--expose-gc')
/** A full collection, so the heap measured is what is retained. */
const collectGarbage = runInNewContext('gc') as () => void

const dir = createTempDir('leadrelay-files-')
afterAll(() => dir.remove())

async function exportToString(world: World, format: LeadFileFormat): Promise<string> {
  const output = new PassThrough()
  const chunks: string[] = []
  output.on('data', (chunk) => chunks.push(String(chunk)))
  await exportLeads(world.store, { tenantId: world.tenantId, format, output })
  output.end()
  await finished(output)
  return chunks.join('')
}

async function importString(world: World, text: string, format: LeadFileFormat) {
  const problems: { line: number; reason: string; message: string }[] = []
  const summary = await importLeadFile(
    { store: world.store, ingest: world.ingest, clock: world.clock },
    { tenantId: world.tenantId, input: Readable.from([text]), format, onProblem: (p) => problems.push(p) },
  )
  await world.ingest.drain()
  return { summary, problems }
}

async function records(text: string, format: LeadFileFormat) {
  const result = []
  for await (const record of readLeadFile(Readable.from([text]), format)) result.push(record)
  return result
}

describe('CSV', () => {
  test('fields with commas, quotes, line breaks and edge spaces round-trip', async () => {
    const values = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'crlf\r\ninside', ' lead', 'trail ', '', '"', 'é ☃ 🚀']
    const text = csvLine(values.map((_, i) => `c${i}`)) + csvLine(values) + csvLine(values)
    const read = await records(text, 'csv')
    expect(read).toHaveLength(2)
    expect(read.map((record) => record.line)).toEqual([2, 5])
    expect(Object.values(read[0]!.fields!)).toEqual(values)
  })

  test('any strings survive csvLine → parser (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), async (values) => {
        const header = csvLine(values.map((_, i) => `c${i}`))
        const [record] = await records(header + csvLine(values), 'csv')
        expect(record?.fields && Object.values(record.fields)).toEqual(values)
      }),
      { numRuns: 300 },
    )
  })

  test('malformed records are reported with their first line, and reading resumes after them', async () => {
    const text = [
      'eventId,email,description',
      'e1,a@example.com,fine',
      'e2,b@example.com', // too few fields
      'e3,c@example.com,"closed" then text',
      'e4,d@exa"mple.com,quote inside',
      'e5,e@example.com,"never closed',
      'e6,f@example.com,after the unclosed one',
      '',
      'e7,g@example.com,"spans',
      'two lines"',
    ].join('\n')
    const read = await records(text, 'csv')
    expect(read.map((record) => [record.line, record.error === undefined])).toEqual([
      [2, true],
      [3, false],
      [4, false],
      [5, false],
      [6, false],
      [7, true],
      [9, true],
    ])
    expect(read[1]?.error).toContain('2 fields where the header has 3')
    expect(read[4]?.error).toContain('quote')
    expect(read[6]?.fields?.description).toBe('spans\ntwo lines')
    expect(parseCsvRecord('a,"b""c",')).toEqual(['a', 'b"c', ''])
  })

  test('JSONL: bad JSON and non-objects are reported by line; header names are matched loosely', async () => {
    const read = await records('{"Event ID":"e1","E-mail":"x"}\n\nnot json\n[1]\n{"email":"y@example.com"}\n', 'jsonl')
    expect(read.map((record) => [record.line, record.error === undefined])).toEqual([
      [1, true],
      [3, false],
      [4, false],
      [5, true],
    ])
    expect(read[0]?.fields).toEqual({ eventId: 'e1', email: 'x' })
  })
})

describe('export → import', () => {
  /** Leads of every kind the merge knows: routed by id and by alias, unrouted, phone-only, unidentified, … */
  async function seedVariety(world: World): Promise<void> {
    await world.store.putOffer(
      world.tenantId,
      { id: 'contoso.crm-suite', title: 'Contoso CRM', aliases: ['CRM Suite'] },
      world.clock.now(),
    )
    const send = async (body: Record<string, unknown>, format: 'api' | 'microsoft' | 'azure-table' = 'api') => {
      world.clock.advance(60_000)
      await world.ingest.ingest({ tenantId: world.tenantId, format, body })
    }
    const jane = { FirstName: 'Jane', LastName: 'Doe', Email: 'Jane.Doe@Contoso.com', Country: 'USA' }
    await send({ LeadSource: 'AzureMarketplace-INS|contoso.crm-suite', CustomerInfo: jane })
    await send({
      LeadSource: 'AzureMarketplace-PLT|contoso.crm-suite',
      CustomerInfo: { ...jane, Phone: '+1 617 555 0100', Company: 'Contoso, Ltd.' },
      Description: 'Call me, "soon"\r\nplease',
    })
    await send({ LeadSource: 'SPZA-DNC|CRM Suite', CustomerInfo: { Email: 'jane.doe@contoso.com' } })
    await send({
      LeadSource: 'AzurePortal-Create|contoso.crm-suite',
      CustomerInfo: { Email: 'jane.doe@contoso.com', Title: 'CTO' },
      CreatedTime: '2026-11-01T08:00:00Z', // older than the events before it
    })
    await send({ LeadSource: 'SPZA-StartTestDrive|CRM Suite', CustomerInfo: { Email: 'sam@fabrikam.com' } })
    await send({
      LeadSource: 'AzureMarketplace-INS|fabrikam.unknown-offer',
      CustomerInfo: { Email: 'sam@fabrikam.com' },
    })
    await send({ ActionCode: 'INS', OfferTitle: 'Contoso CRM', CustomerInfo: { Email: 'kim@example.com' } })
    await send({ LeadSource: 'TestDrive-StartTestDrive|contoso.crm-suite', CustomerInfo: { Phone: '(617) 555-0199' } })
    await send({
      LeadSource: 'TestDrive-INS|contoso.crm-suite',
      CustomerInfo: { Phone: '617.555.0199', FirstName: 'Ph' },
    })
    await send({ LeadSource: 'AzureMarketplace-INS|contoso.crm-suite', CustomerInfo: { FirstName: 'Anon' } })
    await send({ LeadSource: 'AzureMarketplace-INS|contoso.crm-suite', CustomerInfo: { FirstName: 'Anon' } })
    await send({
      LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
      CustomerInfo: { Email: 'not-an-email', Phone: '+44 20 7946 0000' },
    })
    await send({
      LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
      CustomerInfo: { Email: 'MSFT_TEST_636573304831318844@test.com', FirstName: 'MSFT_TEST_636573304831318844' },
    })
    await send(
      {
        LeadSource: 'AzureMarketplace-PLT|contoso.crm-suite',
        CustomerInfo: JSON.stringify({ Email: 'lee@example.com', FirstName: '  Lée ☃ ', Company: '=SUM(A1)' }),
        Campaign: 'spring, 2026',
        Tracking: { mktcmpid: 'abc', partnerid: 7 },
        Description: '   Campaigns: "x"; y\nz   ',
      },
      'azure-table',
    )
    await send(
      {
        UserDetails: { FirstName: 'Some', LastName: 'One', Email: 'someone@contoso.com', Country: 'USA' },
        LeadSource: 'AzureMarketplace',
        ActionCode: 'INS',
        OfferTitle: 'Test Microsoft',
        Description: 'Test run through Power Automate',
      },
      'microsoft',
    )
  }

  test.each<LeadFileFormat>(['csv', 'jsonl'])(
    '%s: an empty store gets the same leads and event histories; importing twice adds nothing',
    async (format) => {
      const source = await createWorld()
      const target = await createWorld(Date.UTC(2027, 0, 1))
      try {
        await seedVariety(source)
        const text = await exportToString(source, format)
        const first = await importString(target, text, format)
        expect(first.problems).toEqual([])
        const events = await source.store.countLeadEvents(source.tenantId)
        expect(first.summary).toMatchObject({ read: events, skipped: 0, offersCreated: 1 })
        expect(first.summary.new + first.summary.merged).toBe(events)
        expect(await fingerprints(target, true)).toEqual(await fingerprints(source, true))
        expect((await target.store.getOffer(target.tenantId, 'contoso.crm-suite'))?.title).toBe('Contoso CRM')

        const second = await importString(target, text, format)
        expect(second.summary).toMatchObject({
          read: events,
          new: 0,
          merged: 0,
          skipped: events,
          reasons: { 'already imported': events },
        })
        expect(await target.store.countLeadEvents(target.tenantId)).toBe(events)
        // And what the target exports imports into a third store just the same.
        const third = await createWorld()
        try {
          await importString(third, await exportToString(target, format), format)
          expect(await fingerprints(third, true)).toEqual(await fingerprints(source, true))
        } finally {
          await third.dispose()
        }
      } finally {
        await source.dispose()
        await target.dispose()
      }
    },
  )

  test('malformed and invalid rows are skipped with their line numbers; the good rows are imported', async () => {
    const world = await createWorld()
    try {
      const text = [
        'eventId,occurredAt,leadSource,email,firstName,extra',
        'e1,2026-11-01T10:00:00Z,AzureMarketplace-INS|contoso.crm-suite,a@example.com,Ann,',
        'e2,yesterday-ish,AzureMarketplace-INS|contoso.crm-suite,b@example.com,Bob,',
        'e3,2026-11-01T10:00:00Z,AzureMarketplace-INS|contoso.crm-suite,c@example.com',
        'e4,2026-11-01T10:00:00Z,,,,',
        'e5,2026-11-01T10:00:00Z,AzureMarketplace-INS|contoso.crm-suite,d@example.com,Dee,{not json}',
        'e6,2026-11-01T10:00:00Z,AzureMarketplace-PLT|contoso.crm-suite,a@example.com,"Ann ""Annie""",',
        'e7,2026-11-01T10:00:00Z,"AzureMarketplace-INS|contoso.crm-suite,e@example.com,Eve,',
        'e8,2026-11-02T10:00:00Z,AzureMarketplace-INS|contoso.crm-suite,f@example.com,"Fay',
        'Line two","{""Campaign"":""x""}"',
      ].join('\r\n')
      const { summary, problems } = await importString(world, text, 'csv')
      expect(problems.map((problem) => [problem.line, problem.reason])).toEqual([
        [3, 'malformed row'],
        [4, 'malformed row'],
        [5, 'no lead source, offer or customer'],
        [6, 'malformed row'],
        [8, 'malformed row'],
      ])
      expect(problems[0]?.message).toContain('occurredAt')
      expect(summary).toMatchObject({ read: 8, new: 2, merged: 1, skipped: 5 })
      const leads = (await world.store.listLeads(world.tenantId, {}, { limit: 10 })).items
      expect(leads.map((lead) => lead.customer.email).sort()).toEqual(['a@example.com', 'f@example.com'])
      const ann = leads.find((lead) => lead.customer.email === 'a@example.com')!
      expect(ann).toMatchObject({ eventCount: 2, stage: 'active', customer: { firstName: 'Ann "Annie"' } })
      const fay = leads.find((lead) => lead.customer.email === 'f@example.com')!
      const [fayEvent] = await world.store.listLeadEvents(world.tenantId, fay.id)
      expect(fayEvent).toMatchObject({ customer: { firstName: 'Fay  Line two' }, extra: { Campaign: 'x' } })
    } finally {
      await world.dispose()
    }
  })
})

// Slow: about 1 ms of store work per event on each side (see docs/import-export.md for measured figures).
describe('100,000 leads', () => {
  test('[slow] export → import round-trips with identical content in flat memory', async () => {
    const leads = 100_000
    const source = await createWorld(Date.UTC(2026, 0, 1))
    const target = await createWorld(Date.UTC(2027, 0, 1))
    try {
      await source.store.putOffer(source.tenantId, { id: 'contoso.crm-suite', aliases: [] }, source.clock.now())
      const actions = ['INS', 'PLT', 'StartTestDrive', 'Create', 'DNC']
      const seeding = Date.now()
      const window = createSubmitWindow(1000)
      for (let i = 0; i < leads; i++) {
        // Every twentieth customer comes back a second time (an event merged into the lead).
        for (let visit = 0; visit < (i % 20 === 0 ? 2 : 1); visit++) {
          const action = actions[(i + visit) % actions.length]!
          await window.add(
            source.ingest
              .ingest({
                tenantId: source.tenantId,
                format: 'api',
                idempotencyKey: `seed-${i}-${visit}`,
                body: {
                  LeadSource: `AzureMarketplace-${action}|${i % 3 === 0 ? 'fabrikam.other' : 'contoso.crm-suite'}`,
                  CreatedTime: new Date(Date.UTC(2025, 0, 1) + i * 60_000 + visit * 3_600_000).toISOString(),
                  CustomerInfo: {
                    FirstName: `First${i}`,
                    LastName: i % 7 === 0 ? 'O"Brien, Jr.' : `Last${i}`,
                    Email: `customer${i}@example.com`,
                    Phone: `+1 617 555 ${String(i).padStart(6, '0')}`,
                    Country: 'US',
                    Company: `Company ${i % 1000}`,
                  },
                  ...(i % 5 === 0 && { Description: `Note ${i}: "call", please\nafter 5pm` }),
                },
              })
              .then(() => undefined),
          )
        }
      }
      await window.finish()
      await source.ingest.drain()
      const seedMs = Date.now() - seeding
      const events = await source.store.countLeadEvents(source.tenantId)
      expect(events).toBe(leads + leads / 20)

      const file = `${dir.path}/leads.csv`
      // Retained heap (after a full collection) is what has to stay flat; the raw peak also counts garbage that
      // was not collected yet, and is logged for information.
      const mb = (bytes: number) => bytes / 1024 / 1024
      collectGarbage()
      const baseline = process.memoryUsage().heapUsed
      let rawPeak = baseline
      let retainedPeak = baseline
      const sample = (collect: boolean) => {
        rawPeak = Math.max(rawPeak, process.memoryUsage().heapUsed)
        if (!collect) return
        collectGarbage()
        retainedPeak = Math.max(retainedPeak, process.memoryUsage().heapUsed)
      }
      const sampler = setInterval(() => sample(false), 20)
      const started = Date.now()
      const output = createWriteStream(file)
      let pages = 0
      const exported = await exportLeads(source.store, {
        tenantId: source.tenantId,
        format: 'csv',
        output,
        onProgress: () => sample(++pages % 20 === 0),
      })
      output.end()
      await finished(output)
      const exportMs = Date.now() - started
      const importStarted = Date.now()
      const summary: ImportSummary = await importLeadFile(
        { store: target.store, ingest: target.ingest, clock: target.clock },
        {
          tenantId: target.tenantId,
          input: createReadStream(file),
          format: 'csv',
          onProgress: (line) => {
            if (line % 10_000 === 0) sample(true)
          },
        },
      )
      await target.ingest.drain()
      const importMs = Date.now() - importStarted
      clearInterval(sampler)
      sample(true)
      console.log(
        `100k round trip: seeded ${events} events in ${seedMs} ms; exported ${exported.leads} leads / ${exported.rows} rows (${mb(statSync(file).size).toFixed(1)} MB) in ${exportMs} ms; imported in ${importMs} ms; heap after GC ${mb(baseline).toFixed(1)} MB, retained growth at most ${mb(retainedPeak - baseline).toFixed(1)} MB, raw heapUsed growth at most ${mb(rawPeak - baseline).toFixed(1)} MB`,
      )
      expect(exported).toEqual({ leads, rows: events })
      expect(summary).toMatchObject({ read: events, new: leads, merged: leads / 20, skipped: 0 })
      expect(mb(retainedPeak - baseline)).toBeLessThan(50)
      expect(await fingerprints(target)).toEqual(await fingerprints(source))
    } finally {
      await source.dispose()
      await target.dispose()
    }
  }, 900_000)
})
