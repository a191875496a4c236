/**
 * Sends queued alerts: leases each channel's oldest unsent alert, renders it for the channel, sends it, logs the
 * attempt and moves it on under the delivery retry policy. One alert at a time per channel, so a channel gets them in
 * the order they fired (docs/decisions/0007-alerts.md). Runs beside the delivery worker in `serve` and `worker`.
 */

import { type AttemptOutcome, nextDeliveryState } from '../core/delivery-state.ts'
import { DeliveryError } from '../core/errors.ts'
import type { Stage } from '../core/funnel.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { LeadHistory } from '../core/lead.ts'
import type { Clock, SecretSealer } from '../core/ports.ts'
import { defaultRetryPolicy, type RetryPolicy } from '../core/retry-policy.ts'
import type { HttpClient } from '../destinations/http-client.ts'
import type { Logger } from '../logger.ts'
import type { Mailer } from '../notifications/mailer.ts'
import type { AlertChannelRecord, AlertSendRecord } from '../store/alert-queries.ts'
import type { Store } from '../store/types.ts'
import type { DigestScheduler } from './alert-digest.ts'
import type { AlertMessage } from './alert-message.ts'
import { alertChannelOfKind } from './channels/registry.ts'
import type { AlertSender } from './channels/types.ts'
import { crmRecordUrl } from './crm-link.ts'

export interface AlertDispatcherDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly log: Logger
  readonly sealer: SecretSealer
  readonly http: HttpClient
  readonly mailer?: Mailer
  /** The portal's base URL, for links to the lead. */
  readonly publicUrl: string
  readonly retryPolicy?: RetryPolicy
  /** In [0, 1); drives retry jitter. */
  readonly random?: () => number
  readonly leaseMs?: number
  readonly pollIntervalMs?: number
  /** Sends the daily or weekly digests that are due, checked at most once a minute by the clock. */
  readonly digests?: DigestScheduler
}

export interface AlertDispatcher {
  start(): void
  stop(): Promise<void>
  wake(): void
  /** Sends everything due at the clock's current time until nothing is; answers how many attempts ran. */
  runUntilIdle(): Promise<number>
  /** Sends a made-up alert through the channel now, without queueing it ("send test alert"). */
  sendTest(channel: AlertChannelRecord, ruleName?: string): Promise<{ status?: number }>
}

function openSecrets(sealer: SecretSealer, channel: AlertChannelRecord): Record<string, string> {
  if (channel.sealedSecrets === undefined) return {}
  return JSON.parse(sealer.open(channel.sealedSecrets, channel.id)) as Record<string, string>
}

/** The newest description any event of the lead carried. */
function descriptionOf(history: LeadHistory): string | undefined {
  for (let index = history.events.length - 1; index >= 0; index--) {
    const description = history.events[index]?.description
    if (description) return description
  }
  return undefined
}

