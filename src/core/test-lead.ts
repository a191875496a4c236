/** Recognises the test leads Microsoft sends on publish and validate, and Leadrelay's own. */

import type { Customer } from './customer.ts'

const testValue = /^(MSFT_TEST|LEADRELAY_TEST)_\d+/i

/** True when any customer value, the description or the lead source carries a `MSFT_TEST_<digits>` marker. */
export function isTestLead(customer: Customer, ...otherValues: Array<string | undefined>): boolean {
  const values = [
    customer.firstName,
    customer.lastName,
    customer.email,
    customer.company,
    customer.title,
    ...otherValues,
  ]
  return values.some((value) => value !== undefined && testValue.test(value))
}
