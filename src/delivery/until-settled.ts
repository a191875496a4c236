/**
 * Store writes that settle a claimed delivery (its outcome, its release, its supersession) are retried until they
 * succeed. One that gave up would leave the delivery in flight with nobody sending it, its lease renewed by this
 * worker's heartbeat, until the worker went idle and the lease ran out: minutes instead of an immediate retry.
 */

import type { Logger } from '../logger.ts'

export interface UntilSettledOptions {
  readonly log: Logger
  /** What is being written, for the log. */
  readonly what: string
  /** Once aborted (the worker stops), a few more tries, then the error: the lease then returns the delivery. */
  readonly stopSignal: AbortSignal
  /** First wait; doubled after each failure up to `maxWaitMs`. */
  readonly firstWaitMs?: number
  readonly maxWaitMs?: number
}

const triesWhileStopping = 3

export async function untilSettled<T>(write: () => Promise<T>, options: UntilSettledOptions): Promise<T> {
  const { log, what, stopSignal, firstWaitMs = 20, maxWaitMs = 2000 } = options
  let triesLeftOnStop = triesWhileStopping
  for (let failures = 0; ; failures++) {
    try {
      return await write()
    } catch (error) {
      if (stopSignal.aborted && --triesLeftOnStop <= 0) throw error
      const waitMs = Math.min(firstWaitMs * 2 ** failures, maxWaitMs)
      log.warn({ err: error, retryInMs: waitMs }, `${what} failed; trying again`)
      await new Promise((resolve) => setTimeout(resolve, waitMs))
    }
  }
}
