import { describe, expect, test } from 'vitest'
import {
  type ActionMeaning,
  createActionMeanings,
  defaultActionMeanings,
  furtherStage,
  isStage,
  meaningOf,
  nextStage,
  type Stage,
  stages,
} from './funnel.ts'

describe('meaningOf with the default table', () => {
  test.each<[string | undefined, ActionMeaning]>([
    ['StartTestDrive', { stage: 'trial', byCustomer: true }],
    ['starttestdrive', { stage: 'trial', byCustomer: true }],
    ['STARTTESTDRIVE', { stage: 'trial', byCustomer: true }],
    ['INS', { stage: 'initial_interest', byCustomer: true }],
    ['ins', { stage: 'initial_interest', byCustomer: true }],
    ['Ins', { stage: 'initial_interest', byCustomer: true }],
    ['PLT', { stage: 'active', byCustomer: true }],
    ['plt', { stage: 'active', byCustomer: true }],
    ['Create', { stage: 'active', byCustomer: true }],
    ['create', { stage: 'active', byCustomer: true }],
    ['CREATE', { stage: 'active', byCustomer: true }],
    ['DNC', { stage: 'do_not_contact', byCustomer: false }],
    ['dnc', { stage: 'do_not_contact', byCustomer: false }],
    // Anything else is kept but does not move the funnel, nor does it lift a do-not-contact notice.
    ['SubscribeSaaS', { stage: 'unclassified', byCustomer: false }],
    ['Erstellen', { stage: 'unclassified', byCustomer: false }],
    ['MSFT_TEST_636573304831318844', { stage: 'unclassified', byCustomer: false }],
    ['INS ', { stage: 'unclassified', byCustomer: false }],
    ['constructor', { stage: 'unclassified', byCustomer: false }],
    ['__proto__', { stage: 'unclassified', byCustomer: false }],
    ['toString', { stage: 'unclassified', byCustomer: false }],
    ['', { stage: 'unclassified', byCustomer: false }],
    [undefined, { stage: 'unclassified', byCustomer: false }],
  ])('%j → %o', (action, meaning) => {
    expect(meaningOf(action)).toEqual(meaning)
  })

  test('passing the defaults explicitly gives the same answers', () => {
    for (const action of ['StartTestDrive', 'INS', 'PLT', 'Create', 'DNC', 'other']) {
      expect(meaningOf(action, defaultActionMeanings)).toEqual(meaningOf(action))
    }
  })
})

describe('createActionMeanings', () => {
  test('without overrides it matches the defaults', () => {
    expect(createActionMeanings()).toEqual(defaultActionMeanings)
    expect(createActionMeanings({})).toEqual(defaultActionMeanings)
  })

  test('{ INS: "active" } moves INS to active and leaves every other action alone', () => {
    const table = createActionMeanings({ INS: 'active' })
    expect(meaningOf('INS', table)).toEqual({ stage: 'active', byCustomer: true })
    expect(meaningOf('ins', table)).toEqual({ stage: 'active', byCustomer: true })
    expect(meaningOf('StartTestDrive', table)).toEqual({ stage: 'trial', byCustomer: true })
    expect(meaningOf('PLT', table)).toEqual({ stage: 'active', byCustomer: true })
    expect(meaningOf('Create', table)).toEqual({ stage: 'active', byCustomer: true })
    expect(meaningOf('DNC', table)).toEqual({ stage: 'do_not_contact', byCustomer: false })
    expect(meaningOf('Other', table)).toEqual({ stage: 'unclassified', byCustomer: false })
  })

  test('an override does not change the shared defaults', () => {
    createActionMeanings({ INS: 'active', DNC: 'trial' })
    expect(meaningOf('INS')).toEqual({ stage: 'initial_interest', byCustomer: true })
    expect(meaningOf('DNC')).toEqual({ stage: 'do_not_contact', byCustomer: false })
    expect(defaultActionMeanings.INS).toEqual({ stage: 'initial_interest', byCustomer: true })
  })

  test.each<[string, Stage, string, ActionMeaning]>([
    ['plt', 'initial_interest', 'PLT', { stage: 'initial_interest', byCustomer: true }],
    ['SubscribeSaaS', 'active', 'subscribesaas', { stage: 'active', byCustomer: true }],
    ['FreeTrial', 'trial', 'FREETRIAL', { stage: 'trial', byCustomer: true }],
    // Overriding to a stage that is not the customer acting also stops it lifting a do-not-contact notice.
    ['PLT', 'do_not_contact', 'PLT', { stage: 'do_not_contact', byCustomer: false }],
    ['INS', 'unclassified', 'INS', { stage: 'unclassified', byCustomer: false }],
    ['DNC', 'trial', 'DNC', { stage: 'trial', byCustomer: true }],
  ])('override %j → %j: lookup %j gives %o', (key, stage, lookup, meaning) => {
    expect(meaningOf(lookup, createActionMeanings({ [key]: stage }))).toEqual(meaning)
  })
})

