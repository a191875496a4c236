/**
 * Leadrelay lead → Salesforce Lead fields (REST API mode) or Web-to-Lead form fields. Both defaults can be changed
 * per destination with `fieldMap`; the rules below (no nulls, opt-outs only ever set) apply to any map.
 */

import { applyFieldMap, type FieldMap, type FieldMapping, resolveFieldMap } from '../field-map.ts'
import type { LeadSnapshot } from '../types.ts'
import type { LeadFields } from './client.ts'
import type { SalesforceApiConfig, SalesforceWebToLeadConfig } from './config.ts'

/** Lead's required fields (`nillable: false` on create), per mode. */
const requiredApiFields = ['LastName', 'Company'] as const
const requiredFormFields = ['last_name', 'company'] as const

export const sourcePrefix = 'Marketplace lead source: '

/** The default REST map. LeadSource and where the raw `Source-Action|Offer` goes depend on the settings. */
export function defaultApiFieldMap(config: Pick<SalesforceApiConfig, 'leadSource' | 'sourceField'>): FieldMap {
  const map: Record<string, FieldMapping> = {
    FirstName: { from: 'customer.firstName' },
    LastName: { from: 'customer.lastName' },
    Email: { from: 'customer.email' },
    Phone: { from: 'customer.phone' },
    Company: { from: 'customer.company' },
    Title: { from: 'customer.title' },
    Country: { from: 'customer.country' },
    Description: { from: 'description' },
    HasOptedOutOfEmail: { from: 'doNotContact' },
    DoNotCall: { from: 'doNotContact' },
  }
  if (config.leadSource !== null) map.LeadSource = { constant: config.leadSource }
  if (config.sourceField === 'Description') {
    // Blank parts are trimmed away when the body is built, so a lead without a description gets just the source.
    map.Description = { template: `{{description}}\n\n${sourcePrefix}{{leadSource}}` }
  } else if (config.sourceField !== null) {
    map[config.sourceField] = { from: 'leadSource' }
  }
  return map
}

/** The default Web-to-Lead form, field for field what Microsoft's own Salesforce connector posts. */
export const defaultWebToLeadFieldMap: FieldMap = {
  first_name: { from: 'customer.firstName' },
  last_name: { from: 'customer.lastName' },
  email: { from: 'customer.email' },
  company: { from: 'customer.company' },
  title: { from: 'customer.title' },
  phone: { from: 'customer.phone' },
  country: { from: 'customer.country' },
  description: { from: 'description' },
  lead_source: { from: 'leadSource' },
  // Not in Microsoft's form; the names of the generated form's checkboxes, sent only when set.
  emailOptOut: { from: 'doNotContact' },
  doNotCall: { from: 'doNotContact' },
}

export function apiFieldMap(config: SalesforceApiConfig): FieldMap {
  return resolveFieldMap(defaultApiFieldMap(config), config.fieldMap)
}

export function webToLeadFieldMap(config: SalesforceWebToLeadConfig): FieldMap {
  return resolveFieldMap(defaultWebToLeadFieldMap, config.fieldMap)
}

/**
 * The values to write. Unknown values are left out rather than sent as null, which would clear what sales may
 * have typed in; strings are trimmed. A do-not-contact flag is only ever set, never cleared: a `false` would undo
 * an opt-out the customer gave through another channel. Required fields without a value get the placeholder.
 */
export function mappedFields(
  map: FieldMap,
  snapshot: LeadSnapshot,
  options: { placeholder: string | null; required: readonly string[]; exclude?: string },
): Record<string, string | number | boolean> {
  const values = applyFieldMap(map, snapshot)
  const fields: Record<string, string | number | boolean> = {}
  for (const [field, raw] of Object.entries(values)) {
    if (field === options.exclude || raw === null) continue
    const mapping = map[field]
    if (raw === false && mapping && 'from' in mapping && mapping.from === 'doNotContact') continue
    const value = typeof raw === 'string' ? raw.trim() : raw
    if (value === '') continue
    fields[field] = value
  }
  if (options.placeholder !== null) {
    for (const field of options.required) {
      if (field in map && fields[field] === undefined) fields[field] = options.placeholder
    }
  }
  return fields
}

/** The Lead fields `deliver` writes in the REST API mode (without the external id, which is the upsert key). */
export function apiLeadFields(map: FieldMap, snapshot: LeadSnapshot, config: SalesforceApiConfig): LeadFields {
  return mappedFields(map, snapshot, {
    placeholder: config.requiredFieldPlaceholder,
    required: requiredApiFields,
    ...(config.matchBy === 'externalId' && { exclude: config.externalIdField }),
  })
}

/** The Web-to-Lead form, `oid` first; checkboxes as `1`. */
export function webToLeadForm(map: FieldMap, snapshot: LeadSnapshot, config: SalesforceWebToLeadConfig): string {
  const fields = mappedFields(map, snapshot, {
    placeholder: config.requiredFieldPlaceholder,
    required: requiredFormFields,
    exclude: 'oid',
  })
  const form = new URLSearchParams({ oid: config.oid })
  for (const [field, value] of Object.entries(fields)) {
    form.append(field, value === true ? '1' : String(value))
  }
  return form.toString()
}
