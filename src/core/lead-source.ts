/** Parses Microsoft's `LeadSource` string, `Source-Action|Offer`, tolerantly. */

export const knownSources = ['AzureMarketplace', 'AzurePortal', 'TestDrive', 'AppSource'] as const
export type KnownSource = (typeof knownSources)[number]

/** Spellings seen in documentation and real leads, mapped to one canonical source. Keys are lower-case. */
const sourceSpellings: Readonly<Record<string, KnownSource>> = {
  azuremarketplace: 'AzureMarketplace',
  azureportal: 'AzurePortal',
  testdrive: 'TestDrive',
  spza: 'AppSource',
  appsource: 'AppSource',
  'appsource (spza)': 'AppSource',
}

const actionSpellings: Readonly<Record<string, string>> = {
  ins: 'INS',
  plt: 'PLT',
  dnc: 'DNC',
  create: 'Create',
  starttestdrive: 'StartTestDrive',
}

/** Own entries only: `constructor` or `toString` must not find `Object.prototype`'s members. */
function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

export interface ParsedLeadSource {
  /** Canonical source when recognised, otherwise the text as written. */
  readonly source?: string
  readonly action?: string
  /** The offer part: a `publisher.offer` id or a display name. */
  readonly offer?: string
}

export function canonicalSource(raw: string | undefined): string | undefined {
  const text = raw?.trim()
  if (!text) return undefined
  return lookup(sourceSpellings, text.toLowerCase().replace(/\s+/g, ' ')) ?? text
}

export function canonicalAction(raw: string | undefined): string | undefined {
  const text = raw?.trim()
  if (!text) return undefined
  return lookup(actionSpellings, text.toLowerCase()) ?? text
}

/**
 * Offer names may contain `-`, so only the text before the first `|` is split into source and action, and only
 * on its first `-`. A string without `|` or `-` is taken as a bare source (Microsoft's HTTPS payload sends
 * `"LeadSource": "AzureMarketplace"` with the action and offer in separate fields).
 */
export function parseLeadSource(raw: string | undefined): ParsedLeadSource {
  const text = raw?.trim()
  if (!text) return {}
  const bar = text.indexOf('|')
  const head = (bar === -1 ? text : text.slice(0, bar)).trim()
  const offer = bar === -1 ? undefined : text.slice(bar + 1).trim() || undefined
  const knownWhole = lookup(sourceSpellings, head.toLowerCase().replace(/\s+/g, ' '))
  if (knownWhole) return { source: knownWhole, offer }
  const dash = head.indexOf('-')
  if (dash === -1) return { source: canonicalSource(head), offer }
  return {
    source: canonicalSource(head.slice(0, dash)),
    action: canonicalAction(head.slice(dash + 1)),
    offer,
  }
}

/**
 * How long the offer a lead names may be, as an id and as a display name (title or alias). Every offer text a lead can
 * arrive under fits one of the two, so every offer a lead names can also be configured: a longer id-shaped text is
 * taken for a display name.
 */
export const offerTextLimits = { idLength: 256, nameLength: 1000 } as const

/**
 * A `publisher.offer` id: no spaces, a dot between two non-empty parts, at most `offerTextLimits.idLength` characters.
 * Anything else is a display name.
 */
export function isOfferId(offer: string): boolean {
  return offer.length <= offerTextLimits.idLength && /^[a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9._-]*$/i.test(offer)
}

/** How offers are matched by name: case, surrounding and repeated spaces do not matter. */
export function offerKeyOf(offer: string): string {
  return offer.trim().replace(/\s+/g, ' ').toLowerCase()
}
