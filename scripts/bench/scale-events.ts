/**
 * Generated lead events for the scale benchmark and the bulk import's tests: a lead file (docs/import-export.md) of
 * `events` rows for about `leads` customers across `offers` offers, the same for the same arguments. Customers come
 * back over the year (about 2.5 events per lead at 1,000,000 events and 400,000 leads), through every source and
 * action Microsoft sends, with do-not-contact requests, Microsoft's test leads, phone-only customers and e-mail
 * domains shared by many customers (the domain search has something to find).
 */

import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { csvText } from '../../src/services/lead-files/csv-dialect.ts'

export interface ScaleEventsOptions {
  readonly events: number
  readonly leads: number
  readonly offers: number
  /** Time of the first event (epoch ms); the events spread over the following year. */
  readonly start?: number
}

const columns = [
  'eventId',
  'offerId',
  'offerName',
  'occurredAt',
  'leadSource',
  'description',
  'firstName',
  'lastName',
  'email',
  'phone',
  'country',
  'company',
  'title',
] as const

const actions = [
  ['AzureMarketplace', 'INS'],
  ['AzureMarketplace', 'PLT'],
  ['AppSource', 'INS'],
  ['AppSource', 'PLT'],
  ['AzurePortal', 'Create'],
  ['TestDrive', 'StartTestDrive'],
  ['AzureMarketplace', 'DNC'],
] as const
/** How often each action happens, in the order above (DNC rare). */
const actionWeights = [30, 20, 15, 10, 10, 13, 2]
const countries = ['US', 'DE', 'GB', 'FR', 'NL', 'IN', 'JP', 'BR', 'AU', 'CA']
const firstNames = ['Jane', 'John', 'Anna', 'Lukas', 'Mia', 'Noah', 'Emma', 'Leon', 'Sofia', 'Ben', 'Aiko', 'Ravi']
const lastNames = ['Doe', 'Smith', 'Müller', 'Schmidt', 'Garcia', 'Tanaka', 'Patel', 'Dubois', 'Rossi', 'Jansen']
const year = 365 * 24 * 3600 * 1000

/** A small deterministic generator (mulberry32), so a size always gives the same file. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function offerIdOf(index: number): string {
  return `contoso.offer-${String(index + 1).padStart(2, '0')}`
}

/** The customer's e-mail: one of `leads / 80` companies' domains, so a domain has about 80 customers. */
export function emailOf(customer: number, leads: number): string {
  return `user${customer}@company${customer % Math.max(1, Math.floor(leads / 80))}.example`
}

/** The rows of the file, header first, in the order they are written. */
export function* scaleEventRows(options: ScaleEventsOptions): Generator<string[]> {
  const next = random(options.events * 31 + options.leads)
  const start = options.start ?? Date.UTC(2025, 0, 1)
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!
  const totalWeight = actionWeights.reduce((a, b) => a + b, 0)
  yield [...columns]
  for (let index = 0; index < options.events; index++) {
    // The first `leads` events introduce a customer each, interleaved with returning ones.
    const returning = index >= options.leads || next() < 0.15
    const customer = returning ? Math.floor(next() * Math.min(index + 1, options.leads)) : index
    const offer = customer % options.offers
    let weight = next() * totalWeight
    let action = 0
    while (weight >= actionWeights[action]! && action < actions.length - 1) weight -= actionWeights[action++]!
    const [source, code] = actions[action]!
    const phoneOnly = customer % 97 === 0
    const test = customer % 211 === 0
    yield [
      `gen-${index}`,
      offerIdOf(offer),
      `Contoso Offer ${offer + 1}`,
      new Date(start + Math.floor((index / options.events) * year)).toISOString(),
      `${source}-${code}|${offerIdOf(offer)}`,
      next() < 0.1 ? 'Please call me, "soon"' : '',
      test ? 'MSFT_TEST_636573304831318844' : firstNames[customer % firstNames.length]!,
      lastNames[customer % lastNames.length]!,
      phoneOnly ? '' : emailOf(customer, options.leads),
      `+1 425 555 ${String(customer % 10_000).padStart(4, '0')}`,
      pick(countries),
      `Company ${customer % Math.max(1, Math.floor(options.leads / 80))}`,
      'CTO',
    ]
  }
}

/** Writes the file as CSV, a page of rows at a time, waiting for the disk. */
export async function writeScaleEvents(path: string, options: ScaleEventsOptions): Promise<void> {
  const output = createWriteStream(path)
  let page: string[][] = []
  for (const row of scaleEventRows(options)) {
    page.push(row)
    if (page.length < 2000) continue
    if (!output.write(csvText(page))) await once(output, 'drain')
    page = []
  }
  output.end(csvText(page))
  await once(output, 'finish')
}
