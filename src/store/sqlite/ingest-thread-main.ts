/**
 * The code of the ingest thread (ingest-thread.ts): group commits on a connection of its own. A batch is committed
 * without SQLite's own fsync and answered once an fdatasync of the WAL that started after its commit has returned
 * (wal-sync.ts), the guarantee `synchronous = FULL` gives; meanwhile the thread already runs the next batch's
 * statements. Checkpoints still sync the WAL before copying it into the database, so a commit is never lost between
 * its write and its fdatasync (docs/decisions/0005-sqlite-ingest-thread.md).
 */

import { parentPort, workerData } from 'node:worker_threads'
import { createIdGenerator } from '../../core/ids.ts'
import type { IngestItem } from '../types.ts'
import { createSqliteIngest } from './ingest-statements.ts'
import type { FromIngestThread, ToIngestThread } from './ingest-thread.ts'
import { openSqliteDatabase } from './open-database.ts'
import { createWalSync, walFileOf } from './wal-sync.ts'
import { adoptWriteTurn, writeTurnOf } from './write-turn.ts'

const port = parentPort
if (!port) throw new Error('ingest-thread-main runs only as a worker thread')
const { filename, writeTurn, pageCacheMiB } = workerData as {
  readonly filename: string
  readonly writeTurn?: SharedArrayBuffer
  readonly pageCacheMiB?: number
}
if (writeTurn) adoptWriteTurn(filename, writeTurn)
const turn = writeTurnOf(filename)
const database = openSqliteDatabase(filename, { pageCacheMiB })
database.pragma('synchronous = NORMAL')
const walSync = createWalSync(walFileOf(filename))
// Nothing else runs on this connection, and batches are recorded one after the other.
const recordBatch = createSqliteIngest(database, (work) => work())
// Delivery ids take their time from the batch, like every other id of it (the caller's clock).
let batchNow = 0
const ids = createIdGenerator({ now: () => batchNow })
const reply = (message: FromIngestThread) => port.postMessage(message)

let queue: Promise<void> = Promise.resolve()
const syncing = new Set<Promise<void>>()

async function record(message: Extract<ToIngestThread, { type: 'record' }>): Promise<void> {
  batchNow = message.now
  const items: IngestItem[] = message.items.map((item) => ({ ...item, newDeliveryId: () => ids.next('dlv') }))
  try {
    // In line with the delivery thread's bookkeeping, so neither starves the other at SQLite's lock.
    const release = turn.take()
    let outcomes: Awaited<ReturnType<typeof recordBatch>>
    try {
      outcomes = await recordBatch(items, message.now)
    } finally {
      release()
    }
    const durable = walSync.afterCommit().then(
      () => reply({ type: 'recorded', id: message.id, outcomes }),
      (error: Error) => reply({ type: 'failed', id: message.id, message: `fdatasync failed: ${error.message}` }),
    )
    syncing.add(durable)
    void durable.finally(() => syncing.delete(durable))
  } catch (error) {
    reply({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) })
  }
}

port.on('message', (message: ToIngestThread) => {
  if (message.type === 'record') {
    queue = queue.then(() => record(message))
    return
  }
  queue = queue.then(async () => {
    await Promise.all(syncing)
    walSync.close()
    database.close()
    port.close()
  })
})
