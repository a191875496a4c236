/**
 * Changing an offer or a route, and what that does for leads that arrived before: the use case behind
 * `PUT /v1/offers/{id}` and `PUT /v1/routes/default`, with its dry run for the portal's "12 earlier leads will be
 * delivered".
 */

import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { EarlierLeadsChoice, RoutingChangeResult } from '../store/routing-queries.ts'
import type { OfferInput, RouteScope, Store, Tenant } from '../store/types.ts'

export interface ChangeRoutingDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
}

export interface RoutingRequest {
  /** The offer to create or change; without it, `destinationIds` is the tenant's default route. */
  readonly offer?: OfferInput
  /** The route's destinations; absent to keep the routing. */
  readonly destinationIds?: readonly string[]
  readonly earlierLeads: EarlierLeadsChoice
  /** Answer what the change would do, and change nothing. */
  readonly dryRun: boolean
}

/**
 * Applies the change (or only works it out, for a dry run) and audits what it did to earlier leads. New routing has
 * not been checked yet: an offer whose route is set goes back to draft until its next publish.
 */
export async function changeRouting(
  deps: ChangeRoutingDeps,
  tenant: Tenant,
  request: RoutingRequest,
  actor: string,
): Promise<RoutingChangeResult> {
  const destinationIds = request.destinationIds === undefined ? undefined : [...new Set(request.destinationIds)]
  for (const id of destinationIds ?? []) {
    if (!(await deps.store.getDestination(tenant.id, id)))
      throw new AppError('DESTINATION_NOT_FOUND', `No destination ${id}`, { field: 'destinationId' })
  }
  const scope: RouteScope = request.offer === undefined ? 'default' : `offer:${request.offer.id}`
  const routeBefore = destinationIds === undefined ? undefined : await deps.store.getRoutes(tenant.id, scope)
  const now = deps.clock.now()
  const result = await deps.store.changeRouting({
    tenantId: tenant.id,
    ...(request.offer !== undefined && { offer: request.offer }),
    ...(destinationIds !== undefined && { destinationIds }),
    earlierLeads: request.earlierLeads,
    dryRun: request.dryRun,
    newDeliveryId: () => deps.ids.next('dlv'),
    now,
  })
  if (request.dryRun) return result
  let offer = result.offer
  if (request.offer !== undefined && destinationIds !== undefined) {
    await deps.store.setOfferStatus(tenant.id, request.offer.id, 'draft', now)
    offer = (await deps.store.getOffer(tenant.id, request.offer.id)) ?? offer
  }
  const target = request.offer === undefined ? 'default' : request.offer.id
  const routeAfter = destinationIds === undefined ? undefined : [...destinationIds].sort()
  if (routeBefore !== undefined && routeAfter !== undefined && routeBefore.join(' ') !== routeAfter.join(' ')) {
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: tenant.id,
      actor,
      action: 'routes.changed',
      target,
      detail: { scope, before: routeBefore, after: routeAfter },
      at: now,
    })
  }
  const { earlierLeads } = result
  if (earlierLeads.destinations.length > 0 || result.joinedLeads > 0) {
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: tenant.id,
      actor,
      action: earlierLeads.choice === 'deliver' ? 'earlier_leads.queued' : 'earlier_leads.skipped',
      target,
      detail: {
        scope,
        destinations: earlierLeads.destinations,
        leads: earlierLeads.leads,
        deliveries: earlierLeads.deliveries,
        queued: earlierLeads.queued,
        joinedLeads: result.joinedLeads,
        mergedLeads: result.mergedLeads,
      },
      at: now,
    })
  }
  return { ...result, ...(offer !== undefined && { offer }) }
}
