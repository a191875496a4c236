import { describe, expect, test } from 'vitest'
import { buildFunnelReport, buildOverTime, type FunnelCounts, timeBucketsFor } from './funnel-report.ts'

const day = 86_400_000

describe('buildFunnelReport', () => {
  // Four customers in the period: one trialed and bought, one trialed only, one went straight to "Get it now",
  // one straight to "Contact me"; two got do-not-contact notices (one of them had trialed).
  const counts: FunnelCounts = {
    bySourceAndStage: [
      { source: 'TestDrive', stage: 'trial', leads: 2 },
      { source: 'AzureMarketplace', stage: 'initial_interest', leads: 2 },
      { source: 'AzureMarketplace', stage: 'do_not_contact', leads: 1 },
      { source: 'AppSource', stage: 'do_not_contact', leads: 1 },
      { source: 'AppSource', stage: 'active', leads: 2 },
    ],
    byStage: [
      { stage: 'trial', leads: 2 },
      { stage: 'initial_interest', leads: 2 },
      { stage: 'active', leads: 2 },
      { stage: 'do_not_contact', leads: 2 },
    ],
    byFurthestStage: [
      { stage: 'trial', leads: 1 },
      { stage: 'initial_interest', leads: 1 },
      { stage: 'active', leads: 2 },
    ],
    trialedByFurthestStage: [
      { stage: 'trial', leads: 1 },
      { stage: 'active', leads: 1 },
    ],
  }

  test('trial counts only customers who had a trial; conversion from trial is among them', () => {
    const report = buildFunnelReport(counts)
    expect(report.reached).toEqual({ trial: 2, initial_interest: 3, active: 2, customer: 0, churned: 0 })
    expect(report.conversion.slice(0, 2)).toEqual([
      { from: 'trial', to: 'initial_interest', rate: 0.5 },
      { from: 'initial_interest', to: 'active', rate: 2 / 3 },
    ])
  })

  test('do-not-contact comes from the same event counts as the by-source table', () => {
    const report = buildFunnelReport(counts)
    expect(report.withEvent.do_not_contact).toBe(2)
    const bySource = report.bySource.reduce((sum, row) => sum + row.stages.do_not_contact, 0)
    expect(bySource).toBe(report.withEvent.do_not_contact)
  })

  test('no trial: the rate from trial is unknown, not 0 or infinite', () => {
    const report = buildFunnelReport({ ...counts, trialedByFurthestStage: [] })
    expect(report.reached.trial).toBe(0)
    expect(report.conversion[0]?.rate).toBeNull()
  })
})

describe('leads over time', () => {
  test('days from the start of the period up to its end, or now when sooner', () => {
    const since = Date.UTC(2026, 10, 1)
    expect(timeBucketsFor({ since, until: since + 7 * day }, since + 3600_000, since + 30 * day)).toEqual({
      unit: 'day',
      origin: since,
      sizeMs: day,
      count: 7,
    })
    expect(timeBucketsFor({ since }, undefined, since + 2.5 * day)?.count).toBe(3)
  })

  test('all time: from the UTC midnight before the first event; weeks past three months', () => {
    const first = Date.UTC(2026, 0, 10, 15, 30)
    const buckets = timeBucketsFor({}, first, Date.UTC(2026, 11, 1))
    expect(buckets?.unit).toBe('week')
    expect(buckets?.origin).toBe(Date.UTC(2026, 0, 10))
    expect(timeBucketsFor({}, undefined, Date.UTC(2026, 11, 1))).toBeUndefined()
  })

  test('at most 400 buckets: the earliest are dropped, each still one week', () => {
    const buckets = timeBucketsFor({}, Date.UTC(2000, 0, 1), Date.UTC(2026, 0, 1))!
    expect(buckets.count).toBe(400)
    expect(buckets.sizeMs).toBe(7 * day)
    expect(buckets.origin + buckets.count * buckets.sizeMs).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1))
  })

  test('empty buckets are zero; counts land in their bucket', () => {
    const overTime = buildOverTime(
      { unit: 'day', origin: 0, sizeMs: day, count: 3 },
      {
        byBucket: [
          { bucket: 0, leads: 2 },
          { bucket: 2, leads: 1 },
        ],
        byBucketAndStage: [
          { bucket: 0, stage: 'active', leads: 2 },
          { bucket: 2, stage: 'unclassified', leads: 1 },
        ],
      },
    )
    expect(overTime.buckets.map((bucket) => bucket.leads)).toEqual([2, 0, 1])
    expect(overTime.buckets[0]?.stages.active).toBe(2)
    expect(overTime.buckets[1]?.start).toBe('1970-01-02T00:00:00.000Z')
  })
})

describe('customers and churn', () => {
  // Six leads: two still customers (one came through a trial), one suspended, one churned, one active, one trial only.
  const counts: FunnelCounts = {
    bySourceAndStage: [],
    byStage: [],
    byFurthestStage: [
      { stage: 'trial', leads: 1 },
      { stage: 'active', leads: 1 },
      { stage: 'customer', leads: 2 },
      { stage: 'suspended', leads: 1 },
      { stage: 'churned', leads: 1 },
    ],
    trialedByFurthestStage: [
      { stage: 'trial', leads: 1 },
      { stage: 'customer', leads: 1 },
    ],
  }

  test('a suspended or churned lead was a customer; churned counts only those who left', () => {
    const report = buildFunnelReport(counts)
    expect(report.reached).toEqual({ trial: 2, initial_interest: 5, active: 5, customer: 4, churned: 1 })
    expect(report.stages).toMatchObject({ customer: 2, suspended: 1, churned: 1 })
  })

  test('conversion to customer from each earlier step, and from customer to churned', () => {
    const rates = Object.fromEntries(
      buildFunnelReport(counts).conversion.map((entry) => [`${entry.from}>${entry.to}`, entry.rate]),
    )
    expect(rates).toEqual({
      'trial>initial_interest': 0.5,
      'initial_interest>active': 1,
      'active>customer': 0.8,
      'customer>churned': 0.25,
      'trial>customer': 0.5,
      'initial_interest>customer': 0.8,
    })
  })
})
