/**
 * Leadrelay lead → Dataverse lead columns. The default map below, the destination's overrides on top, then the
 * rules every body follows: no nulls (an upsert would blank what a salesperson typed), do-not-contact flags only
 * ever set to true, test leads marked in the topic, and long generated texts cut to their column's length.
 */

import {
  applyFieldMap,
  type FieldMap,
  type MappedValue,
  requiredFieldPlaceholder,
  resolveFieldMap,
} from '../field-map.ts'
import type { LeadSnapshot } from '../types.ts'
import type { DynamicsConfig } from './config.ts'

/** Column lengths of the standard lead table, for the texts Leadrelay composes itself. */
export const columnMaxLengths: Readonly<Record<string, number>> = {
  subject: 300,
  description: 2000,
}

/** Columns Leadrelay only ever sets to true: clearing them is the salesperson's call, never an integration's. */
export const neverClearedColumns: ReadonlySet<string> = new Set([
  'donotemail',
  'donotphone',
  'donotbulkemail',
  'donotpostalmail',
  'donotsendmm',
  'donotfax',
])

export const testTopicPrefix = '[TEST] '

export function defaultDynamicsFieldMap(config: Pick<DynamicsConfig, 'leadSourceCode'>): FieldMap {
  return {
    firstname: { from: 'customer.firstName' },
    lastname: { from: 'customer.lastName' },
    emailaddress1: { from: 'customer.email' },
    telephone1: { from: 'customer.phone' },
    address1_country: { from: 'customer.country' },
    companyname: { from: 'customer.company' },
    jobtitle: { from: 'customer.title' },
    subject: { template: '{{offerTitle}}: {{stage}}' },
    description: {
      template: '{{description}}\n\nMarketplace lead source: {{leadSource}}\n\nHistory:\n{{historySummary}}',
    },
    ...(config.leadSourceCode !== null && { leadsourcecode: { constant: config.leadSourceCode } }),
    donotemail: { from: 'doNotContact' },
    donotphone: { from: 'doNotContact' },
    // Status and Status Reason (lead table reference): a customer is Qualified (1) / Qualified (3), a churned customer
    // Disqualified (2) / No Longer Interested (6); a suspended one stays Qualified. Other stages leave both alone.
    statecode: { from: 'stage', values: { customer: 1, suspended: 1, churned: 2 } },
    statuscode: { from: 'stage', values: { customer: 3, suspended: 3, churned: 6 } },
  }
}

/** The offer's title when known, else the offer id as leads name it, so the topic is never just ": stage". */
function withOfferTitle(snapshot: LeadSnapshot): LeadSnapshot {
  const title = snapshot.offerTitle ?? snapshot.events.at(-1)?.offerTitle ?? (snapshot.lead.offerKey || undefined)
  return title === undefined ? snapshot : { ...snapshot, offerTitle: title }
}

function cut(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`
}

/**
 * The JSON body of the create or update. `keyColumn` (alternate-key mode) is left out: Dataverse takes it from the
 * URL, and rejects a create that repeats it in the body.
 */
export function dynamicsLeadBody(
  config: Pick<DynamicsConfig, 'leadSourceCode' | 'fieldMap'> &
    Partial<Pick<DynamicsConfig, 'requiredFieldPlaceholder'>>,
  snapshot: LeadSnapshot,
  keyColumn?: string,
): Record<string, MappedValue> {
  const map = resolveFieldMap(defaultDynamicsFieldMap(config), config.fieldMap)
  const mapped = applyFieldMap(map, withOfferTitle(snapshot))
  const body: Record<string, MappedValue> = {}
  for (const [column, raw] of Object.entries(mapped)) {
    if (column === keyColumn) continue
    const value = typeof raw === 'string' ? raw.trim() : raw
    if (value === null || value === '') continue
    if (value === false && neverClearedColumns.has(column)) continue
    body[column] = value
  }
  // lastname is the lead table's required column; a map that moved it elsewhere is the publisher's choice.
  const placeholder =
    config.requiredFieldPlaceholder === undefined ? requiredFieldPlaceholder : config.requiredFieldPlaceholder
  if (placeholder !== null && 'lastname' in map && body.lastname === undefined && keyColumn !== 'lastname') {
    body.lastname = placeholder
  }
  if (snapshot.lead.isTest && typeof body.subject === 'string' && !body.subject.startsWith(testTopicPrefix)) {
    body.subject = testTopicPrefix + body.subject
  }
  for (const [column, max] of Object.entries(columnMaxLengths)) {
    const value = body[column]
    if (typeof value === 'string') body[column] = cut(value, max)
  }
  return body
}
