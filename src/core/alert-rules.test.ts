import { describe, expect, test } from 'vitest'
import { type AlertCriteria, type AlertLeadChange, type AlertRule, alertsToFire, ruleCovers } from './alert-rules.ts'
import type { Stage } from './funnel.ts'

function rule(criteria: Partial<AlertCriteria> = {}, extra: Partial<AlertRule> = {}): AlertRule {
  return {
    id: 'arl_1',
    tenantId: 'tnt_1',
    name: 'Active',
    enabled: true,
    channelIds: ['ach_1'],
    criteria: { offers: [], stage: 'active', sources: [], countries: [], includeTest: false, ...criteria },
    ...extra,
  }
}

function change(
  before: Stage | undefined,
  after: Stage,
  lead: Partial<AlertLeadChange['after']> = {},
): AlertLeadChange {
  return {
    before: before === undefined ? undefined : { stage: before },
    after: {
      stage: after,
      doNotContact: false,
      isTest: false,
      source: 'AzureMarketplace',
      customer: { country: 'US' },
      ...lead,
    },
    offerId: 'contoso.crm-suite',
    offerKey: 'contoso.crm-suite',
  }
}

const fired = (rules: AlertRule[], lead: AlertLeadChange) => alertsToFire(rules, lead).map((alert) => alert.stage)

describe('alertsToFire', () => {
  test('fires when the lead reaches the stage with this event, not before and not again', () => {
    expect(fired([rule()], change(undefined, 'active'))).toEqual(['active'])
    expect(fired([rule()], change('initial_interest', 'active'))).toEqual(['active'])
    expect(fired([rule()], change(undefined, 'initial_interest'))).toEqual([])
    // Already active: a further PLT leaves the stage where it is.
    expect(fired([rule()], change('active', 'active'))).toEqual([])
  })

  test('skipping past the stage still fires it; a lead that had passed it does not', () => {
    expect(fired([rule({ stage: 'trial' })], change(undefined, 'initial_interest'))).toEqual(['trial'])
    expect(fired([rule({ stage: 'initial_interest' })], change(undefined, 'customer'))).toEqual(['initial_interest'])
    expect(fired([rule({ stage: 'initial_interest' })], change('customer', 'customer'))).toEqual([])
  })

  test('never for do-not-contact leads; test leads only when the rule asks', () => {
    expect(fired([rule()], change(undefined, 'active', { doNotContact: true }))).toEqual([])
    expect(fired([rule({ includeTest: true })], change(undefined, 'active', { doNotContact: true }))).toEqual([])
    expect(fired([rule()], change(undefined, 'active', { isTest: true }))).toEqual([])
    expect(fired([rule({ includeTest: true })], change(undefined, 'active', { isTest: true }))).toEqual(['active'])
  })

  test('a disabled rule or one without channels fires nothing; each matching rule fires once', () => {
    expect(fired([rule({}, { enabled: false })], change(undefined, 'active'))).toEqual([])
    expect(fired([rule({}, { channelIds: [] })], change(undefined, 'active'))).toEqual([])
    const rules = [rule(), rule({ stage: 'initial_interest' }, { id: 'arl_2' }), rule({}, { id: 'arl_3' })]
    expect(alertsToFire(rules, change(undefined, 'active')).map((alert) => alert.rule.id)).toEqual([
      'arl_1',
      'arl_2',
      'arl_3',
    ])
  })
})

describe('ruleCovers', () => {
  test('offers by id or by the name leads carry, without regard to case', () => {
    const criteria = rule({ offers: ['Contoso.CRM-Suite'] }).criteria
    expect(ruleCovers(criteria, change(undefined, 'active'))).toBe(true)
    const unconfigured = { ...change(undefined, 'active'), offerId: undefined, offerKey: 'contoso.crm-suite' }
    expect(ruleCovers(criteria, unconfigured)).toBe(true)
    expect(ruleCovers(criteria, { ...change(undefined, 'active'), offerId: 'other', offerKey: 'Other Offer' })).toBe(
      false,
    )
  })

  test('sources and countries compared without regard to case; a missing country is not any country', () => {
    const criteria = rule({ sources: ['appsource'], countries: ['us', 'DE'] }).criteria
    expect(ruleCovers(criteria, change(undefined, 'active', { source: 'AppSource' }))).toBe(true)
    expect(ruleCovers(criteria, change(undefined, 'active', { source: 'AzureMarketplace' }))).toBe(false)
    expect(
      ruleCovers(criteria, change(undefined, 'active', { source: 'AppSource', customer: { country: 'de' } })),
    ).toBe(true)
    expect(
      ruleCovers(criteria, change(undefined, 'active', { source: 'AppSource', customer: { country: 'FR' } })),
    ).toBe(false)
    expect(ruleCovers(criteria, change(undefined, 'active', { source: 'AppSource', customer: {} }))).toBe(false)
    // Empty lists mean any.
    expect(ruleCovers(rule().criteria, change(undefined, 'active', { source: undefined, customer: {} }))).toBe(true)
  })
})

describe('subscription stages', () => {
  test('customer fires once a lead buys; suspended is past it, so it does not fire again', () => {
    expect(fired([rule({ stage: 'customer' })], change('active', 'customer'))).toEqual(['customer'])
    expect(fired([rule({ stage: 'customer' })], change('customer', 'suspended'))).toEqual([])
    // Buying is also reaching active.
    expect(fired([rule({ stage: 'active' })], change('initial_interest', 'customer'))).toEqual(['active'])
  })

  test('churned fires when the customer leaves, not for other subscription stages', () => {
    expect(fired([rule({ stage: 'churned' })], change('customer', 'churned'))).toEqual(['churned'])
    expect(fired([rule({ stage: 'churned' })], change('active', 'suspended'))).toEqual([])
    expect(fired([rule({ stage: 'churned' })], change('churned', 'churned'))).toEqual([])
  })
})
