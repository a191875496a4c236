/**
 * Turns at SQLite's write lock for the threads of one process, first come first served. SQLite's own busy handler
 * lets a waiting connection sleep and retry (1, 2, 5 … 100 ms); the ingest thread, committing batch after batch, takes
 * the lock again within microseconds of releasing it, so the delivery thread's claims and outcomes waited whole
 * seconds under load, its event loop blocked meanwhile. A ticket in shared memory puts them in line instead: each
 * waits for at most the transaction ahead of it (docs/decisions/0010-sqlite-write-turns.md).
 *
 * The turn is advice on top of SQLite's lock, never a replacement: a connection that does not take turns (another
 * process, the main thread's API writes) is still ordered by SQLite, and a turn not handed on within `maxWaitMs` (its
 * thread died holding it) is skipped rather than waited for.
 */

import { resolve } from 'node:path'

export interface WriteTurn {
  /** Waits for this thread's turn (blocking it, as SQLite's busy handler would); returns the release. */
  take(): () => void
}

/** [next ticket to hand out, lowest ticket allowed to write]. */
const slots = 2

const buffers = new Map<string, SharedArrayBuffer>()

function keyOf(filename: string): string {
  return resolve(filename)
}

/** The shared memory of a database file's turns in this thread, made on first use; send it to other threads. */
export function writeTurnBuffer(filename: string): SharedArrayBuffer {
  const key = keyOf(filename)
  let buffer = buffers.get(key)
  if (!buffer) {
    buffer = new SharedArrayBuffer(slots * Int32Array.BYTES_PER_ELEMENT)
    buffers.set(key, buffer)
  }
  return buffer
}

/** In a thread started by another: takes turns in the same line as that thread (the buffer it was sent). */
export function adoptWriteTurn(filename: string, buffer: SharedArrayBuffer): void {
  buffers.set(keyOf(filename), buffer)
}

export function writeTurnOf(filename: string, maxWaitMs = 5000): WriteTurn {
  const cells = new Int32Array(writeTurnBuffer(filename))
  return {
    take() {
      const ticket = Atomics.add(cells, 0, 1)
      const deadline = performance.now() + maxWaitMs
      for (;;) {
        const serving = Atomics.load(cells, 1)
        // Signed difference: the counters may wrap around after 2^31 transactions.
        if (((serving - ticket) | 0) >= 0) break
        const left = deadline - performance.now()
        if (left <= 0) break
        Atomics.wait(cells, 1, serving, left)
      }
      let released = false
      return () => {
        if (released) return
        released = true
        // Hands the turn to the next ticket; never moves it back (a skipped holder may release after later ones).
        const next = (ticket + 1) | 0
        for (;;) {
          const serving = Atomics.load(cells, 1)
          if (((serving - next) | 0) >= 0) break
          if (Atomics.compareExchange(cells, 1, serving, next) === serving) break
        }
        Atomics.notify(cells, 1)
      }
    },
  }
}
