/**
 * Group commit: ingest requests that arrive while a commit is running wait for the next one and share it, so one
 * fsync acknowledges many leads and durability does not cap throughput.
 */

import type { Clock } from '../core/ports.ts'
import { type Batcher, createBatcher } from './batcher.ts'
import type { IngestItem, IngestOutcome, Store } from './types.ts'

export type GroupCommit = Batcher<IngestItem, Exclude<IngestOutcome, { status: 'failed' }>>

export interface GroupCommitOptions {
  readonly store: Store
  readonly clock: Clock
  /** Upper bound of events per transaction. */
  readonly maxBatch?: number
}

export function createGroupCommit({ store, clock, maxBatch = 500 }: GroupCommitOptions): GroupCommit {
  return createBatcher<IngestItem, Exclude<IngestOutcome, { status: 'failed' }>>(
    async (items) => {
      const outcomes = await store.recordLeadEvents(items, clock.now())
      // An item that failed alone is rejected alone; the others in its commit are answered.
      return outcomes.map((outcome) => (outcome.status === 'failed' ? { failed: outcome.error } : outcome))
    },
    {
      maxBatch,
      maxInFlight: store.capabilities.ingestBatchesInFlight,
    },
  )
}
