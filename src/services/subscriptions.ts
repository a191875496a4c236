/**
 * Marketplace subscriptions, shared by HTTP and CLI: the tenant's subscription source (its Entra app, the secret sealed
 * and never shown) and a poll that records each subscription's news as lead events through ingest.
 * See docs/decisions/0010-marketplace-subscriptions.md.
 */

import { generateCredential, hashCredential } from '../core/credentials.ts'
import { AppError } from '../core/errors.ts'
import type { Clock, SecretSealer } from '../core/ports.ts'
import {
  linkSubscription,
  type MarketplaceSubscription,
  offerRefOf,
  parseSubscription,
  subscriptionEventOf,
} from '../core/subscription-link.ts'
import type { Logger } from '../logger.ts'
import type { SubscriptionRecord, SubscriptionSourceRecord } from '../store/subscription-queries.ts'
import type { Store } from '../store/types.ts'
import {
  type CertificateCredential,
  type CertificateSummary,
  checkCertificateCredential,
  summarizeCertificate,
} from '../subscriptions/client-assertion.ts'
import type { EntraApp, FulfillmentClient } from '../subscriptions/fulfillment-client.ts'
import type { IngestService } from './ingest.ts'

/** The source as the API shows it: never the secret. */
export interface SubscriptionSourceView {
  readonly entraTenantId: string
  readonly clientId: string
  readonly hasSecret: boolean
  /** How Leadrelay proves it is the app: the client secret, or a client assertion signed with the certificate. */
  readonly credential: 'secret' | 'certificate'
  /** The certificate's public facts (never its private key), when the credential is one. */
  readonly certificate?: CertificateSummary
  readonly enabled: boolean
  /** The webhook relay: where Microsoft's SaaS webhook calls are relayed to; absent when the relay is off. */
  readonly relayUrl?: string
  readonly lastPollAt?: number
  readonly lastPollError?: string
  readonly lastPollCount?: number
  readonly createdAt: number
  readonly updatedAt: number
}

export interface SubscriptionSourceInput {
  readonly entraTenantId: string
  readonly clientId: string
  /** A secret or a certificate is required when creating; omitting both on an edit keeps the stored credential. */
  readonly clientSecret?: string
  /** The app's certificate and its private key (PEM); the key is sealed and never shown. Replaces a secret. */
  readonly certificate?: CertificateCredential
  readonly enabled?: boolean
  /**
   * The publisher's own fulfillment webhook: set, Leadrelay takes Microsoft's webhook calls and relays them there;
   * null turns the relay off; omitted keeps it.
   */
  readonly relayUrl?: string | null
  /** Makes a new relay URL; the old one stops working. A relay gets its first URL when it is turned on. */
  readonly rotateRelayToken?: boolean
}

/** The source as stored, with the relay URL's token when this change made a new one (it is shown only then). */
export interface SubscriptionSourceChange extends SubscriptionSourceView {
  readonly newRelayToken?: string
}

/** What one poll did. */
export interface SubscriptionPollSummary {
  /** Subscriptions the API listed. */
  readonly read: number
  /** Events recorded now (first sight, status, plan or quantity changes). */
  readonly recorded: number
  /** Events an earlier, interrupted poll had recorded already (same idempotency key). */
  readonly duplicates: number
  /** Subscriptions unchanged since the last poll. */
  readonly unchanged: number
  /** API entries that lack an id, offer or known status, or could not be ingested. */
  readonly skipped: number
  /** Set when the poll stopped early; what it recorded before stays recorded. */
  readonly error?: string
}

