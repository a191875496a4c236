/**
 * Relays the SaaS webhook calls Leadrelay stored to the publisher's own fulfillment service, unchanged (the body as
 * received, Microsoft's Authorization header and Content-Type), in the order received within each subscription, and
 * retried through the service's outage (docs/decisions/0010-marketplace-subscriptions.md).
 *
 * At least once on the wire, exactly once in effect: a node that dies after the service answered but before the
 * outcome was written relays the call again when its lease ends, with the same body, so the same operation `id`
 * Microsoft's own retries carry ("Implementing a webhook on the SaaS service": Microsoft retries a call up to 500 times
 * over eight hours, so a fulfillment service already has to take one operation more than once).
 */

import type { Clock } from '../core/ports.ts'
import type { HttpClient } from '../destinations/http-client.ts'
import type { Logger } from '../logger.ts'
import type { SaasRelayCall, SaasRelayOutcome } from '../store/saas-relay-queries.ts'
import type { Store } from '../store/types.ts'
import { retryAfterMs } from '../subscriptions/fulfillment-client.ts'

export interface SaasRelayDeps {
  readonly store: Store
  readonly http: HttpClient
  readonly clock: Clock
  readonly log?: Logger
  /** How long a claimed call is this node's before another may take it (a node that died releases it this way). */
  readonly leaseMs?: number
  readonly timeoutMs?: number
  /** How long a call is retried before it is given up as `dead` (default 7 days). */
  readonly maxAgeMs?: number
  /** Longest wait between two attempts (default 10 minutes). */
  readonly maxBackoffMs?: number
  /** Longest sleep when idle, so calls stored by another node are found (default 5 s). */
  readonly idlePollMs?: number
}

export interface SaasRelay {
  /** Relays every call due now, lane by lane; answers how many attempts it made. */
  runOnce(): Promise<number>
  /** Keeps relaying on timers until stopped. */
  start(): void
  /** A call was stored: relay it now rather than at the next poll. */
  wake(): void
  stop(): Promise<void>
}

/** Status codes by which the fulfillment service refused the call itself: asking again would get the same answer. */
const refusals = new Set([400, 409, 422])

/** The wait before attempt `attempts + 1`: 1 s, doubling, up to the cap. */
export function relayBackoffMs(attempts: number, maxBackoffMs: number): number {
  return Math.min(maxBackoffMs, 1000 * 2 ** Math.max(0, attempts - 1))
}

export function createSaasRelay(deps: SaasRelayDeps): SaasRelay {
  const { store, clock } = deps
  const leaseMs = deps.leaseMs ?? 60_000
  const timeoutMs = deps.timeoutMs ?? 30_000
  const maxAgeMs = deps.maxAgeMs ?? 7 * 86_400_000
  const maxBackoffMs = deps.maxBackoffMs ?? 600_000
  const idlePollMs = deps.idlePollMs ?? 5000
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = true
  let wokenWhileRunning = false

  async function attempt(call: SaasRelayCall): Promise<SaasRelayOutcome> {
    const source = await store.getSubscriptionSource(call.tenantId)
    const now = () => clock.now()
    const retry = (error: string, status?: number, waitMs?: number): SaasRelayOutcome => {
      if (now() - call.receivedAt >= maxAgeMs) {
        return {
          state: 'dead',
          error: `given up after ${call.attempts + 1} attempts: ${error}`,
          at: now(),
          ...(status !== undefined && { status }),
        }
      }
      const backoff = relayBackoffMs(call.attempts + 1, maxBackoffMs)
      return {
        state: 'pending',
        error,
        runAt: now() + Math.min(maxBackoffMs, Math.max(backoff, waitMs ?? 0)),
        ...(status !== undefined && { status }),
      }
    }
    if (!source?.relayUrl) return retry('the webhook relay has no fulfillment URL set')
    try {
      const response = await deps.http.send({
        method: 'POST',
        url: source.relayUrl,
        headers: {
          authorization: call.authorization,
          'content-type': call.contentType ?? 'application/json',
        },
        body: call.body,
        timeoutMs,
        maxResponseBytes: 64 * 1024,
      })
      if (response.status >= 200 && response.status < 300)
        return { state: 'relayed', status: response.status, at: now() }
      if (refusals.has(response.status)) {
        return {
          state: 'rejected',
          status: response.status,
          error: `the fulfillment service answered ${response.status}`,
          at: now(),
        }
      }
      const wait =
        response.status === 429 || response.status === 503 ? retryAfterMs(response.headers['retry-after'], now()) : 0
      return retry(`the fulfillment service answered ${response.status}`, response.status, wait)
    } catch (error) {
      return retry(error instanceof Error ? error.message : String(error))
    }
  }

  async function runOnce(): Promise<number> {
    let attempts = 0
    for (;;) {
      const calls = await store.claimSaasRelayCalls(clock.now(), leaseMs, 16)
      if (calls.length === 0) return attempts
      await Promise.all(
        calls.map(async (call) => {
          const outcome = await attempt(call)
          await store.settleSaasRelayCall(call.id, call.attempts + 1, outcome)
          attempts++
          const log = {
            tenantId: call.tenantId,
            callId: call.id,
            subscriptionId: call.subscriptionId,
            attempt: call.attempts + 1,
            state: outcome.state,
            status: outcome.status,
          }
          if (outcome.state === 'relayed') deps.log?.info(log, 'SaaS webhook call relayed')
          else deps.log?.warn({ ...log, error: outcome.error }, 'SaaS webhook call not relayed')
        }),
      )
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(tick, Math.max(0, delayMs))
    timer.unref()
  }

  function tick(): void {
    timer = undefined
    if (running) {
      wokenWhileRunning = true
      return
    }
    running = (async () => {
      await runOnce()
      const next = await store.nextSaasRelayRunAt()
      return next === undefined ? idlePollMs : Math.min(idlePollMs, next - clock.now())
    })()
      .catch((error: unknown) => {
        deps.log?.error({ err: error }, 'SaaS webhook relay failed')
        return idlePollMs
      })
      .then((delay) => {
        running = undefined
        const again = wokenWhileRunning
        wokenWhileRunning = false
        schedule(again ? 0 : delay)
      })
  }

  return {
    runOnce,
    start() {
      if (!stopped) return
      stopped = false
      schedule(0)
    },
    wake() {
      if (stopped) return
      if (running) wokenWhileRunning = true
      else schedule(0)
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
