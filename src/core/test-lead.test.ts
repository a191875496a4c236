import { describe, expect, test } from 'vitest'
import { type Customer, normaliseCustomer } from './customer.ts'
import { isTestLead } from './test-lead.ts'

const ticks = 'MSFT_TEST_636573304831318844'

/** The form-post test lead Microsoft sends on publish and validate, as the reference lists it. */
const microsoftTestLead = {
  customer: normaliseCustomer({
    firstName: ticks,
    lastName: ticks,
    email: `${ticks}@test.com`,
    phone: '1234567890',
    country: 'US',
    company: ticks,
    title: ticks,
  }).customer,
  description: ticks,
  leadSource: `${ticks}-${ticks}|<Offer Name>`,
}

const john: Customer = normaliseCustomer({
  firstName: 'John',
  lastName: 'Smith',
  email: 'jsmith@microsoft.com',
  phone: '1234567890',
  country: 'US',
  company: 'Microsoft',
  title: 'CTO',
}).customer

describe('Microsoft test leads are recognised', () => {
  test("Microsoft's test lead, every field marked", () => {
    const { customer, description, leadSource } = microsoftTestLead
    expect(isTestLead(customer, description, leadSource)).toBe(true)
  })

  test.each(['firstName', 'lastName', 'company', 'title'] as const)('a marker in %s alone', (field) => {
    expect(isTestLead({ ...john, [field]: ticks })).toBe(true)
  })

  test('the marker email alone (after normalisation lower-cases it)', () => {
    const { customer } = normaliseCustomer({ email: `${ticks}@test.com` })
    expect(customer.email).toBe('msft_test_636573304831318844@test.com')
    expect(isTestLead(customer)).toBe(true)
  })

  test('the description alone', () => {
    expect(isTestLead(john, ticks)).toBe(true)
  })

  test('the lead source alone', () => {
    expect(isTestLead(john, undefined, `${ticks}-${ticks}|<Offer Name>`)).toBe(true)
  })

  test.each([
    'MSFT_TEST_1',
    'MSFT_TEST_636573304831318844',
    'msft_test_636573304831318844',
    'LEADRELAY_TEST_1',
    'LEADRELAY_TEST_20260101',
    'leadrelay_test_7',
  ])('%j as the first name', (value) => {
    expect(isTestLead({ firstName: value })).toBe(true)
  })
})

describe('ordinary leads are not test leads', () => {
  test('the seed customer', () => {
    expect(isTestLead(john, 'Campaigns: ', 'AzureMarketplace-INS|contoso.app')).toBe(false)
  })

  test('an empty customer with nothing else', () => {
    expect(isTestLead({})).toBe(false)
    expect(isTestLead({}, undefined, undefined)).toBe(false)
  })

  test.each([
    'MSFT_TEST',
    'MSFT_TEST_',
    'MSFT_TEST_abc',
    'MSFT-TEST-636573304831318844',
    'MSFT TEST 636573304831318844',
    'MSFTTEST_636573304831318844',
    'Re: MSFT_TEST_636573304831318844',
    ' MSFT_TEST_1',
    'TEST_636573304831318844',
    'LEADRELAY_TEST',
    'LEADRELAY_TEST_x',
    'Test',
    'Contoso Test',
    'Test Microsoft',
    'Test run through MS Flow',
    'Test run through Power Automate',
    'test@test.com',
  ])('%j anywhere it is looked at', (value) => {
    expect(isTestLead({ firstName: value, lastName: value, company: value, title: value }, value, value)).toBe(false)
  })
})
