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

/** `flush` gets up to `maxBatch` items and answers one result per item, in order (or an Error for that item alone). */
export function createBatcher<Item, Result>(
  flush: (items: readonly Item[]) => Promise<readonly (Result | { readonly failed: unknown })[]>,
  maxBatch: number,
): Batcher<Item, Result> {
  let queue: Pending<Item, Result>[] = []
  let running: Promise<void> | undefined

  async function flushAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
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
  }

  function start(): void {
    if (running) return
    // setImmediate lets every request already read from the sockets join this flush.
    running = new Promise<void>((resolve) => setImmediate(resolve)).then(flushAll).finally(() => {
      running = undefined
      if (queue.length > 0) start()
    })
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        start()
      })
    },
    async drain() {
      while (running) await running
    },
  }
}
