/**
 * Leadrelay lead → Marketo person fields (REST API names). Do-not-contact becomes `unsubscribed: true` (and, when
 * configured, `marketingSuspended: true`); test leads are flagged in a configurable custom field.
 */

import { applyFieldMap, type FieldMap, type FieldMapOverride, type MappedValue, resolveFieldMap } from '../field-map.ts'
import type { LeadSnapshot } from '../types.ts'
import type { MarketoConfig } from './config.ts'

/** The raw `Source-Action|Offer` and the funnel stage, for `sourceDetailField`. */
export const sourceDetailTemplate = '{{leadSource}} ({{stage}})'

/**
 * Fields that only ever switch on. Sending `unsubscribed: false` would re-subscribe a person who unsubscribed in
 * Marketo (a consent decision Leadrelay must not make), so a false value is left out rather than sent.
 */
export const oneWayFlags: ReadonlySet<string> = new Set(['unsubscribed', 'marketingSuspended'])

/** The default Lead Status of the subscription stages. */
export const marketoSubscriptionStatuses: Readonly<Record<string, string>> = {
  customer: 'Customer',
  suspended: 'Suspended',
  churned: 'Churned',
}

type FieldMapSettings = Pick<
  MarketoConfig,
  'leadSource' | 'sourceDetailField' | 'testLeadField' | 'marketingSuspendedOnDoNotContact'
>

export function marketoDefaultFieldMap(settings: FieldMapSettings): FieldMap {
  return {
    email: { from: 'customer.email' },
    firstName: { from: 'customer.firstName' },
    lastName: { from: 'customer.lastName' },
    phone: { from: 'customer.phone' },
    country: { from: 'customer.country' },
    company: { from: 'customer.company' },
    title: { from: 'customer.title' },
    leadSource: { constant: settings.leadSource },
    unsubscribed: { from: 'doNotContact' },
    // Marketo's standard Lead Status field (a string): set once a lead's marketplace subscription says so, left as
    // Marketo has it for every earlier stage.
    leadStatus: { from: 'stage', values: marketoSubscriptionStatuses },
    ...(settings.marketingSuspendedOnDoNotContact && { marketingSuspended: { from: 'doNotContact' } }),
    ...(settings.sourceDetailField !== undefined && {
      [settings.sourceDetailField]: { template: sourceDetailTemplate },
    }),
    ...(settings.testLeadField !== undefined && { [settings.testLeadField]: { from: 'isTest' } }),
  }
}

/** The destination's map: the default for its settings with its `fieldMap` override applied. */
export function marketoFieldMap(config: FieldMapSettings & { fieldMap?: FieldMapOverride }): FieldMap {
  return resolveFieldMap(marketoDefaultFieldMap(config), config.fieldMap)
}

export type MarketoRecord = Record<string, string | number | boolean>

/**
 * One Sync Leads `input` record. Unknown values (null, empty text) are left out rather than sent, so an update never
 * blanks a value Marketo already has; so is `false` for the one-way flags.
 */
export function marketoRecord(map: FieldMap, snapshot: LeadSnapshot): MarketoRecord {
  const record: MarketoRecord = {}
  for (const [field, value] of Object.entries(applyFieldMap(map, snapshot)) as [string, MappedValue][]) {
    if (value === null || value === '') continue
    if (value === false && oneWayFlags.has(field)) continue
    record[field] = value
  }
  return record
}