export function leadPageUrl(publicUrl: string, leadId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/leads/${encodeURIComponent(leadId)}`
}

export function createAlertDispatcher(deps: AlertDispatcherDeps): AlertDispatcher {
  const { store, clock, log } = deps
  const policy = deps.retryPolicy ?? defaultRetryPolicy
  const random = deps.random ?? Math.random
  const leaseMs = deps.leaseMs ?? 60_000
  const pollIntervalMs = deps.pollIntervalMs ?? 1000
  const stopController = new AbortController()
  let running = false
  let loop: Promise<void> | undefined
  let wakeUp: (() => void) | undefined

  function senderFor(channel: AlertChannelRecord): AlertSender {
    try {
      const definition = alertChannelOfKind(channel.kind)
      const config = definition.configSchema.parse(channel.config)
      return definition.connect(config, openSecrets(deps.sealer, channel), {
        http: deps.http,
        clock,
        ...(deps.mailer && { mailer: deps.mailer }),
      })
    } catch (error) {
      throw new DeliveryError(
        'misconfigured',
        `The channel's stored settings cannot be used: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
  }

  async function crmOf(tenantId: string, leadId: string): Promise<AlertMessage['crm']> {
    const delivered = await store.listDeliveries(tenantId, { leadId, state: 'delivered' }, { limit: 20 })
    for (const delivery of delivered.items) {
      if (delivery.externalId === undefined) continue
      const destination = await store.getDestination(tenantId, delivery.destinationId)
      if (!destination) continue
      const url = crmRecordUrl(destination, delivery.externalId)
      if (url) return { name: destination.name, url }
    }
    return undefined
  }

  async function messageOf(send: AlertSendRecord): Promise<AlertMessage | undefined> {
    const histories = await store.loadLeadHistories([{ tenantId: send.tenantId, leadId: send.leadId }])
    const history = histories.get(send.leadId)
    if (!history) return undefined
    const description = descriptionOf(history)
    const crm = await crmOf(send.tenantId, send.leadId)
    return {
      id: send.id,
      ruleName: send.ruleName ?? 'Deleted rule',
      stage: send.stage as Stage,
      lead: history.lead,
      ...(history.offerTitle !== undefined && { offerTitle: history.offerTitle }),
      ...(description !== undefined && { description }),
      leadUrl: leadPageUrl(deps.publicUrl, send.leadId),
      ...(crm && { crm }),
      firedAt: send.firedAt,
    }
  }

  async function attempt(send: AlertSendRecord): Promise<void> {
    const startedAt = clock.now()
    let outcome: AttemptOutcome
    try {
      const channel = await store.getAlertChannel(send.tenantId, send.channelId)
      if (!channel) throw new DeliveryError('rejected', 'The channel was deleted')
      const message = await messageOf(send)
      if (!message) throw new DeliveryError('rejected', 'The lead no longer exists')
      const signal = AbortSignal.any([stopController.signal, AbortSignal.timeout(leaseMs / 2)])
      const receipt = await senderFor(channel).send(message, signal)
      outcome = { kind: 'delivered', ...(receipt.status !== undefined && { status: receipt.status }) }
    } catch (error) {
      const failure =
        error instanceof DeliveryError
          ? error
          : new DeliveryError('retryable', 'Sending the alert failed unexpectedly; will retry.', { cause: error })
      outcome = {
        kind: 'failed',
        // No breaker pauses a channel: a wrong URL or credentials wait for a fix under the retry schedule.
        failure: failure.kind === 'rejected' || failure.kind === 'rate_limited' ? failure.kind : 'retryable',
        message: failure.message,
        ...(failure.details.status !== undefined && { status: failure.details.status }),
        ...(failure.details.retryAfterMs !== undefined && { retryAfterMs: failure.details.retryAfterMs }),
      }
    }
    const now = clock.now()
    const next = nextDeliveryState(
      { attempts: send.attempts, createdAt: send.createdAt },
      outcome,
      policy,
      now,
      random(),
    )
    const recorded = await store.completeAlertSend({
      send,
      attempt: {
        id: deps.ids.next('att'),
        startedAt,
        durationMs: now - startedAt,
        outcome: outcome.kind === 'delivered' ? 'delivered' : outcome.failure,
        ...(outcome.status !== undefined && { status: outcome.status }),
        ...(outcome.kind === 'failed' && { error: outcome.message }),
      },
      next: { state: next.state, attempts: next.attempts, ...(next.runAt !== undefined && { runAt: next.runAt }) },
      now,
    })
    if (!recorded) log.warn({ alertSendId: send.id }, 'alert lease lost before the attempt was recorded')
    log.info(
      { alertSendId: send.id, channelId: send.channelId, outcome: outcome.kind, state: next.state },
      'alert attempt',
    )
  }

  async function runOnce(): Promise<number> {
    const claimed = await store.claimAlertSends({ now: clock.now(), leaseMs, limit: 50 })
    await Promise.all(claimed.map((send) => attempt(send)))
    return claimed.length
  }

  let nextDigestCheck = 0
  async function runDigestsWhenDue(): Promise<void> {
    if (!deps.digests || clock.now() < nextDigestCheck) return
    nextDigestCheck = clock.now() + 60_000
    await deps.digests.runDue()
  }

  async function runLoop(): Promise<void> {
    while (running) {
      try {
        await runDigestsWhenDue()
        if ((await runOnce()) > 0) continue
      } catch (error) {
        log.warn({ err: error }, 'alert dispatch failed; trying again')
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs)
        timer.unref?.()
        wakeUp = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wakeUp = undefined
    }
  }

  return {
    start() {
      if (running) return
      running = true
      loop = runLoop()
    },
    async stop() {
      running = false
      stopController.abort()
      wakeUp?.()
      await loop
    },
    wake() {
      wakeUp?.()
    },
    async runUntilIdle() {
      let total = 0
      for (;;) {
        const count = await runOnce()
        if (count === 0) return total
        total += count
      }
    },
    async sendTest(channel, ruleName = 'Test alert') {
      const now = clock.now()
      const message: AlertMessage = {
        id: `test_${now}`,
        ruleName,
        stage: 'active',
        test: true,
        lead: {
          id: 'lead_TEST',
          tenantId: channel.tenantId,
          offerKey: 'contoso.sample-offer',
          stage: 'active',
          doNotContact: false,
          isTest: true,
          customer: {
            firstName: 'Test',
            lastName: 'Customer',
            email: 'test.customer@example.com',
            company: 'Contoso',
            country: 'US',
            title: 'IT Director',
          },
          source: 'AzureMarketplace',
          action: 'PLT',
          eventCount: 1,
          firstEventAt: now,
          lastEventAt: now,
          createdAt: now,
          updatedAt: now,
          version: 1,
        },
        offerTitle: 'Sample offer',
        description: 'This is a test alert from Leadrelay: the lead is made up.',
        leadUrl: `${deps.publicUrl.replace(/\/+$/, '')}/alerts`,
        firedAt: now,
      }
      try {
        return await senderFor(channel).send(message, AbortSignal.timeout(15_000))
      } catch (error) {
        if (error instanceof DeliveryError) throw error
        throw new DeliveryError('retryable', 'Sending the test alert failed unexpectedly.', { cause: error })
      }
    },
  }
}
