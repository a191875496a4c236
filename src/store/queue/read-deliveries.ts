/** One delivery, and a tenant's deliveries newest first with a cursor. */

import type { Delivery } from '../../core/delivery.ts'
import { AppError } from '../../core/errors.ts'
import type { Executor } from '../executor.ts'
import type { DeliveryFilter, Page } from '../types.ts'
import { applyDeliveryFilter } from './delivery-filter.ts'
import { deliveryOf } from './delivery-rows.ts'
import type { QueueContext } from './queue-context.ts'

const deliveryIdPattern = /^dlv_[0-9A-Z]{26}$/

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString()
  if (!deliveryIdPattern.test(id)) throw new AppError('VALIDATION_FAILED', 'cursor is not valid', { field: 'cursor' })
  return id
}

export async function getDelivery(context: QueueContext, tenantId: string, id: string): Promise<Delivery | undefined> {
  const row = await context.db
    .selectFrom('deliveries')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? deliveryOf(row) : undefined
}

/** The page's statement: newest first, one more row than asked to tell whether another page follows. */
export function listDeliveriesQuery(
  executor: Executor,
  tenantId: string,
  filter: DeliveryFilter,
  page: { limit: number; cursor?: string },
) {
  let query = applyDeliveryFilter(
    executor.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId),
    filter,
  )
  if (page.cursor !== undefined) query = query.where('id', '<', decodeCursor(page.cursor))
  return query.orderBy('id', 'desc').limit(page.limit + 1)
}

export async function listDeliveries(
  context: QueueContext,
  tenantId: string,
  filter: DeliveryFilter,
  page: { limit: number; cursor?: string },
): Promise<Page<Delivery>> {
  const rows = await listDeliveriesQuery(context.db, tenantId, filter, page).execute()
  const items = rows.slice(0, page.limit).map(deliveryOf)
  const last = items.at(-1)
  return rows.length > page.limit && last
    ? { items, nextCursor: Buffer.from(last.id).toString('base64url') }
    : { items }
}
