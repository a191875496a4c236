/**
 * Group commit: ingest requests that arrive while a commit is running wait for the next one and share it, so one
 * fsync acknowledges many leads and durability does not cap throughput.
 */

import type { Clock } from '../core/ports.ts'
import type { IngestItem, IngestOutcome, Store } from './types.ts'

export interface GroupCommit {
  /** Resolves once the item is durably committed (or found to be a duplicate); rejects if it alone failed. */
  submit(item: IngestItem): Promise<Exclude<IngestOutcome, { status: 'failed' }>>
  /** Waits until everything submitted so far is committed. */
  drain(): Promise<void>
}

interface Pending {
  readonly item: IngestItem
  resolve(outcome: Exclude<IngestOutcome, { status: 'failed' }>): void
  reject(error: unknown): void
}

export interface GroupCommitOptions {
  readonly store: Store
  readonly clock: Clock
  /** Upper bound of events per transaction. */
  readonly maxBatch?: number
}

export function createGroupCommit({ store, clock, maxBatch = 500 }: GroupCommitOptions): GroupCommit {
  let queue: Pending[] = []
  let running: Promise<void> | undefined

  async function commitAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      try {
        const outcomes = await store.recordLeadEvents(
          batch.map((pending) => pending.item),
          clock.now(),
        )
        for (const [index, pending] of batch.entries()) {
          const outcome = outcomes[index]!
          if (outcome.status === 'failed') pending.reject(outcome.error)
          else pending.resolve(outcome)
        }
      } catch (error) {
        for (const pending of batch) pending.reject(error)
      }
    }
  }

  function start(): void {
    if (running) return
    // setImmediate lets every request already read from the sockets join this commit.
    running = new Promise<void>((resolve) => setImmediate(resolve)).then(commitAll).finally(() => {
      running = undefined
      if (queue.length > 0) start()
    })
  }

  return {
    submit(item) {
      return new Promise((resolve, reject) => {
        queue.push({ item, resolve, reject })
        start()
      })
    },
    async drain() {
      while (running) await running
    },
  }
}
