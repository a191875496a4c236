/**
 * Durability for commits made with `synchronous = NORMAL`: each waits for an fdatasync of the WAL file that started
 * after it, which is what `synchronous = FULL` does inside the commit. Commits that arrive while a sync runs share
 * the next one, so one fdatasync serves many commits and none blocks the thread that made them.
 */

import { closeSync, fdatasync, openSync } from 'node:fs'

export interface WalSync {
  /** Resolves once everything committed before this call is on disk; rejects if the fdatasync failed. */
  afterCommit(): Promise<void>
  /** Closes the file; call once no sync is awaited. */
  close(): void
}

export interface WalSyncFile {
  open(): number
  datasync(fd: number, done: (error: Error | null) => void): void
  close(fd: number): void
}

/** The WAL file itself, opened when first needed (SQLite creates it with the first write). */
export function walFileOf(databaseFile: string): WalSyncFile {
  return {
    open: () => openSync(`${databaseFile}-wal`, 'r+'),
    datasync: (fd, done) => fdatasync(fd, done),
    close: (fd) => closeSync(fd),
  }
}

export function createWalSync(file: WalSyncFile): WalSync {
  let fd: number | undefined
  let syncing = false
  let waiting: Array<(error: Error | null) => void> = []

  function sync(): void {
    syncing = true
    const covered = waiting
    waiting = []
    try {
      fd ??= file.open()
    } catch (error) {
      syncing = false
      for (const done of covered) done(error as Error)
      return
    }
    file.datasync(fd, (error) => {
      syncing = false
      for (const done of covered) done(error)
      if (waiting.length > 0) sync()
    })
  }

  return {
    afterCommit() {
      return new Promise((resolve, reject) => {
        waiting.push((error) => (error ? reject(error) : resolve()))
        // A sync already running may have started before this commit was written: it waits for the next one.
        if (!syncing) sync()
      })
    },
    close() {
      if (fd !== undefined) file.close(fd)
      fd = undefined
    },
  }
}
