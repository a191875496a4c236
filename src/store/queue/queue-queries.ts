/**
 * The delivery queue and its attempt log, one file per operation (claim, complete, release, extend leases, recover
 * expired leases, replay, statistics, reads), put together into the part of the Store contract they implement.
 */

import type { DeliveryStore } from '../types.ts'
import { claimDeliveries } from './claim-deliveries.ts'
import { completeAttempts } from './complete-attempts.ts'
import { extendLeases } from './extend-leases.ts'
import { nextDueAt } from './next-due-at.ts'
import { type QueueQueriesOptions, queueContextOf } from './queue-context.ts'
import { deliveryQueueStatistics } from './queue-statistics.ts'
import { destinationAttemptStats, listAttempts, listDestinationAttempts } from './read-attempts.ts'
import { getDelivery, listDeliveries } from './read-deliveries.ts'
import { releaseExpiredLeases } from './recover-expired-leases.ts'
import { markSuperseded, releaseDeliveries } from './release-deliveries.ts'
import { replayDeliveries } from './replay-deliveries.ts'

export type QueueStore = Pick<
  DeliveryStore,
  | 'claimDeliveries'
  | 'completeAttempt'
  | 'completeAttempts'
  | 'releaseDeliveries'
  | 'markSuperseded'
  | 'extendLeases'
  | 'releaseExpiredLeases'
  | 'nextDueAt'
  | 'deliveryQueueStatistics'
  | 'replayDeliveries'
  | 'getDelivery'
  | 'listDeliveries'
  | 'listAttempts'
  | 'listDestinationAttempts'
  | 'destinationAttemptStats'
>

export function createQueueQueries(options: QueueQueriesOptions): QueueStore {
  const context = queueContextOf(options)
  return {
    claimDeliveries: (request) => claimDeliveries(context, request),
    completeAttempts: (completions) => completeAttempts(context, completions),
    async completeAttempt(completion) {
      const [stillOurs] = await completeAttempts(context, [completion])
      return stillOurs === true
    },
    releaseDeliveries: (ids, workerId, runAt, now) => releaseDeliveries(context, ids, workerId, runAt, now),
    markSuperseded: (id, workerId, now) => markSuperseded(context, id, workerId, now),
    extendLeases: (workerId, now, leaseMs) => extendLeases(context, workerId, now, leaseMs),
    releaseExpiredLeases: (now) => releaseExpiredLeases(context, now),
    nextDueAt: () => nextDueAt(context),
    deliveryQueueStatistics: (now) => deliveryQueueStatistics(context, now),
    replayDeliveries: (tenantId, selector, now) => replayDeliveries(context, tenantId, selector, now),
    getDelivery: (tenantId, id) => getDelivery(context, tenantId, id),
    listDeliveries: (tenantId, filter, page) => listDeliveries(context, tenantId, filter, page),
    listAttempts: (tenantId, ids) => listAttempts(context, tenantId, ids),
    listDestinationAttempts: (tenantId, id, page) => listDestinationAttempts(context, tenantId, id, page),
    destinationAttemptStats: (tenantId, id, since) => destinationAttemptStats(context, tenantId, id, since),
  }
}
