/**
 * Turns an inbound request body into an `IncomingLead`. Accepts Microsoft's HTTPS-endpoint JSON, the
 * `{ LeadSource, CustomerInfo }` shape Microsoft writes to Azure Table, and Leadrelay's own camelCase format. Keys are
 * matched case-insensitively because Microsoft's own samples disagree (`UserDetails` / `userDetails`).
 */

import type { CustomerField, RawCustomer } from './customer.ts'
import { AppError } from './errors.ts'
import { isStorableTime } from './time.ts'

export const inboundFormats = ['microsoft', 'api', 'azure-table', 'file'] as const
export type InboundFormat = (typeof inboundFormats)[number]

export interface IncomingLead {
  readonly format: InboundFormat
  /** Client-chosen id that makes a repeated send idempotent. */
  readonly eventId?: string
  readonly leadSource?: string
  readonly source?: string
  readonly action?: string
  /** The offer as the sender named it: a `publisher.offer` id or a display name. */
  readonly offer?: string
  readonly offerTitle?: string
  readonly productId?: string
  readonly publisherName?: string
  readonly description?: string
  /** When the customer acted, if the sender says (epoch ms, within the storable range of `time.ts`). */
  readonly occurredAt?: number
  /**
   * A time the sender gave that reads as a number or date but cannot be stored (outside 1970..9999, or a fraction
   * of a millisecond): the field as sent and its value as text. The own API refuses it; other routes keep the text
   * and use the receive time, so a lead is never lost over its time.
   */
  readonly unusableTime?: { readonly field: string; readonly value: string }
  readonly customer: RawCustomer
  /** Fields we do not interpret, kept verbatim. */
  readonly extra: Readonly<Record<string, unknown>>
}

/** Lower-case, no separators: `Customer_Info`, `customerInfo` and `CUSTOMERINFO` are one key. */
function keyOf(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '')
}

type LeadField =
  | Exclude<keyof IncomingLead, 'format' | 'customer' | 'extra' | 'occurredAt' | 'unusableTime'>
  | 'occurredAt'
  | 'customer'

const leadFieldAliases: Readonly<Record<string, LeadField>> = {
  eventid: 'eventId',
  leadsource: 'leadSource',
  source: 'source',
  actioncode: 'action',
  action: 'action',
  offer: 'offer',
  offerid: 'offer',
  offertitle: 'offerTitle',
  offerdisplayname: 'offerTitle',
  productid: 'productId',
  publisherdisplayname: 'publisherName',
  publishername: 'publisherName',
  description: 'description',
  createdtime: 'occurredAt',
  occurredat: 'occurredAt',
  userdetails: 'customer',
  customerinfo: 'customer',
  customer: 'customer',
}

const customerFieldAliases: Readonly<Record<string, CustomerField>> = {
  firstname: 'firstName',
  lastname: 'lastName',
  email: 'email',
  emailaddress: 'email',
  phone: 'phone',
  phonenumber: 'phone',
  country: 'country',
  company: 'company',
  companyname: 'company',
  title: 'title',
  jobtitle: 'title',
}

/** Own entries only: a key such as `constructor` must not find `Object.prototype`'s members. */
function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * PostgreSQL text cannot hold U+0000, and in a lead's text it carries nothing (senders pad C strings with it): it is
 * dropped and the lead kept, whichever way the lead came (HTTP, a file, Azure Table).
 */
function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text
}

function asText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  throw new AppError('LEAD_INVALID', `${field} must be a string`, { field })
}

/** A time as epoch ms; `unusable` when it reads as one but cannot be stored. Throws for what is no time at all. */
function parseTime(value: unknown, field: string): number | 'unusable' | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const time = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (typeof value === 'number' && Number.isNaN(time)) return 'unusable'
  if (Number.isNaN(time)) throw new AppError('LEAD_INVALID', `${field} must be an ISO 8601 date-time`, { field })
  return isStorableTime(time) ? time : 'unusable'
}

function parseCustomer(value: unknown, field: string): RawCustomer {
  let object = value
  // Azure Table keeps CustomerInfo as a JSON string.
  if (typeof value === 'string') {
    if (value.trim() === '') return {}
    try {
      object = JSON.parse(value)
    } catch {
      throw new AppError('LEAD_INVALID', `${field} is a string but not a JSON object`, { field })
    }
  }
  if (object === undefined || object === null) return {}
  if (!isPlainObject(object)) throw new AppError('LEAD_INVALID', `${field} must be an object`, { field })
  const customer: Record<string, string> = {}
  for (const [name, raw] of Object.entries(object)) {
    const target = lookup(customerFieldAliases, keyOf(name))
    if (!target) continue
    const text = asText(raw, `${field}.${name}`)
    if (text !== undefined) customer[target] = withoutNul(text)
  }
  return customer
}

/** Parses a decoded JSON body. Throws `AppError` naming the field at fault; never throws anything else. */
export function parseInboundLead(body: unknown, format: InboundFormat): IncomingLead {
  if (!isPlainObject(body)) throw new AppError('LEAD_INVALID', 'The body must be a JSON object', { field: '$' })
  const lead: Record<string, unknown> = {}
  // Entries, not assignment: `extra.__proto__ = value` would set the prototype instead of keeping the field.
  const extra: Array<[string, unknown]> = []
  const customer: Record<string, string> = {}
  for (const [name, value] of Object.entries(body)) {
    const target = lookup(leadFieldAliases, keyOf(name))
    if (!target) {
      extra.push([name, value])
    } else if (target === 'customer') {
      Object.assign(customer, parseCustomer(value, name))
    } else if (target === 'occurredAt') {
      const time = parseTime(value, name)
      if (time === 'unusable') {
        lead.unusableTime = { field: name, value: typeof value === 'string' ? value : String(value) }
        lead.occurredAt = undefined
      } else {
        lead.occurredAt = time
        delete lead.unusableTime
      }
    } else {
      const text = asText(value, name)?.trim()
      // An eventId is an idempotency key: checked as sent (printable ASCII only), never altered into another one.
      if (text) lead[target] = target === 'eventId' ? text : withoutNul(text)
    }
  }
  if (typeof lead.eventId === 'string' && lead.eventId.length > 200) {
    throw new AppError('LEAD_INVALID', 'eventId must be at most 200 characters', { field: 'eventId' })
  }
  const hasCustomer = Object.values(customer).some((value) => value.trim() !== '')
  if (!hasCustomer && !lead.leadSource && !lead.offer && !lead.productId && !lead.offerTitle) {
    throw new AppError('LEAD_EMPTY', 'Send a LeadSource, an offer or customer info', { field: 'LeadSource' })
  }
  // Completed in place rather than spread into a new object: this runs for every lead received.
  lead.format = format
  lead.customer = customer
  lead.extra = Object.fromEntries(extra)
  return lead as unknown as IncomingLead
}
