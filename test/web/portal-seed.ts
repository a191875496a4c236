/**
 * Realistic portal data through the public API and the Microsoft ingest URL, for the browser tests and the portal
 * timings: five offers, destinations of several kinds (one answering, one failing with 500, one hanging, a HubSpot
 * destination nobody listens for), and customers over the last weeks moving through the funnel, so deliveries end up
 * in every state (delivered, queued, sending, dead, superseded).
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const microsoftLead = JSON.parse(readFileSync(join(root, 'examples', 'microsoft-lead.json'), 'utf8')) as Record<
  string,
  unknown
> & { UserDetails: Record<string, string> }

export const seededOffers = [
  { id: 'contoso.crm-suite', title: 'Contoso CRM Suite' },
  { id: 'contoso.analytics', title: 'Contoso Analytics' },
  { id: 'contoso.field-service', title: 'Contoso Field Service' },
  { id: 'contoso.backup', title: 'Contoso Backup' },
  { id: 'contoso.helpdesk', title: 'Contoso Helpdesk' },
] as const

const firstNames = ['Ana', 'Bob', 'Chloé', 'Dmitri', 'Eva', 'Farah', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kemal', 'Lena']
const lastNames = ['Lopez', 'Stone', 'Martin', 'Ivanov', 'Berg', 'Khan', 'Olsen', 'Sato', 'Novak', 'Park', 'Yilmaz']
const companies = ['Northwind', 'Fabrikam', 'Litware', 'Adventure Works', 'Tailspin', 'Wingtip', 'Woodgrove']
const journeys: readonly (readonly string[])[] = [
  ['INS'],
  ['INS', 'PLT'],
  ['StartTestDrive'],
  ['StartTestDrive', 'INS'],
  ['StartTestDrive', 'INS', 'Create'],
  ['INS', 'DNC'],
  ['PLT'],
]

export interface SeedEndpoints {
  /** Answers 200. */
  readonly okUrl: string
  /** Answers 500. */
  readonly failingUrl: string
  /** Never answers (deliveries stay sending, then queued behind it). */
  readonly hangingUrl: string
  /** Nothing listens there. */
  readonly unreachableUrl: string
}

export interface SeedResult {
  readonly destinations: Readonly<Record<'crm' | 'failing' | 'slow' | 'hubspot', string>>
  readonly leadIds: readonly string[]
}

export interface SeedOptions {
  readonly baseUrl: string
  readonly apiKey: string
  readonly ingestUrl: string
  readonly endpoints: SeedEndpoints
  /** Customers to send (each sends one to three Microsoft leads). */
  readonly customers: number
  /** Requests in flight at once. */
  readonly concurrency?: number
}

async function call<T>(options: SeedOptions, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${options.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

async function createDestination(options: SeedOptions, body: Record<string, unknown>): Promise<string> {
  return (await call<{ id: string }>(options, 'POST', '/v1/destinations', body)).id
}

/** Runs `tasks` with at most `limit` at once. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!
        await task(item)
      }
    }),
  )
}

export async function seedPortal(options: SeedOptions): Promise<SeedResult> {
  const { endpoints } = options
  const destinations = {
    crm: await createDestination(options, { kind: 'webhook', name: 'CRM webhook', config: { url: endpoints.okUrl } }),
    failing: await createDestination(options, {
      kind: 'webhook',
      name: 'Legacy intake (failing)',
      config: { url: endpoints.failingUrl },
    }),
    slow: await createDestination(options, {
      kind: 'webhook',
      name: 'Slow partner hook',
      config: { url: endpoints.hangingUrl },
      limits: { maxConcurrency: 1 },
    }),
    hubspot: await createDestination(options, {
      kind: 'hubspot',
      name: 'HubSpot contacts',
      config: { baseUrl: endpoints.unreachableUrl },
      secrets: { accessToken: 'pat-na1-11111111-2222-4333-8444-555555555555' },
    }),
  }
  const routes: readonly (readonly string[])[] = [
    [destinations.crm, destinations.failing],
    [destinations.crm, destinations.slow],
    [destinations.crm],
    [destinations.hubspot, destinations.crm],
    [],
  ]
  for (const [index, offer] of seededOffers.entries()) {
    await call(options, 'PUT', `/v1/offers/${offer.id}`, {
      title: offer.title,
      aliases: [],
      destinations: routes[index] ?? [],
    })
  }

  const now = Date.now()
  const sends: { customer: number; body: Record<string, unknown> }[] = []
  for (let customer = 0; customer < options.customers; customer++) {
    const offer = seededOffers[customer % seededOffers.length]!
    const journey = journeys[customer % journeys.length]!
    const first = firstNames[customer % firstNames.length]!
    const last = lastNames[Math.floor(customer / firstNames.length) % lastNames.length]!
    const company = companies[customer % companies.length]!
    const source = customer % 3 === 0 ? 'AppSource' : 'AzureMarketplace'
    // Spread over the last four weeks so the funnel's chart over time has a shape.
    const daysBack = (customer * 7) % 28
    const when = new Date(now - daysBack * 86_400_000 - (customer % 20) * 3_600_000).toISOString()
    for (const action of journey) {
      sends.push({
        customer,
        body: {
          ...microsoftLead,
          LeadSource: `${source}-${action}|${offer.id}`,
          ActionCode: action,
          OfferTitle: offer.title,
          Description: action === 'PLT' ? `Contact me: ${10 + (customer % 90)} seats` : `${action} from ${company}`,
          CreatedTime: when,
          UserDetails: {
            ...microsoftLead.UserDetails,
            FirstName: first,
            LastName: `${last} ${customer}`,
            Email: `${first
              .toLowerCase()
              .normalize('NFD')
              .replace(/[^a-z]/g, '')}.${customer}@${company.toLowerCase().replace(/ /g, '')}.example`,
            Company: company,
          },
        },
      })
    }
  }
  // Each customer's leads in order, customers in parallel.
  const byCustomer = new Map<number, Record<string, unknown>[]>()
  for (const send of sends) byCustomer.set(send.customer, [...(byCustomer.get(send.customer) ?? []), send.body])
  const leadIds = new Set<string>()
  await inParallel([...byCustomer.values()], options.concurrency ?? 8, async (bodies) => {
    for (const body of bodies) {
      const response = await fetch(options.ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      if (response.status !== 202) throw new Error(`ingest: ${response.status} ${await response.text()}`)
      leadIds.add(((await response.json()) as { leadId: string }).leadId)
    }
  })
  return { destinations, leadIds: [...leadIds] }
}
