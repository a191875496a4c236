/** The lead file's columns and formats (docs/import-export.md), and how a header's names map onto them. */

export const leadFileFormats = ['csv', 'jsonl'] as const
export type LeadFileFormat = (typeof leadFileFormats)[number]

/**
 * Every column, in file order. Lead columns (`leadId`, `offerId`, `offerName`) repeat on each of the lead's rows;
 * `stage` and `isTest` are informational (the import derives them again from the event).
 */
export const leadFileColumns = [
  'eventId',
  'leadId',
  'offerId',
  'offerName',
  'occurredAt',
  'leadSource',
  'source',
  'action',
  'stage',
  'offerRef',
  'offerTitle',
  'description',
  'firstName',
  'lastName',
  'email',
  'phone',
  'country',
  'company',
  'title',
  'isTest',
  'extra',
] as const
export type LeadFileColumn = (typeof leadFileColumns)[number]

/** A row as exported: every column, '' for none. */
export type LeadFileRow = Record<LeadFileColumn, string>

/** `.csv` → csv; `.jsonl` / `.ndjson` → jsonl; anything else undefined. */
export function formatOfPath(path: string): LeadFileFormat | undefined {
  const lower = path.toLowerCase()
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl'
  return undefined
}

/** Lower-case, no separators: `Event ID`, `event_id` and `eventId` are one column. */
function columnKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '')
}

const columnsByKey = new Map<string, LeadFileColumn>(leadFileColumns.map((column) => [columnKey(column), column]))

/** The column a header or JSON name stands for, matched without regard to case, spaces, `-` and `_`. */
export function leadFileColumnOf(name: string): LeadFileColumn | undefined {
  return columnsByKey.get(columnKey(name))
}
