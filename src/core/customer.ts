/** Customer info as the marketplace sends it, normalised. */

import { toCountryCode } from './country.ts'

export const customerFields = ['firstName', 'lastName', 'email', 'phone', 'country', 'company', 'title'] as const
export type CustomerField = (typeof customerFields)[number]

/** Raw customer info; any field may be missing or empty. */
export type RawCustomer = Partial<Record<CustomerField, string>>

export interface Customer {
  readonly firstName?: string
  readonly lastName?: string
  /** Lower-cased; present only when it is a valid address. */
  readonly email?: string
  /** The phone number as sent. */
  readonly phone?: string
  /** The digits of `phone`, used to match a customer who left no email. */
  readonly phoneDigits?: string
  /** ISO 3166-1 alpha-2 when recognisable, otherwise the text as sent. */
  readonly country?: string
  readonly company?: string
  readonly title?: string
}

export interface NormalisedCustomer {
  readonly customer: Customer
  /** Values that were sent but could not be used, by field (e.g. an invalid email). */
  readonly invalid: Partial<Record<CustomerField, string>>
}

// Deliberately simple: one @, no spaces, a dot in the domain. Full RFC 5322 accepts things no CRM will.
const emailPattern = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && emailPattern.test(email)
}

const whitespaceControls = /[\t\n\v\f\r\u0085]/g
const otherControls = /\p{Cc}/gu
const anyControl = /\p{Cc}/u

function clean(value: string | undefined): string | undefined {
  if (value === undefined || value === null) return undefined
  let text = String(value)
  // Line breaks and tabs separate words; any other control character is dropped, not turned into a space.
  if (anyControl.test(text)) text = text.replace(whitespaceControls, ' ').replace(otherControls, '')
  text = text.trim()
  return text === '' ? undefined : text
}

export function normaliseCustomer(raw: RawCustomer): NormalisedCustomer {
  const invalid: Partial<Record<CustomerField, string>> = {}
  const firstName = clean(raw.firstName)
  const lastName = clean(raw.lastName)
  const company = clean(raw.company)
  const title = clean(raw.title)
  const emailText = clean(raw.email)
  let email = emailText?.toLowerCase()
  if (emailText !== undefined && email !== undefined && !isValidEmail(email)) {
    invalid.email = emailText
    email = undefined
  }
  const phone = clean(raw.phone)
  const digits = phone?.replace(/\D/g, '')
  const countryText = clean(raw.country)
  const country = countryText === undefined ? undefined : (toCountryCode(countryText) ?? countryText)
  // Assigned one by one rather than spread: this runs for every lead received.
  const customer: { -readonly [K in keyof Customer]: Customer[K] } = {}
  if (firstName !== undefined) customer.firstName = firstName
  if (lastName !== undefined) customer.lastName = lastName
  if (email !== undefined) customer.email = email
  if (phone !== undefined) customer.phone = phone
  if (digits) customer.phoneDigits = digits
  if (country !== undefined) customer.country = country
  if (company !== undefined) customer.company = company
  if (title !== undefined) customer.title = title
  return { customer, invalid }
}

/** Microsoft's customer fields: a lead notification's `UserDetails`, an Azure Table lead's `CustomerInfo`. */
export interface MicrosoftUserDetails {
  readonly FirstName: string
  readonly LastName: string
  readonly Email: string
  readonly Phone: string
  readonly Country: string
  readonly Company: string
  readonly Title: string
}

/** A customer in Microsoft's shape: all seven fields, in Microsoft's order, an empty string for each unknown one. */
export function microsoftUserDetails(customer: Customer): MicrosoftUserDetails {
  return {
    FirstName: customer.firstName ?? '',
    LastName: customer.lastName ?? '',
    Email: customer.email ?? '',
    Phone: customer.phone ?? '',
    Country: customer.country ?? '',
    Company: customer.company ?? '',
    Title: customer.title ?? '',
  }
}
