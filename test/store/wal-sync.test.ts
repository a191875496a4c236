import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { createWalSync, type WalSyncFile, walFileOf } from '../../src/store/sqlite/wal-sync.ts'

/** A WAL file whose fdatasyncs finish only when the test says so. */
function heldFile() {
  const syncs: Array<(error: Error | null) => void> = []
  let opened = 0
  let closed = 0
  const file: WalSyncFile = {
    open: () => {
      opened++
      return 42
    },
    datasync: (_fd, done) => syncs.push(done),
    close: () => {
      closed++
    },
  }
  return { file, syncs, opened: () => opened, closed: () => closed }
}

function settled(promise: Promise<unknown>): () => string {
  let state = 'pending'
  promise.then(
    () => {
      state = 'resolved'
    },
    (error: Error) => {
      state = `rejected: ${error.message}`
    },
  )
  return () => state
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('WAL sync for commits made without fsync', () => {
  test('a commit is answered only once an fdatasync started after it has returned', async () => {
    const { file, syncs } = heldFile()
    const walSync = createWalSync(file)
    const first = settled(walSync.afterCommit())
    expect(syncs).toHaveLength(1)
    // Committed while the first sync runs: that sync may have started before these frames were written.
    const second = settled(walSync.afterCommit())
    const third = settled(walSync.afterCommit())
    expect(syncs).toHaveLength(1)
    syncs[0]!(null)
    await tick()
    expect(first()).toBe('resolved')
    expect(second()).toBe('pending')
    expect(third()).toBe('pending')
    // One more fdatasync serves both commits that waited.
    expect(syncs).toHaveLength(2)
    syncs[1]!(null)
    await tick()
    expect([second(), third()]).toEqual(['resolved', 'resolved'])
    expect(syncs).toHaveLength(2)
  })

  test('a failed fdatasync rejects the commits it covered; later commits get a sync of their own', async () => {
    const { file, syncs } = heldFile()
    const walSync = createWalSync(file)
    const failed = settled(walSync.afterCommit())
    syncs[0]!(new Error('EIO'))
    await tick()
    expect(failed()).toBe('rejected: EIO')
    const next = settled(walSync.afterCommit())
    syncs[1]!(null)
    await tick()
    expect(next()).toBe('resolved')
  })

  test('the file is opened once, when first needed, and closed by close()', async () => {
    const { file, syncs, opened, closed } = heldFile()
    const walSync = createWalSync(file)
    expect(opened()).toBe(0)
    const done = Promise.all([walSync.afterCommit(), walSync.afterCommit()])
    syncs[0]!(null)
    await tick()
    syncs[1]!(null)
    await done
    expect(opened()).toBe(1)
    walSync.close()
    expect(closed()).toBe(1)
  })

  test('syncs the real WAL file of a database', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'leadrelay-wal-'))
    try {
      writeFileSync(join(dir, 'store.db-wal'), 'frames')
      const walSync = createWalSync(walFileOf(join(dir, 'store.db')))
      await expect(walSync.afterCommit()).resolves.toBeUndefined()
      walSync.close()
      // No WAL file, no durability: the commit must not be answered as if it were on disk.
      const missing = createWalSync(walFileOf(join(dir, 'other.db')))
      await expect(missing.afterCommit()).rejects.toThrow(/ENOENT/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
