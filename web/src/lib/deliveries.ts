/** Grouping deliveries that need attention, and following a replay until it settles. */

import type { DeliveryQuery } from '../api/client.ts'
import type { Delivery, DeliveryState, Destination, Page } from '../api/types.ts'

export type Trouble = 'dead' | 'failing'

export interface DeliveryGroup {
  /** Stable key: trouble, destination and reason. */
  readonly key: string
  readonly trouble: Trouble
  readonly destinationId: string
  readonly reason: string
  readonly deliveries: Delivery[]
}

/** Dead deliveries gave up and wait for a replay; failing ones are queued for another try after an error. */
export function troubleOf(delivery: Delivery): Trouble | undefined {
  if (delivery.state === 'dead') return 'dead'
  if ((delivery.state === 'queued' || delivery.state === 'in_flight') && delivery.lastError) return 'failing'
  return undefined
}

/** Failing and dead deliveries by destination and reason: dead first, then the biggest groups. */
export function groupTroubles(deliveries: readonly Delivery[]): DeliveryGroup[] {
  const groups = new Map<string, DeliveryGroup>()
  for (const delivery of deliveries) {
    const trouble = troubleOf(delivery)
    if (!trouble) continue
    const reason = delivery.lastError ?? 'No reason recorded'
    const key = `${trouble}|${delivery.destinationId}|${reason}`
    let group = groups.get(key)
    if (!group) {
      group = { key, trouble, destinationId: delivery.destinationId, reason, deliveries: [] }
      groups.set(key, group)
    }
    group.deliveries.push(delivery)
  }
  return [...groups.values()].sort(
    (a, b) =>
      (a.trouble === b.trouble ? 0 : a.trouble === 'dead' ? -1 : 1) ||
      b.deliveries.length - a.deliveries.length ||
      a.key.localeCompare(b.key),
  )
}

export type ListDeliveries = (query: DeliveryQuery) => Promise<Page<Delivery>>

/** Every delivery in a state, up to `max`, following cursors. */
export async function listAll(
  listDeliveries: ListDeliveries,
  query: DeliveryQuery & { state: DeliveryState },
  max = 2000,
): Promise<Delivery[]> {
  const found: Delivery[] = []
  let cursor: string | undefined
  do {
    const page = await listDeliveries({ ...query, limit: 500, ...(cursor && { cursor }) })
    found.push(...page.items)
    cursor = page.nextCursor
  } while (cursor && found.length < max)
  return found
}

export interface ReplayProgress {
  readonly total: number
  readonly delivered: number
  readonly dead: number
  readonly pending: number
}

/** Where the replayed deliveries stand now: still queued or sending, dead again, or done. */
export async function replayProgress(listDeliveries: ListDeliveries, ids: readonly string[]): Promise<ReplayProgress> {
  const [queued, sending, dead] = await Promise.all([
    listAll(listDeliveries, { state: 'queued' }),
    listAll(listDeliveries, { state: 'in_flight' }),
    listAll(listDeliveries, { state: 'dead' }),
  ])
  const waiting = new Set([...queued, ...sending].map((delivery) => delivery.id))
  const failed = new Set(dead.map((delivery) => delivery.id))
  let pending = 0
  let deadAgain = 0
  for (const id of ids) {
    if (waiting.has(id)) pending++
    else if (failed.has(id)) deadAgain++
  }
  return { total: ids.length, pending, dead: deadAgain, delivered: ids.length - pending - deadAgain }
}

export type Health = 'healthy' | 'throttled' | 'failing' | 'paused' | 'disabled'

/** The server's verdict (`health`); from the state and `failingSince` only for a server that does not send it. */
export function healthOf(destination: Destination): Health {
  if (destination.health) return destination.health
  if (destination.state === 'paused') return 'paused'
  if (destination.state === 'disabled') return 'disabled'
  return destination.failingSince ? 'failing' : 'healthy'
}

export const healthLabels: Readonly<Record<Health, string>> = {
  healthy: 'Healthy',
  throttled: 'Rate limited',
  failing: 'Failing, retrying',
  paused: 'Paused',
  disabled: 'Disabled',
}

/** What to do about a destination's health, in a sentence. */
export function healthAdvice(destination: Destination): string | undefined {
  switch (healthOf(destination)) {
    case 'paused':
      return 'Deliveries wait without using up their attempts. Fix the settings or credentials, then Test connection to resume.'
    case 'disabled':
      return 'Deliveries stopped. Fix the endpoint, then save the destination or Test connection to turn it back on.'
    case 'throttled':
      return "The vendor's rate limiter has been holding deliveries back for a while; they wait and go out when it allows. Lower the rate limit below, or raise the vendor's quota."
    case 'failing':
      return 'Recent attempts failed; Leadrelay keeps retrying on its schedule and recovers on the first success.'
    default:
      return undefined
  }
}