describe('furtherStage', () => {
  test.each<[Stage, Stage, Stage]>([
    ['unclassified', 'trial', 'trial'],
    ['trial', 'unclassified', 'trial'],
    ['trial', 'initial_interest', 'initial_interest'],
    ['initial_interest', 'trial', 'initial_interest'],
    ['initial_interest', 'active', 'active'],
    ['active', 'initial_interest', 'active'],
    ['active', 'trial', 'active'],
    ['trial', 'active', 'active'],
    ['do_not_contact', 'trial', 'trial'],
    ['active', 'do_not_contact', 'active'],
    ['initial_interest', 'unclassified', 'initial_interest'],
    // A tie keeps the current stage.
    ['unclassified', 'do_not_contact', 'unclassified'],
    ['do_not_contact', 'unclassified', 'do_not_contact'],
    ['active', 'active', 'active'],
  ])('%s then %s → %s', (current, next, expected) => {
    expect(furtherStage(current, next)).toBe(expected)
  })

  test('trial < initial_interest < active, whatever the order they come in', () => {
    const funnel: Stage[] = ['trial', 'initial_interest', 'active']
    for (const [i, a] of funnel.entries()) {
      for (const [j, b] of funnel.entries()) {
        expect(furtherStage(a, b)).toBe(funnel[Math.max(i, j)])
      }
    }
  })

  test('do_not_contact and unclassified never advance a funnel stage', () => {
    for (const stage of ['trial', 'initial_interest', 'active'] as const) {
      expect(furtherStage(stage, 'do_not_contact')).toBe(stage)
      expect(furtherStage(stage, 'unclassified')).toBe(stage)
    }
  })
})

describe('isStage', () => {
  test.each(stages)('%s is a stage', (stage) => {
    expect(isStage(stage)).toBe(true)
  })

  test.each(['Active', 'ACTIVE', 'INS', 'initial interest', 'lead', '', 'constructor', 'toString'])(
    '%j is not a stage',
    (value) => {
      expect(isStage(value)).toBe(false)
    },
  )
})

describe('subscription stages', () => {
  test('statuses of a SaaS subscription map to customer, suspended and churned', () => {
    expect(meaningOf('Subscribed').stage).toBe('customer')
    expect(meaningOf('Suspended').stage).toBe('suspended')
    expect(meaningOf('Unsubscribed').stage).toBe('churned')
    expect(meaningOf('PendingFulfillmentStart').stage).toBe('active')
  })

  test('a customer is further than active; among subscription stages the newer event wins', () => {
    expect(nextStage('active', 'customer', false)).toBe('customer')
    expect(nextStage('customer', 'active', true)).toBe('customer')
    expect(nextStage('churned', 'customer', true)).toBe('customer')
    expect(nextStage('customer', 'churned', true)).toBe('churned')
    // An older status arriving late does not undo a newer one.
    expect(nextStage('churned', 'customer', false)).toBe('churned')
    expect(nextStage('suspended', 'initial_interest', true)).toBe('suspended')
  })
})
