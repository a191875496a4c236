import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { sqliteBookkeepingTransaction } from './bookkeeping-transaction.ts'
import { openSqliteDatabase } from './open-database.ts'
import { createSqliteKysely } from './sqlite-kysely.ts'
import { adoptWriteTurn, writeTurnOf } from './write-turn.ts'

/**
 * A thread that takes `turns` turns back to back, as the ingest thread commits batch after batch. It holds its first
 * turn until another ticket is waiting in line; `progress[1]` counts the turns it got, `progress[0]` those it finished.
 */
function busyWriter(buffer: SharedArrayBuffer, progress: Int32Array, turns: number): Worker {
  const module = new URL('./write-turn.ts', import.meta.url).href
  const code = `
    const { workerData } = require('node:worker_threads')
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module)}) }).then((turns) => {
      turns.adoptWriteTurn('/tmp/turn-test.db', workerData.buffer)
      const turn = turns.writeTurnOf('/tmp/turn-test.db')
      const { progress } = workerData
      const tickets = new Int32Array(workerData.buffer)
      for (let n = 0; n < ${turns}; n++) {
        const release = turn.take()
        Atomics.store(progress, 1, n + 1)
        Atomics.notify(progress, 1)
        if (n === 0) while (Atomics.load(tickets, 0) < 2) Atomics.wait(tickets, 0, Atomics.load(tickets, 0), 50)
        Atomics.store(progress, 0, n + 1)
        release()
      }
    })`
  return new Worker(code, { eval: true, workerData: { buffer, progress } })
}

test('a thread waiting for its turn writes right after the transaction ahead of it, not after a busy writer is done', async () => {
  const file = '/tmp/turn-test.db'
  const buffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)
  adoptWriteTurn(file, buffer)
  const progress = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))
  const writer = busyWriter(buffer, progress, 3)
  try {
    // The busy writer holds its first turn...
    while (Atomics.load(progress, 1) < 1) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    // ...and this thread queues behind it; the writer takes its next turns as fast as it can.
    const release = writeTurnOf(file).take()
    expect(Atomics.load(progress, 0)).toBe(1)
    expect(Atomics.load(progress, 1)).toBe(1)
    release()
    await new Promise<void>((resolve) => writer.once('exit', () => resolve()))
    expect(Atomics.load(progress, 0)).toBe(3)
  } finally {
    await writer.terminate()
  }
})

test('a turn never handed on is skipped after the longest wait, so a dead holder cannot stop the others', () => {
  const turns = writeTurnOf('/tmp/turn-test-skip.db', 30)
  const held = turns.take()
  // The same thread asks again: nobody can release the first turn before it, so it proceeds after 30 ms.
  const next = turns.take()
  next()
  held()
  // After both released, the line is free again.
  const later = turns.take()
  later()
})

test('two bookkeeping transactions of one thread at once: the second waits for the connection, not for a turn it cannot get', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-turns-'))
  const file = join(dir, 'turns.db')
  const database = openSqliteDatabase(file)
  try {
    // A turn that is never skipped within the test: waiting for one this thread holds would block it for good.
    const transaction = sqliteBookkeepingTransaction(createSqliteKysely(database), writeTurnOf(file, 60_000))
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const first = transaction(async (trx) => {
      await sql`select 1`.execute(trx)
      await gate
      return 'first'
    })
    const second = transaction(async () => 'second')
    // A timer fires only while the thread is free: blocked in a wait for its own turn, it never would.
    setTimeout(open, 10)
    expect(await Promise.all([first, second])).toEqual(['first', 'second'])
  } finally {
    database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}, 20_000)
