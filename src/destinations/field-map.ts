/**
 * Field maps: which vendor field gets which lead value. Each connector ships a default map; a destination may
 * override entries (another lead value, a constant or a template) and omit others. Validated when the destination
 * is saved, previewed with `leadrelay destinations preview`.
 */

import { z } from 'zod'
import { isoTime } from '../core/time.ts'
import type { LeadSnapshot } from './types.ts'

/** Every lead value a map can read. */
export const leadValueNames = [
  'leadId',
  'customer.firstName',
  'customer.lastName',
  'customer.fullName',
  'customer.email',
  'customer.phone',
  'customer.country',
  'customer.company',
  'customer.title',
  'offerId',
  'offerName',
  'offerTitle',
  'source',
  'action',
  'leadSource',
  'stage',
  'description',
  'historySummary',
  'eventCount',
  'doNotContact',
  'isTest',
  'firstEventAt',
  'lastEventAt',
  'version',
] as const
export type LeadValueName = (typeof leadValueNames)[number]
export type MappedValue = string | number | boolean | null

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()])

export const fieldMappingSchema = z.union([
  z.strictObject({
    from: z.enum(leadValueNames),
    /**
     * A lookup table: the vendor value for each lead value (`{ "from": "stage", "values": { "customer": 3 } }`). A lead
     * value missing from the table maps to nothing, so the field is not sent and keeps what the CRM holds.
     */
    values: z.record(z.string().min(1).max(100), scalar).optional(),
  }),
  z.strictObject({ constant: scalar }),
  z.strictObject({
    template: z
      .string()
      .max(2000)
      .refine(
        (text) =>
          [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].every((match) =>
            (leadValueNames as readonly string[]).includes(match[1]!),
          ),
        { message: `templates may only use {{name}} with a name from: ${leadValueNames.join(', ')}` },
      ),
  }),
])
export type FieldMapping = z.infer<typeof fieldMappingSchema>
export type FieldMap = Readonly<Record<string, FieldMapping>>

/** What a destination's config may say about its map: entries to add or replace, vendor fields to leave out. */
export const fieldMapOverrideSchema = z
  .strictObject({
    fields: z.record(z.string().min(1).max(255), fieldMappingSchema).default({}),
    omit: z.array(z.string().min(1).max(255)).default([]),
  })
  .optional()
export type FieldMapOverride = z.infer<typeof fieldMapOverrideSchema>

/**
 * What a CRM gets in a column it requires (Salesforce LastName and Company, Dataverse lastname) when the lead has no
 * value: Microsoft's leads often carry no last name, and the CRM would refuse the whole lead for it.
 */
export const requiredFieldPlaceholder = '[not provided]'

const iso = isoTime

/** One line per event, oldest first: `2026-11-25T12:00:00.000Z AzureMarketplace INS (initial_interest)`. */
export function historySummary(snapshot: LeadSnapshot): string {
  return snapshot.events
    .map((event) => `${iso(event.occurredAt)} ${event.source ?? '?'} ${event.action ?? '?'} (${event.stage})`)
    .join('\n')
}

export function leadValues(snapshot: LeadSnapshot): Readonly<Record<LeadValueName, MappedValue>> {
  const { lead } = snapshot
  const latest = snapshot.events.at(-1)
  const c = lead.customer
  return {
    leadId: lead.id,
    'customer.firstName': c.firstName ?? null,
    'customer.lastName': c.lastName ?? null,
    'customer.fullName': [c.firstName, c.lastName].filter(Boolean).join(' ') || null,
    'customer.email': c.email ?? null,
    'customer.phone': c.phone ?? null,
    'customer.country': c.country ?? null,
    'customer.company': c.company ?? null,
    'customer.title': c.title ?? null,
    offerId: lead.offerId ?? null,
    offerName: lead.offerKey || null,
    offerTitle: snapshot.offerTitle ?? latest?.offerTitle ?? null,
    source: lead.source ?? null,
    action: lead.action ?? null,
    leadSource:
      latest?.leadSource ??
      (lead.source ? `${lead.source}-${lead.action ?? ''}|${lead.offerId ?? lead.offerKey}` : null),
    stage: lead.stage,
    description: latest?.description ?? null,
    historySummary: historySummary(snapshot),
    eventCount: lead.eventCount,
    doNotContact: lead.doNotContact,
    isTest: lead.isTest,
    firstEventAt: iso(lead.firstEventAt),
    lastEventAt: iso(lead.lastEventAt),
    version: lead.version,
  }
}

/** The default map with the destination's overrides applied. */
export function resolveFieldMap(defaults: FieldMap, override: FieldMapOverride): FieldMap {
  const merged: Record<string, FieldMapping> = { ...defaults, ...override?.fields }
  for (const field of override?.omit ?? []) delete merged[field]
  return merged
}

/** Vendor field → value. Absent lead values become null; callers decide whether to send or drop nulls. */
export function applyFieldMap(map: FieldMap, snapshot: LeadSnapshot): Record<string, MappedValue> {
  const values = leadValues(snapshot)
  const result: Record<string, MappedValue> = {}
  for (const [field, mapping] of Object.entries(map)) {
    if ('from' in mapping) {
      const value = values[mapping.from]
      result[field] =
        mapping.values === undefined
          ? value
          : value !== null && Object.hasOwn(mapping.values, String(value))
            ? (mapping.values[String(value)] ?? null)
            : null
    } else if ('constant' in mapping) result[field] = mapping.constant
    else {
      result[field] = mapping.template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
        // An unknown name (even `constructor`) renders empty rather than one of Object.prototype's members.
        const value = Object.hasOwn(values, name) ? values[name as LeadValueName] : null
        return value === null ? '' : String(value)
      })
    }
  }
  return result
}
