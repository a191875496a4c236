/**
 * Ingest in bulk, for imports of whole files and tables: the same checks and interpretation as every ingest
 * (createIngestPreparation) and the same store method (`recordLeadEvents`, hence the same dedupe, merge, routing,
 * delivery queueing, alerts, erasure screening and write-time counters), but committed in transactions of thousands
 * of events instead of the few hundred an HTTP answer can wait for. With a store that overlaps batches (the SQLite
 * ingest thread) the next batch is prepared while the last one is written and synced.
 */

import type { Clock } from '../core/ports.ts'
import type { IngestItem, IngestOutcome, Store } from '../store/types.ts'
import { createSubmitWindow } from './import-summary.ts'
import {
  createIngestPreparation,
  type IngestPreparationDeps,
  type IngestRequest,
  type IngestResponse,
  type IngestService,
  ingestResponseOf,
} from './ingest.ts'

/** What became of one request: its answer, or why it was refused or not stored. */
export type BulkResult = { readonly response: IngestResponse } | { readonly error: unknown }

export interface BulkIngest {
  /**
   * Queues a request; `done` is called once its batch is committed (or at once when the request is refused). Resolves
   * when there is room for more, so a caller that awaits it holds at most a few batches in memory.
   */
  add(request: IngestRequest, done: (result: BulkResult) => void): Promise<void>
  /** Commits what is queued and waits for every batch. */
  finish(): Promise<void>
}

export interface BulkIngestDeps extends IngestPreparationDeps {
  readonly store: Store
  readonly clock: Clock
  /** Events per transaction (default 5,000). */
  readonly batchSize?: number
}

interface Queued {
  readonly request: IngestRequest
  readonly item: IngestItem
  readonly done: (result: BulkResult) => void
}

export function createBulkIngest(deps: BulkIngestDeps): BulkIngest {
  const prepare = createIngestPreparation(deps)
  const batchSize = deps.batchSize ?? 5000
  const maxInFlight = Math.max(1, deps.store.capabilities.ingestBatchesInFlight)
  let batch: Queued[] = []
  const inFlight = new Set<Promise<void>>()

  async function commit(queued: readonly Queued[]): Promise<void> {
    let outcomes: readonly IngestOutcome[]
    try {
      outcomes = await deps.store.recordLeadEvents(
        queued.map((entry) => entry.item),
        deps.clock.now(),
      )
    } catch (error) {
      for (const entry of queued) entry.done({ error })
      return
    }
    for (const [index, entry] of queued.entries()) {
      const outcome = outcomes[index]
      if (outcome === undefined) entry.done({ error: new Error('the store gave no answer for this event') })
      else if (outcome.status === 'failed') entry.done({ error: outcome.error })
      else {
        let result: BulkResult
        try {
          result = { response: ingestResponseOf(entry.request, outcome) }
        } catch (error) {
          result = { error }
        }
        entry.done(result)
      }
    }
  }

  async function send(): Promise<void> {
    if (batch.length === 0) return
    // Batches go to the store in order, so rows of one lead are recorded in file order.
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight)
    const sending = commit(batch)
    batch = []
    inFlight.add(sending)
    void sending.finally(() => inFlight.delete(sending))
  }

  return {
    async add(request, done) {
      let item: IngestItem
      try {
        item = prepare(request)
      } catch (error) {
        done({ error })
        return
      }
      batch.push({ request, item, done })
      if (batch.length >= batchSize) await send()
    },
    async finish() {
      await send()
      await Promise.all(inFlight)
    },
  }
}

/** The ingest service as a bulk ingest: each request on its own, at most `size` in flight, answered in order. */
function oneByOne(ingest: IngestService, size: number): BulkIngest {
  const window = createSubmitWindow(size)
  return {
    add: (request, done) =>
      window.add(
        ingest.ingest(request).then(
          (response) => done({ response }),
          (error: unknown) => done({ error }),
        ),
      ),
    finish: () => window.finish(),
  }
}

/**
 * What an import feeds its rows to: the bulk ingest as it is, or the ingest service (row by row, as over HTTP) with
 * at most `window` requests in flight. Either way `finish` waits until every row added is answered.
 */
export function asBulkIngest(ingest: IngestService | BulkIngest, window: number): BulkIngest {
  return 'ingest' in ingest ? oneByOne(ingest, window) : ingest
}
