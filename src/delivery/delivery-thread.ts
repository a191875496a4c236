/**
 * The delivery worker on a thread of its own, as `serve` runs it: HTTP intake keeps the main event loop and delivery
 * gets another, so neither waits for the other's turn and both cores of a small machine work
 * (docs/decisions/0004-delivery-worker-thread.md). The thread opens its own store connection from the config;
 * the main thread wakes it when a commit queued deliveries. A thread that dies is started again: the deliveries it
 * held return to the queue when their leases expire.
 */

import type { Worker } from 'node:worker_threads'
import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import { spawnThread } from '../spawn-thread.ts'
import { writeTurnBuffer } from '../store/sqlite/write-turn.ts'
import type { WindowView } from './destination-limits.ts'

/** How often the thread reports its destinations' windows (when they changed). */
export const windowReportIntervalMs = 2000

/** Messages to the thread. */
export type ToDeliveryThread = { readonly type: 'wake' } | { readonly type: 'stop' }

/** Messages from the thread. */
export type FromDeliveryThread =
  | { readonly type: 'started' }
  | { readonly type: 'stopped' }
  /** Each destination's adaptive window, sent every few seconds while it changes. */
  | { readonly type: 'windows'; readonly windows: readonly (readonly [string, WindowView])[] }
  /** Attempts since the last report, for metrics: flat triples of destination kind, outcome and seconds. */
  | { readonly type: 'attempts'; readonly batch: readonly (string | number)[] }

export interface DeliveryThread {
  /** Looks for work now (after a commit that queued deliveries, or a replay). */
  wake(): void
  /** Finishes the attempts in flight, closes the thread's store connection and ends the thread. */
  stop(): Promise<void>
  /** Each destination's adaptive window, as the thread last reported it. */
  windows(): ReadonlyMap<string, WindowView>
}

export interface DeliveryThreadOptions {
  readonly config: Config
  readonly log: Logger
  /** Wait before starting a thread that ended unexpectedly again. */
  readonly restartDelayMs?: number
  /** Starts one thread; replaced in tests to make one fail. */
  readonly spawn?: (config: Config) => Worker
  /** Receives the thread's attempt reports (metrics on). */
  readonly onAttempts?: (batch: readonly (string | number)[]) => void
}

/** Starts the thread's code: the TypeScript source in a checkout (run through tsx), the build in a package. */
export function spawnDeliveryThread(config: Config): Worker {
  // Its SQLite writes take turns with this process's ingest thread (store/sqlite/write-turn.ts).
  return spawnThread(import.meta.url, 'delivery-thread-main', {
    config,
    writeTurn: writeTurnBuffer(config.sqliteFile),
  })
}

export function startDeliveryThread({
  config,
  log,
  restartDelayMs = 1000,
  spawn = spawnDeliveryThread,
  onAttempts,
}: DeliveryThreadOptions): DeliveryThread {
  let stopping = false
  let thread: Worker
  let exited: Promise<void>
  let restartTimer: NodeJS.Timeout | undefined
  let stopped: (() => void) | undefined
  let windows: ReadonlyMap<string, WindowView> = new Map()
  let wakeQueued = false

  function start(): void {
    thread = spawn(config)
    thread.on('error', (error) => log.error({ err: error }, 'delivery thread failed'))
    thread.on('message', (message: FromDeliveryThread) => {
      if (message.type === 'started') log.debug('delivery thread started')
      if (message.type === 'stopped') stopped?.()
      if (message.type === 'windows') windows = new Map(message.windows)
      if (message.type === 'attempts') onAttempts?.(message.batch)
    })
    exited = new Promise<void>((resolve) => {
      thread.once('exit', (code) => {
        resolve()
        if (stopping) return
        log.error({ code }, `delivery thread ended; starting it again in ${restartDelayMs} ms`)
        restartTimer = setTimeout(start, restartDelayMs)
      })
    })
  }

  function send(message: ToDeliveryThread): void {
    thread.postMessage(message)
  }

  start()
  return {
    windows: () => windows,
    wake() {
      // Commits answered in the same turn of the event loop wake the thread once, not once each.
      if (stopping || wakeQueued) return
      wakeQueued = true
      setImmediate(() => {
        wakeQueued = false
        if (!stopping) send({ type: 'wake' })
      })
    },
    async stop() {
      if (stopping) return exited
      stopping = true
      clearTimeout(restartTimer)
      // The thread answers once its attempts are recorded and its store is closed; idle keep-alive sockets of the
      // connectors would hold it open after that, so it is ended then.
      await Promise.race([
        new Promise<void>((resolve) => {
          stopped = resolve
          send({ type: 'stop' })
        }),
        exited,
      ])
      await thread.terminate()
      await exited
    },
  }
}
