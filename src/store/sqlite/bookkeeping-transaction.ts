/**
 * Delivery bookkeeping on SQLite commits with `synchronous = NORMAL`: written to the WAL (so a crashed process loses
 * nothing) but not fsynced, which would block the event loop for every claim and every batch of attempt outcomes.
 * A power failure can undo the last of these commits; the deliveries concerned are then sent again under the same
 * webhook-id. Lead events keep `synchronous = FULL`. See docs/decisions/0003-delivery-bookkeeping-without-fsync.md.
 */

import { CompiledQuery, type Kysely } from 'kysely'
import type { BookkeepingTransaction } from '../executor.ts'
import type { Database } from '../schema.ts'
import type { WriteTurn } from './write-turn.ts'

// Compiled once: two statements around every claim and every batch of outcomes, with nothing in them to build.
const synchronousNormal = CompiledQuery.raw('pragma synchronous = normal')
const synchronousFull = CompiledQuery.raw('pragma synchronous = full')

export function sqliteBookkeepingTransaction(db: Kysely<Database>, turn?: WriteTurn): BookkeepingTransaction {
  return (work) =>
    // The pragma belongs to the connection, and SQLite has one: nothing else runs on it until FULL is back.
    db.connection().execute(async (connection) => {
      // In line with the ingest thread's commits (write-turn.ts) rather than polling for SQLite's lock against them.
      // Taken once this thread holds its connection: a second transaction of the same thread waits for the
      // connection without blocking the thread, so the turn it would wait for is always another thread's.
      const release = turn?.take()
      try {
        await connection.executeQuery(synchronousNormal)
        try {
          return await connection.transaction().execute(work)
        } finally {
          await connection.executeQuery(synchronousFull)
        }
      } finally {
        release?.()
      }
    })
}