export interface SubscriptionService {
  getSource(tenantId: string): Promise<SubscriptionSourceView | undefined>
  putSource(tenantId: string, input: SubscriptionSourceInput): Promise<SubscriptionSourceChange>
  deleteSource(tenantId: string): Promise<boolean>
  /** Reads the tenant's subscriptions now. Throws NOT_FOUND when the tenant has no source. */
  poll(tenantId: string): Promise<SubscriptionPollSummary>
  /** Polls every tenant with an enabled source, one after the other. */
  pollAll(): Promise<void>
  /**
   * Records the subscription a SaaS webhook call describes (its `subscription` resource) as the poll would, so the
   * poll that reads the same state later records nothing twice. Answers what happened, or `skipped` when the call
   * carries no usable subscription.
   */
  recordNotified(tenantId: string, call: unknown): Promise<'recorded' | 'duplicate' | 'unchanged' | 'skipped'>
}

export interface SubscriptionServiceDeps {
  readonly store: Store
  readonly ingest: IngestService
  readonly sealer: SecretSealer
  readonly clock: Clock
  readonly client: FulfillmentClient
  readonly log?: Logger
}

/**
 * The fulfillment service the relay posts to: an absolute http(s) URL without credentials (like a webhook
 * destination's; the SSRF guard decides at connect time which addresses it may reach).
 */
function checkRelayUrl(value: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new AppError('VALIDATION_FAILED', 'relayUrl must be an absolute URL', { field: 'relayUrl' })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('VALIDATION_FAILED', 'relayUrl must be an http:// or https:// URL', { field: 'relayUrl' })
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError('VALIDATION_FAILED', 'relayUrl must not carry a user name or password', { field: 'relayUrl' })
  }
}

/** Binds a sealed secret to its tenant's source: copied to another row, it does not open. */
export function subscriptionSecretContext(tenantId: string): string {
  return `subscription-source:${tenantId}`
}

