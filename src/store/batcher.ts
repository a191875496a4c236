/**
 * Batches concurrent calls into one: work submitted while a flush runs waits for the next flush and shares it. The
 * durable writes (ingest, attempt completions) use it so that one commit, one fsync, serves many callers.
 */

export interface Batcher<Item, Result> {
  /** Resolves with this item's result once the flush that carried it is done; rejects if that flush failed. */
  submit(item: Item): Promise<Result>
  /** Waits until everything submitted so far is flushed. */
  drain(): Promise<void>
}

interface Pending<Item, Result> {
  readonly item: Item
  resolve(result: Result): void
  reject(error: unknown): void
}

export interface BatcherOptions {
  /** Upper bound of items per flush. */
  readonly maxBatch: number
  /**
   * Flushes that may run at once. 1 (the default) gathers everything that arrives during a flush into the next;
   * more suits a `flush` that queues its batches and overlaps their fsyncs itself (the SQLite ingest thread).
   */
  readonly maxInFlight?: number
}

/** `flush` gets up to `maxBatch` items and answers one result per item, in order (or an Error for that item alone). */
export function createBatcher<Item, Result>(
  flush: (items: readonly Item[]) => Promise<readonly (Result | { readonly failed: unknown })[]>,
  { maxBatch, maxInFlight = 1 }: BatcherOptions,
): Batcher<Item, Result> {
  let queue: Pending<Item, Result>[] = []
  let scheduled = false
  let inFlight = 0
  const idle: (() => void)[] = []

  async function flushOne(batch: Pending<Item, Result>[]): Promise<void> {
    try {
      const results = await flush(batch.map((pending) => pending.item))
      for (const [index, pending] of batch.entries()) {
        const result = results[index]
        if (result !== null && typeof result === 'object' && 'failed' in result) pending.reject(result.failed)
        else pending.resolve(result as Result)
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error)
    }
  }

  function flushQueued(): void {
    scheduled = false
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      inFlight++
      void flushOne(batch).finally(() => {
        inFlight--
        if (queue.length > 0) schedule()
        else if (inFlight === 0) for (const resolve of idle.splice(0)) resolve()
      })
    }
  }

  function schedule(): void {
    if (scheduled || inFlight >= maxInFlight) return
    scheduled = true
    // setImmediate lets every request already read from the sockets join this flush.
    setImmediate(flushQueued)
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        schedule()
      })
    },
    async drain() {
      if (queue.length === 0 && inFlight === 0 && !scheduled) return
      await new Promise<void>((resolve) => idle.push(resolve))
    },
  }
}
