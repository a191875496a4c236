import { afterEach, beforeEach, expect, test } from 'vitest'
import { seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer
beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
})

async function send(leadSource: string, email: string) {
  const response = await t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { 'content-type': 'application/json', ...bearer(t.tenant) },
    payload: JSON.stringify(seedLead(leadSource, { Email: email })),
  })
  expect(response.statusCode).toBe(202)
}

test('the funnel counts a known data set: stages, sources, conversion, test leads excluded', async () => {
  // 4 customers start a test drive; 3 of them click Get it now; 1 buys in the portal; 1 only asks to be contacted.
  for (const n of [1, 2, 3, 4]) await send('TestDrive-StartTestDrive|contoso.a', `c${n}@example.com`)
  for (const n of [1, 2, 3]) await send('AzureMarketplace-INS|contoso.a', `c${n}@example.com`)
  await send('AzurePortal-Create|contoso.a', 'c1@example.com')
  await send('SPZA-PLT|contoso.a', 'c5@example.com')
  // Noise that must not count: a test lead, another offer, an event outside the period.
  await send('AzureMarketplace-INS|contoso.a', 'MSFT_TEST_636573304831318844@test.com')
  await send('AzureMarketplace-INS|contoso.b', 'c9@example.com')
  t.clock.advance(2 * 86_400_000)
  await send('AzureMarketplace-INS|contoso.a', 'late@example.com')

  const until = new Date(Date.UTC(2026, 10, 26)).toISOString()
  const response = await t.server.app.inject({
    method: 'GET',
    url: `/v1/funnel?offer=contoso.a&until=${until}`,
    headers: bearer(t.tenant),
  })
  expect(response.statusCode).toBe(200)
  const report = response.json()
  expect(report.leads).toBe(5)
  expect(report.stages).toMatchObject({ trial: 1, initial_interest: 2, active: 2 })
  // Trial counts only the four who had a test drive (c5 went straight to "Contact me"); three of them went on.
  expect(report.reached).toEqual({ trial: 4, initial_interest: 4, active: 2, customer: 0, churned: 0 })
  expect(report.conversion.slice(0, 2)).toEqual([
    { from: 'trial', to: 'initial_interest', rate: 0.75 },
    { from: 'initial_interest', to: 'active', rate: 0.5 },
  ])
  expect(report.withEvent).toMatchObject({ trial: 4, initial_interest: 3, active: 2, do_not_contact: 0 })
  const bySource = Object.fromEntries(
    report.bySource.map((row: { source: string; stages: object }) => [row.source, row.stages]),
  )
  expect(bySource.TestDrive).toMatchObject({ trial: 4 })
  expect(bySource.AzureMarketplace).toMatchObject({ initial_interest: 3 })
  expect(bySource.AzurePortal).toMatchObject({ active: 1 })
  expect(bySource.AppSource).toMatchObject({ active: 1 })
})

test('do-not-contact notices: the total and the by-source table count the same customers', async () => {
  // A customer who trialed and then got a DNC notice keeps "trial" as furthest stage; the notice still counts.
  await send('TestDrive-StartTestDrive|contoso.a', 'd1@example.com')
  await send('AzureMarketplace-DNC|contoso.a', 'd1@example.com')
  await send('AzureMarketplace-DNC|contoso.a', 'd2@example.com')
  await send('AppSource-DNC|contoso.a', 'd3@example.com')
  const response = await t.server.app.inject({ method: 'GET', url: '/v1/funnel', headers: bearer(t.tenant) })
  const report = response.json()
  expect(report.withEvent.do_not_contact).toBe(3)
  const fromSources = report.bySource.reduce(
    (sum: number, row: { stages: { do_not_contact: number } }) => sum + row.stages.do_not_contact,
    0,
  )
  expect(fromSources).toBe(report.withEvent.do_not_contact)
  expect(report.reached.trial).toBe(1)
})

test('leads over time: distinct customers per day of the period, per stage, empty days as zero', async () => {
  // Day 0: two customers (one sends twice); day 1: nothing; day 2: one customer starts a trial.
  await send('AzureMarketplace-INS|contoso.a', 'o1@example.com')
  await send('AzureMarketplace-PLT|contoso.a', 'o1@example.com')
  await send('AzureMarketplace-INS|contoso.a', 'o2@example.com')
  t.clock.advance(2 * 86_400_000)
  await send('TestDrive-StartTestDrive|contoso.a', 'o3@example.com')
  const since = new Date(Date.UTC(2026, 10, 25)).toISOString()
  const until = new Date(Date.UTC(2026, 10, 28)).toISOString()
  const response = await t.server.app.inject({
    method: 'GET',
    url: `/v1/funnel?since=${since}&until=${until}`,
    headers: bearer(t.tenant),
  })
  const { overTime } = response.json()
  expect(overTime.unit).toBe('day')
  expect(overTime.buckets.map((bucket: { start: string }) => bucket.start)).toEqual([
    '2026-11-25T00:00:00.000Z',
    '2026-11-26T00:00:00.000Z',
    '2026-11-27T00:00:00.000Z',
  ])
  expect(overTime.buckets.map((bucket: { leads: number }) => bucket.leads)).toEqual([2, 0, 1])
  expect(overTime.buckets[0].stages).toEqual({
    trial: 0,
    initial_interest: 2,
    active: 1,
    customer: 0,
    churned: 0,
    do_not_contact: 0,
  })
  expect(overTime.buckets[2].stages).toEqual({
    trial: 1,
    initial_interest: 0,
    active: 0,
    customer: 0,
    churned: 0,
    do_not_contact: 0,
  })
})
