/**
 * Reads every tenant's subscriptions on a schedule (LEADRELAY_SUBSCRIPTION_POLL, default 15 minutes), in the process
 * that ingests (docs/decisions/0010-marketplace-subscriptions.md). On-demand polls go to the service directly.
 */

import type { Logger } from '../logger.ts'
import type { SubscriptionService } from '../services/subscriptions.ts'

export interface SubscriptionPoller {
  start(): void
  /** Waits for a poll in progress to end. */
  stop(): Promise<void>
}

export function createSubscriptionPoller(deps: {
  readonly service: SubscriptionService
  readonly intervalMs: number
  readonly log?: Logger
}): SubscriptionPoller {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = true

  function schedule(delayMs: number): void {
    if (stopped) return
    timer = setTimeout(() => {
      running = deps.service
        .pollAll()
        .catch((error: unknown) => deps.log?.error({ err: error }, 'subscription poll failed'))
        .finally(() => {
          running = undefined
          schedule(deps.intervalMs)
        })
    }, delayMs)
    timer.unref()
  }

  return {
    start() {
      if (deps.intervalMs <= 0 || !stopped) return
      stopped = false
      // The first poll soon after start, not a whole interval later: a restart must not leave a gap that long.
      schedule(Math.min(deps.intervalMs, 5000))
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
