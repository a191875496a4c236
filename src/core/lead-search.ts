/**
 * The normalised columns that let the leads list search and sort by an index: lower-cased, whitespace-collapsed keys
 * of the customer's name, last name and company, and the email's domain. Computed in JavaScript at write time (and by
 * the migration that added them), so every dialect stores the same keys and Unicode letters lower-case the same way
 * (SQLite's `lower()` only knows ASCII).
 *
 * Search semantics: a query matches a lead when its normalised text is a prefix of the full name ("first last"), the
 * last name, the company, the email address or the email's domain. A prefix is a range on an ordered column
 * (`key >= q and key < upperBound(q)`), which a B-tree index answers without reading other leads.
 */

import type { Customer } from './customer.ts'

/** Trimmed, inner whitespace collapsed to one space, lower-cased; '' for nothing. */
export function searchKeyOf(text: string | undefined): string {
  if (text === undefined) return ''
  return text.trim().replace(/\s+/g, ' ').toLowerCase()
}

/** The part after the last `@`, lower-cased; '' without an email. */
export function emailDomainOf(email: string | undefined): string {
  if (email === undefined) return ''
  const at = email.lastIndexOf('@')
  return at < 0 ? '' : email.slice(at + 1).toLowerCase()
}

export interface LeadSearchColumns {
  name_key: string
  last_name_key: string
  company_key: string
  email_domain: string
}

export function searchColumnsOf(customer: Customer): LeadSearchColumns {
  const first = customer.firstName
  const last = customer.lastName
  return {
    name_key: searchKeyOf(first === undefined ? last : last === undefined ? first : `${first} ${last}`),
    last_name_key: searchKeyOf(last),
    company_key: searchKeyOf(customer.company),
    email_domain: emailDomainOf(customer.email),
  }
}

/**
 * The smallest string greater than every string starting with `prefix`, in code point order (SQLite's BINARY and
 * PostgreSQL's "C" collation): the prefix with its last code point raised by one. Undefined when there is none (the
 * prefix ends in U+10FFFF), and then only the lower bound applies.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix]
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last >= 0x10ffff) continue
    // Surrogate code points cannot be stored in UTF-8; the next one that can is U+E000.
    const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1
    return points.join('') + String.fromCodePoint(next)
  }
  return undefined
}
