import { describe, expect, test } from 'vitest'
import { type CountedLead, FunnelDeltas, funnelContributions } from './funnel-counters.ts'

const day = 86_400_000
const march = Date.UTC(2026, 2, 1)

const lead: CountedLead = {
  tenantId: 'tnt_1',
  offerKey: 'contoso.alpha',
  isTest: false,
  stage: 'trial',
  firstEventAt: march + 3 * 3_600_000,
  reached: {
    initial_interest: { at: march + 3 * 3_600_000, source: 'AzureMarketplace' },
    trial: { at: march + 2 * day + 60_000 },
  },
}

describe('funnelContributions', () => {
  test('a lead counts as new on its first day, as trialed on its first trial, and once per stage it reached', () => {
    const common = { tenantId: 'tnt_1', offerKey: 'contoso.alpha' }
    expect(funnelContributions(lead)).toEqual([
      { ...common, measure: 'new', day: march, stage: 'trial', source: '' },
      { ...common, measure: 'trialed', day: march + 2 * day, stage: 'trial', source: '' },
      { ...common, measure: 'reached', day: march + 2 * day, stage: 'trial', source: '' },
      { ...common, measure: 'reached', day: march, stage: 'initial_interest', source: 'AzureMarketplace' },
    ])
  })

  test('a test lead counts nowhere', () => {
    expect(funnelContributions({ ...lead, isTest: true })).toEqual([])
  })
})

describe('FunnelDeltas', () => {
  test('sums the changes of many leads into one change per counter, leaving out those that cancel', () => {
    const deltas = new FunnelDeltas()
    const arrived: CountedLead = {
      ...lead,
      stage: 'initial_interest',
      reached: { initial_interest: lead.reached.initial_interest! },
    }
    // Three leads arrive; two of them then start a trial.
    for (let customer = 0; customer < 3; customer++) deltas.change(undefined, arrived)
    for (let customer = 0; customer < 2; customer++) deltas.change(arrived, lead)
    expect(deltas.deltas().map(({ counter, leads }) => [counter.measure, counter.stage, counter.day, leads])).toEqual([
      ['new', 'initial_interest', march, 1],
      ['new', 'trial', march, 2],
      ['reached', 'initial_interest', march, 3],
      ['reached', 'trial', march + 2 * day, 2],
      ['trialed', 'trial', march + 2 * day, 2],
    ])
  })

  test('a lead that moves to another offer leaves its counters there and adds them here', () => {
    const deltas = new FunnelDeltas()
    deltas.change(lead, { ...lead, offerKey: 'contoso.beta' })
    const changesOf = (offerKey: string) =>
      deltas
        .deltas()
        .filter(({ counter }) => counter.offerKey === offerKey)
        .map(({ leads }) => leads)
    expect(changesOf('contoso.alpha')).toEqual([-1, -1, -1, -1])
    expect(changesOf('contoso.beta')).toEqual([1, 1, 1, 1])
  })

  test('a deleted lead takes its contributions away; a lead written unchanged changes nothing', () => {
    const deltas = new FunnelDeltas()
    deltas.change(lead, lead)
    expect(deltas.deltas()).toEqual([])
    deltas.change(lead, undefined)
    expect(deltas.deltas().map(({ leads }) => leads)).toEqual([-1, -1, -1, -1])
  })
})
