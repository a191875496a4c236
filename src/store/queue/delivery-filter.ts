/** The filter of the deliveries list, the Deliveries page's counts and a replay by filter: one definition for all. */

import type { DeliveryFilter } from '../types.ts'

type Where<T> = { where: (...args: any[]) => T }

export function applyDeliveryFilter<T extends Where<T>>(query: T, filter: DeliveryFilter): T {
  let q = query
  if (filter.state !== undefined) q = q.where('state', '=', filter.state)
  if (filter.destinationId !== undefined) q = q.where('destination_id', '=', filter.destinationId)
  if (filter.leadId !== undefined) q = q.where('lead_id', '=', filter.leadId)
  if (filter.reason !== undefined) q = q.where('last_error', '=', filter.reason)
  if (filter.since !== undefined) q = q.where('updated_at', '>=', filter.since)
  if (filter.until !== undefined) q = q.where('updated_at', '<', filter.until)
  return q
}
