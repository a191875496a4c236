/**
 * Group commits of the embedded store on a thread of their own. The statements of a batch and its fsync no longer
 * hold the main event loop, which meanwhile parses and answers requests and gathers the next batch
 * (docs/decisions/0005-sqlite-ingest-thread.md). The thread has its own connection to the same file; SQLite's
 * write lock orders its transactions with the main connection's. It starts on the first batch, so commands that
 * never ingest never start it.
 */

import type { Worker } from 'node:worker_threads'
import { spawnThread } from '../../spawn-thread.ts'
import type { IngestItem, IngestOutcome } from '../types.ts'

/** An item as it crosses to the thread: delivery ids are made there, since a function cannot be sent. */
export type ThreadIngestItem = Omit<IngestItem, 'newDeliveryId'>

/** Messages to the thread. */
export type ToIngestThread =
  | { readonly type: 'record'; readonly id: number; readonly items: readonly ThreadIngestItem[]; readonly now: number }
  | { readonly type: 'close' }

/** Messages from the thread: one answer per batch, in any order. */
export type FromIngestThread =
  | { readonly type: 'recorded'; readonly id: number; readonly outcomes: IngestOutcome[] }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }

export interface IngestThread {
  /** Records a batch in one durable transaction; rejects when the batch as a whole failed (nothing of it is kept). */
  record(items: readonly IngestItem[], now: number): Promise<IngestOutcome[]>
  /** Lets the batches sent finish, then ends the thread and its connection. */
  close(): Promise<void>
}

export interface IngestThreadOptions {
  readonly filename: string
  /** The turns at the write lock the thread's commits take (write-turn.ts), shared with this thread's connection. */
  readonly writeTurn?: SharedArrayBuffer
  /** The thread's connection's page cache bound in MiB (open-database.ts). */
  readonly pageCacheMiB?: number | undefined
  /** Starts one thread; replaced in tests. */
  readonly spawn?: (filename: string, writeTurn?: SharedArrayBuffer, pageCacheMiB?: number) => Worker
}

export function spawnIngestThread(filename: string, writeTurn?: SharedArrayBuffer, pageCacheMiB?: number): Worker {
  return spawnThread(import.meta.url, 'ingest-thread-main', { filename, writeTurn, pageCacheMiB })
}

export function createIngestThread({
  filename,
  writeTurn,
  pageCacheMiB,
  spawn = spawnIngestThread,
}: IngestThreadOptions): IngestThread {
  let thread: { worker: Worker; exited: Promise<void> } | undefined
  const pending = new Map<number, { resolve(outcomes: IngestOutcome[]): void; reject(error: Error): void }>()
  let nextId = 1
  let closed = false

  function failPending(error: Error): void {
    for (const waiter of pending.values()) waiter.reject(error)
    pending.clear()
  }

  function start(): { worker: Worker; exited: Promise<void> } {
    const worker = spawn(filename, writeTurn, pageCacheMiB)
    // An idle thread does not keep the process alive; one with batches to answer does.
    worker.unref()
    let failure: Error | undefined
    worker.on('message', (message: FromIngestThread) => {
      const waiter = pending.get(message.id)
      if (!waiter) return
      pending.delete(message.id)
      if (pending.size === 0) worker.unref()
      if (message.type === 'recorded') waiter.resolve(message.outcomes)
      else waiter.reject(new Error(message.message))
    })
    // An error ends the thread; the exit handler answers whatever was waiting.
    worker.on('error', (error) => {
      failure = error
    })
    const exited = new Promise<void>((resolve) => {
      worker.once('exit', (code) => {
        // A batch without an answer was not acknowledged: its requests fail and their senders try again.
        const reason = failure ? `: ${failure.message}` : ` (exit code ${code})`
        failPending(new Error(`the ingest thread ended before it answered${reason}`))
        if (thread?.worker === worker) thread = undefined
        resolve()
      })
    })
    return { worker, exited }
  }

  return {
    async record(items, now) {
      if (closed) throw new Error('the store is closed')
      const id = nextId++
      const message: ToIngestThread = {
        type: 'record',
        id,
        items: items.map(({ newDeliveryId: _made_on_the_thread, ...item }) => item),
        now,
      }
      // Started first: a thread that cannot be spawned rejects this batch without leaving it pending.
      thread ??= start()
      const { worker } = thread
      return new Promise<IngestOutcome[]>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.ref()
        worker.postMessage(message)
      })
    },
    async close() {
      closed = true
      if (!thread) return
      const { worker, exited } = thread
      worker.ref()
      // Messages are handled in order: every batch sent before this is answered before the thread closes.
      worker.postMessage({ type: 'close' } satisfies ToIngestThread)
      await exited
    },
  }
}