function viewOf(record: SubscriptionSourceRecord): SubscriptionSourceView {
  return {
    entraTenantId: record.entraTenantId,
    clientId: record.clientId,
    hasSecret: record.sealedSecret !== '',
    credential: record.sealedCertificateKey !== undefined ? 'certificate' : 'secret',
    ...(record.certificatePem !== undefined && { certificate: summarizeCertificate(record.certificatePem) }),
    enabled: record.enabled,
    ...(record.relayUrl !== undefined && { relayUrl: record.relayUrl }),
    ...(record.lastPollAt !== undefined && { lastPollAt: record.lastPollAt }),
    ...(record.lastPollError !== undefined && { lastPollError: record.lastPollError }),
    ...(record.lastPollCount !== undefined && { lastPollCount: record.lastPollCount }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  }
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The subscription resource a webhook call carries, completed from the call's own fields where the resource leaves
 * them out (Microsoft's page shows both; it asks ISVs not to deserialize the schema strictly).
 */
function notifiedSubscriptionOf(call: unknown): MarketplaceSubscription | undefined {
  if (typeof call !== 'object' || call === null) return undefined
  const outer = call as Record<string, unknown>
  const inner =
    typeof outer.subscription === 'object' && outer.subscription !== null
      ? (outer.subscription as Record<string, unknown>)
      : {}
  return parseSubscription({
    ...inner,
    id: inner.id ?? outer.subscriptionId,
    publisherId: inner.publisherId ?? outer.publisherId,
    offerId: inner.offerId ?? outer.offerId,
  })
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function createSubscriptionService(deps: SubscriptionServiceDeps): SubscriptionService {
  const { store, clock } = deps
  // One poll per tenant at a time in this process: the schedule and an on-demand poll would only race each other.
  const running = new Map<string, Promise<SubscriptionPollSummary>>()

  async function recordSubscription(
    tenantId: string,
    subscription: MarketplaceSubscription,
    seen: SubscriptionRecord | undefined,
  ): Promise<'recorded' | 'duplicate' | 'unchanged'> {
    const offerRef = offerRefOf(subscription)
    const candidates = [subscription.purchaser?.emailId, subscription.beneficiary?.emailId]
      .map((email) => email?.trim().toLowerCase())
      .filter((email): email is string => email !== undefined && email !== '')
    const withLead = new Set<string>()
    if (seen === undefined) {
      for (const email of candidates) {
        const page = await store.listLeads(tenantId, { offerId: offerRef, email }, { limit: 1 })
        if (page.items.length > 0) withLead.add(email)
      }
    }
    const link = linkSubscription(subscription, {
      ...(seen?.email !== undefined && { rememberedEmail: seen.email }),
      hasLead: (email) => withLead.has(email),
    })
    const event = subscriptionEventOf(subscription, link, seen)
    let leadId = seen?.leadId
    let outcome: 'recorded' | 'duplicate' | 'unchanged' = 'unchanged'
    if (event) {
      const response = await deps.ingest.ingest({
        tenantId,
        format: 'api',
        body: event.body,
        idempotencyKey: event.idempotencyKey,
      })
      leadId = response.receipt.leadId
      outcome = response.duplicate ? 'duplicate' : 'recorded'
    }
    if (leadId === undefined) return outcome
    // After the event's commit: a crash before this line makes the next poll send the same key again, a duplicate.
    await store.putSubscription({
      tenantId,
      id: subscription.id,
      leadId,
      ...(link.email !== undefined && { email: link.email }),
      offerRef,
      ...(subscription.name !== undefined && { name: subscription.name }),
      status: subscription.status,
      ...(subscription.planId !== undefined && { planId: subscription.planId }),
      ...(subscription.quantity !== undefined && { quantity: subscription.quantity }),
      isTest: subscription.isTest,
      isFreeTrial: subscription.isFreeTrial,
      ...(subscription.term?.startDate !== undefined && { termStart: subscription.term.startDate }),
      ...(subscription.term?.endDate !== undefined && { termEnd: subscription.term.endDate }),
      ...(subscription.term?.termUnit !== undefined && { termUnit: subscription.term.termUnit }),
      ...(subscription.created !== undefined && { created: subscription.created }),
      ...(subscription.lastModified !== undefined && { lastModified: subscription.lastModified }),
      seenAt: clock.now(),
    })
    return outcome
  }

  async function pollSource(source: SubscriptionSourceRecord): Promise<SubscriptionPollSummary> {
    const tenantId = source.tenantId
    const counts = { read: 0, recorded: 0, duplicates: 0, unchanged: 0, skipped: 0 }
    try {
      const context = subscriptionSecretContext(tenantId)
      const app: EntraApp =
        source.sealedCertificateKey !== undefined && source.certificatePem !== undefined
          ? {
              entraTenantId: source.entraTenantId,
              clientId: source.clientId,
              certificate: {
                certificatePem: source.certificatePem,
                privateKeyPem: deps.sealer.open(source.sealedCertificateKey, context),
              },
            }
          : {
              entraTenantId: source.entraTenantId,
              clientId: source.clientId,
              clientSecret: deps.sealer.open(source.sealedSecret, context),
            }
      // Page by page, so what one page recorded stays recorded when a later page fails or the process dies.
      await deps.client.listSubscriptions(app, async (page) => {
        counts.read += page.length
        const parsed = page.map(parseSubscription)
        const ids = parsed.flatMap((subscription) => (subscription ? [subscription.id] : []))
        const seen = await store.getSubscriptions(tenantId, ids)
        for (const [index, subscription] of parsed.entries()) {
          if (!subscription) {
            counts.skipped++
            deps.log?.warn({ tenantId, index }, 'subscription without id, offer or known status skipped')
            continue
          }
          try {
            const outcome = await recordSubscription(tenantId, subscription, seen.get(subscription.id))
            if (outcome === 'recorded') counts.recorded++
            else if (outcome === 'duplicate') counts.duplicates++
            else counts.unchanged++
          } catch (error) {
            if (!(error instanceof AppError)) throw error
            counts.skipped++
            deps.log?.warn(
              { tenantId, subscriptionId: subscription.id, code: error.code, err: error },
              'subscription could not be recorded',
            )
          }
        }
      })
      await store.recordSubscriptionPoll(tenantId, { at: clock.now(), count: counts.read })
      deps.log?.info({ tenantId, ...counts }, 'subscriptions polled')
      return counts
    } catch (error) {
      const message = errorText(error)
      await store.recordSubscriptionPoll(tenantId, { at: clock.now(), error: message })
      deps.log?.warn({ tenantId, err: error, ...counts }, 'subscription poll failed')
      return { ...counts, error: message }
    }
  }

  function pollOnce(source: SubscriptionSourceRecord): Promise<SubscriptionPollSummary> {
    const current = running.get(source.tenantId)
    if (current) return current
    const next = pollSource(source).finally(() => running.delete(source.tenantId))
    running.set(source.tenantId, next)
    return next
  }

  return {
    async getSource(tenantId) {
      const record = await store.getSubscriptionSource(tenantId)
      return record && viewOf(record)
    },
    async putSource(tenantId, input) {
      const entraTenantId = input.entraTenantId.trim()
      const clientId = input.clientId.trim()
      if (!guid.test(entraTenantId)) {
        throw new AppError('VALIDATION_FAILED', 'entraTenantId must be the Entra tenant id (a GUID)', {
          field: 'entraTenantId',
        })
      }
      if (!guid.test(clientId)) {
        throw new AppError('VALIDATION_FAILED', 'clientId must be the app registration’s client id (a GUID)', {
          field: 'clientId',
        })
      }
      const current = await store.getSubscriptionSource(tenantId)
      const secret = input.clientSecret?.trim()
      if (secret && input.certificate) {
        throw new AppError('VALIDATION_FAILED', 'Give a clientSecret or a certificate, not both', {
          field: 'certificate',
        })
      }
      if (!current && !secret && !input.certificate) {
        throw new AppError('VALIDATION_FAILED', 'clientSecret (or a certificate) is required', {
          field: 'clientSecret',
        })
      }
      if (input.certificate) checkCertificateCredential(input.certificate, clock.now())
      const context = subscriptionSecretContext(tenantId)
      // A new credential of either kind replaces the other; none keeps what is stored.
      const sealedSecret = secret
        ? deps.sealer.seal(secret, context)
        : input.certificate
          ? ''
          : (current?.sealedSecret ?? '')
      const certificateColumns = input.certificate
        ? {
            certificatePem: input.certificate.certificatePem.trim(),
            sealedCertificateKey: deps.sealer.seal(input.certificate.privateKeyPem, context),
          }
        : secret
          ? { certificatePem: null, sealedCertificateKey: null }
          : {}
      const relayUrl = input.relayUrl === undefined ? current?.relayUrl : (input.relayUrl ?? undefined)
      if (relayUrl !== undefined) checkRelayUrl(relayUrl)
      const newRelayToken =
        relayUrl !== undefined && (input.rotateRelayToken || current?.relayTokenHash === undefined)
          ? generateCredential('relayToken')
          : undefined
      const stored = await store.putSubscriptionSource(
        {
          tenantId,
          entraTenantId,
          clientId,
          sealedSecret,
          enabled: input.enabled ?? current?.enabled ?? true,
          ...certificateColumns,
          relayUrl: relayUrl ?? null,
          ...(newRelayToken !== undefined && { relayTokenHash: hashCredential(newRelayToken) }),
          ...(relayUrl === undefined && { relayTokenHash: null }),
        },
        clock.now(),
      )
      return { ...viewOf(stored), ...(newRelayToken !== undefined && { newRelayToken }) }
    },
    deleteSource: (tenantId) => store.deleteSubscriptionSource(tenantId),
    async poll(tenantId) {
      const source = await store.getSubscriptionSource(tenantId)
      if (!source) throw new AppError('NOT_FOUND', 'No subscription source is set up for this tenant')
      return pollOnce(source)
    },
    async pollAll() {
      for (const source of await store.listSubscriptionSources()) await pollOnce(source)
    },
    async recordNotified(tenantId, call) {
      const subscription = notifiedSubscriptionOf(call)
      if (!subscription) return 'skipped'
      const seen = await store.getSubscriptions(tenantId, [subscription.id])
      return recordSubscription(tenantId, subscription, seen.get(subscription.id))
    },
  }
}
