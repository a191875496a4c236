/** The attempt log: the attempts of some deliveries, a destination's delivery log, and its success counts. */

import type { AttemptRecord } from '../../core/delivery.ts'
import type { Executor } from '../executor.ts'
import type { DestinationAttempt, Page } from '../types.ts'
import { attemptOf } from './delivery-rows.ts'
import type { QueueContext } from './queue-context.ts'

/** `<startedAt>_<id>` of the last attempt on the previous page; undefined for the first page or a foreign cursor. */
function attemptCursorOf(cursor: string | undefined): { startedAt: number; id: string } | undefined {
  const match = cursor === undefined ? null : /^(\d{1,15})_([A-Za-z0-9_]{1,80})$/.exec(cursor)
  return match ? { startedAt: Number(match[1]), id: match[2]! } : undefined
}

/** Oldest first, per delivery in the order they ran. */
export async function listAttempts(
  context: QueueContext,
  tenantId: string,
  deliveryIds: readonly string[],
): Promise<readonly AttemptRecord[]> {
  if (deliveryIds.length === 0) return []
  const rows = await context.db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('started_at')
    .orderBy('number')
    .execute()
  return rows.map(attemptOf)
}

/**
 * One page of a destination's delivery log: newest first, each attempt with its lead. Read through the index on
 * (destination_id, started_at) (test/store/attempt-log-plan.test.ts).
 */
export function destinationAttemptsQuery(
  executor: Executor,
  tenantId: string,
  destinationId: string,
  page: { limit: number; cursor?: string },
) {
  const after = attemptCursorOf(page.cursor)
  return executor
    .selectFrom('delivery_attempts as a')
    .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
    .innerJoin('leads as l', 'l.id', 'd.lead_id')
    .selectAll('a')
    .select(['d.lead_id', 'l.first_name', 'l.last_name', 'l.email', 'l.company'])
    .where('a.tenant_id', '=', tenantId)
    .where('a.destination_id', '=', destinationId)
    .$if(after !== undefined, (query) =>
      query.where((eb) =>
        eb.or([
          eb('a.started_at', '<', after!.startedAt),
          eb.and([eb('a.started_at', '=', after!.startedAt), eb('a.id', '<', after!.id)]),
        ]),
      ),
    )
    .orderBy('a.started_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(page.limit + 1)
}

/** Newest first, each with its lead: the destination's delivery log. */
export async function listDestinationAttempts(
  context: QueueContext,
  tenantId: string,
  destinationId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<DestinationAttempt>> {
  const rows = await destinationAttemptsQuery(context.db, tenantId, destinationId, page).execute()
  const items = rows.slice(0, page.limit).map((row) => {
    const customer: Record<string, string> = {}
    if (row.first_name !== null) customer.firstName = row.first_name
    if (row.last_name !== null) customer.lastName = row.last_name
    if (row.email !== null) customer.email = row.email
    if (row.company !== null) customer.company = row.company
    return { ...attemptOf(row), leadId: row.lead_id, customer }
  })
  const last = items[items.length - 1]
  return {
    items,
    ...(rows.length > page.limit && last && { nextCursor: `${last.startedAt}_${last.id}` }),
  }
}

/** Counts a destination's attempts since `since`, and the delivered ones, through the same index. */
export function destinationAttemptStatsQuery(
  executor: Executor,
  tenantId: string,
  destinationId: string,
  since: number,
) {
  return executor
    .selectFrom('delivery_attempts')
    .select((eb) => [
      eb.fn.countAll<number>().as('attempts'),
      eb.fn.sum<number>(eb.case().when('outcome', '=', 'delivered').then(1).else(0).end()).as('delivered'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('destination_id', '=', destinationId)
    .where('started_at', '>=', since)
}

/** How many of a destination's attempts since `since` there were, and how many delivered. */
export async function destinationAttemptStats(
  context: QueueContext,
  tenantId: string,
  destinationId: string,
  since: number,
): Promise<{ attempts: number; delivered: number }> {
  const row = await destinationAttemptStatsQuery(context.db, tenantId, destinationId, since).executeTakeFirst()
  return { attempts: Number(row?.attempts ?? 0), delivered: Number(row?.delivered ?? 0) }
}
