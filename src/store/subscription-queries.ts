/**
 * Marketplace subscriptions (docs/decisions/0010-marketplace-subscriptions.md): each tenant's subscription source, the
 * subscriptions last seen with the lead each joined, and the SaaS webhook relay's outbox.
 */

import type { Kysely, Selectable } from 'kysely'
import type { SubscriptionStatus } from '../core/subscription-link.ts'
import type { Database } from './schema.ts'

/** A tenant's Entra app for the SaaS Fulfillment API; the client secret stays sealed here. */
export interface SubscriptionSourceRecord {
  readonly tenantId: string
  readonly entraTenantId: string
  readonly clientId: string
  readonly sealedSecret: string
  readonly enabled: boolean
  /** The webhook relay: the hash of the token in its URL and where calls are relayed; absent when not used. */
  readonly relayTokenHash?: string
  readonly relayUrl?: string
  /** Certificate credentials instead of a secret: the public certificate (PEM) and its private key, sealed. */
  readonly certificatePem?: string
  readonly sealedCertificateKey?: string
  readonly lastPollAt?: number
  readonly lastPollError?: string
  /** Subscriptions the last successful poll read. */
  readonly lastPollCount?: number
  readonly createdAt: number
  readonly updatedAt: number
}

export interface SubscriptionSourceInput {
  readonly tenantId: string
  readonly entraTenantId: string
  readonly clientId: string
  readonly sealedSecret: string
  readonly enabled: boolean
  readonly relayTokenHash?: string | null
  readonly relayUrl?: string | null
  readonly certificatePem?: string | null
  readonly sealedCertificateKey?: string | null
}

/** A subscription as last seen, with the lead it joined. */
export interface SubscriptionRecord {
  readonly tenantId: string
  readonly id: string
  readonly leadId: string
  /** The email its events carry (the lead it joined); absent when the subscription named none. */
  readonly email?: string
  readonly offerRef: string
  readonly name?: string
  readonly status: SubscriptionStatus
  readonly planId?: string
  readonly quantity?: number
  readonly isTest: boolean
  readonly isFreeTrial: boolean
  readonly termStart?: string
  readonly termEnd?: string
  readonly termUnit?: string
  readonly created?: string
  readonly lastModified?: string
  readonly seenAt: number
}

export interface SubscriptionStore {
  getSubscriptionSource(tenantId: string): Promise<SubscriptionSourceRecord | undefined>
  /** The source whose webhook relay URL carries the token with this hash. */
  findSubscriptionSourceByRelayToken(tokenHash: string): Promise<SubscriptionSourceRecord | undefined>
  /** Creates or replaces the tenant's source; the poll outcome columns are kept. */
  putSubscriptionSource(source: SubscriptionSourceInput, now: number): Promise<SubscriptionSourceRecord>
  deleteSubscriptionSource(tenantId: string): Promise<boolean>
  /** Every enabled source, for the scheduled poll; with `includeDisabled`, every source (re-sealing credentials). */
  listSubscriptionSources(options?: {
    readonly includeDisabled?: boolean
  }): Promise<readonly SubscriptionSourceRecord[]>
  recordSubscriptionPoll(tenantId: string, outcome: { at: number; count?: number; error?: string }): Promise<void>
  /** The subscriptions among `ids` seen before, keyed by id. */
  getSubscriptions(tenantId: string, ids: readonly string[]): Promise<ReadonlyMap<string, SubscriptionRecord>>
  /** Written after the subscription's event is committed: a cache of what was seen, never the dedupe guard. */
  putSubscription(record: SubscriptionRecord): Promise<void>
  listLeadSubscriptions(tenantId: string, leadId: string): Promise<readonly SubscriptionRecord[]>
  /** Counts per status of the tenant's subscriptions, test ones excluded. */
  countSubscriptions(tenantId: string): Promise<Readonly<Record<string, number>>>
}

function sourceOf(row: Selectable<Database['subscription_sources']>): SubscriptionSourceRecord {
  return {
    tenantId: row.tenant_id,
    entraTenantId: row.entra_tenant_id,
    clientId: row.client_id,
    sealedSecret: row.sealed_secret,
    enabled: Number(row.enabled) === 1,
    ...(row.relay_token_hash !== null && { relayTokenHash: row.relay_token_hash }),
    ...(row.relay_url !== null && { relayUrl: row.relay_url }),
    ...(row.certificate_pem !== null && { certificatePem: row.certificate_pem }),
    ...(row.sealed_certificate_key !== null && { sealedCertificateKey: row.sealed_certificate_key }),
    ...(row.last_poll_at !== null && { lastPollAt: Number(row.last_poll_at) }),
    ...(row.last_poll_error !== null && { lastPollError: row.last_poll_error }),
    ...(row.last_poll_count !== null && { lastPollCount: Number(row.last_poll_count) }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

function subscriptionOf(row: Selectable<Database['subscriptions']>): SubscriptionRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    leadId: row.lead_id,
    ...(row.email !== null && { email: row.email }),
    offerRef: row.offer_ref,
    ...(row.name !== null && { name: row.name }),
    status: row.status as SubscriptionStatus,
    ...(row.plan_id !== null && { planId: row.plan_id }),
    ...(row.quantity !== null && { quantity: Number(row.quantity) }),
    isTest: Number(row.is_test) === 1,
    isFreeTrial: Number(row.is_free_trial) === 1,
    ...(row.term_start !== null && { termStart: row.term_start }),
    ...(row.term_end !== null && { termEnd: row.term_end }),
    ...(row.term_unit !== null && { termUnit: row.term_unit }),
    ...(row.created !== null && { created: row.created }),
    ...(row.last_modified !== null && { lastModified: row.last_modified }),
    seenAt: Number(row.seen_at),
  }
}

export function createSubscriptionQueries(db: Kysely<Database>): SubscriptionStore {
  return {
    async getSubscriptionSource(tenantId) {
      const row = await db
        .selectFrom('subscription_sources')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst()
      return row && sourceOf(row)
    },
    async findSubscriptionSourceByRelayToken(tokenHash) {
      const row = await db
        .selectFrom('subscription_sources')
        .selectAll()
        .where('relay_token_hash', '=', tokenHash)
        .executeTakeFirst()
      return row && sourceOf(row)
    },
    async putSubscriptionSource(source, now) {
      const columns = {
        entra_tenant_id: source.entraTenantId,
        client_id: source.clientId,
        sealed_secret: source.sealedSecret,
        enabled: source.enabled ? 1 : 0,
        ...(source.relayTokenHash !== undefined && { relay_token_hash: source.relayTokenHash }),
        ...(source.relayUrl !== undefined && { relay_url: source.relayUrl }),
        ...(source.certificatePem !== undefined && { certificate_pem: source.certificatePem }),
        ...(source.sealedCertificateKey !== undefined && { sealed_certificate_key: source.sealedCertificateKey }),
        updated_at: now,
      }
      await db
        .insertInto('subscription_sources')
        .values({ tenant_id: source.tenantId, ...columns, created_at: now })
        .onConflict((conflict) => conflict.column('tenant_id').doUpdateSet(columns))
        .execute()
      const stored = await this.getSubscriptionSource(source.tenantId)
      if (!stored) throw new Error('subscription source vanished after being written')
      return stored
    },
    async deleteSubscriptionSource(tenantId) {
      const result = await db.deleteFrom('subscription_sources').where('tenant_id', '=', tenantId).executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    },
    async listSubscriptionSources(options) {
      const rows = await db
        .selectFrom('subscription_sources')
        .selectAll()
        .$if(!options?.includeDisabled, (query) => query.where('enabled', '=', 1))
        .orderBy('tenant_id')
        .execute()
      return rows.map(sourceOf)
    },
    async recordSubscriptionPoll(tenantId, outcome) {
      await db
        .updateTable('subscription_sources')
        .set({
          last_poll_at: outcome.at,
          last_poll_error: outcome.error ?? null,
          ...(outcome.count !== undefined && { last_poll_count: outcome.count }),
        })
        .where('tenant_id', '=', tenantId)
        .execute()
    },
    async getSubscriptions(tenantId, ids) {
      const found = new Map<string, SubscriptionRecord>()
      // Chunks keep each statement under SQLite's bound-parameter limit.
      for (let start = 0; start < ids.length; start += 500) {
        const rows = await db
          .selectFrom('subscriptions')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', 'in', ids.slice(start, start + 500))
          .execute()
        for (const row of rows) found.set(row.id, subscriptionOf(row))
      }
      return found
    },
    async putSubscription(record) {
      const columns = {
        lead_id: record.leadId,
        email: record.email ?? null,
        offer_ref: record.offerRef,
        name: record.name ?? null,
        status: record.status,
        plan_id: record.planId ?? null,
        quantity: record.quantity ?? null,
        is_test: record.isTest ? 1 : 0,
        is_free_trial: record.isFreeTrial ? 1 : 0,
        term_start: record.termStart ?? null,
        term_end: record.termEnd ?? null,
        term_unit: record.termUnit ?? null,
        created: record.created ?? null,
        last_modified: record.lastModified ?? null,
        seen_at: record.seenAt,
      }
      await db
        .insertInto('subscriptions')
        .values({ tenant_id: record.tenantId, id: record.id, ...columns })
        .onConflict((conflict) => conflict.columns(['tenant_id', 'id']).doUpdateSet(columns))
        .execute()
    },
    async listLeadSubscriptions(tenantId, leadId) {
      const rows = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('lead_id', '=', leadId)
        .orderBy('id')
        .execute()
      return rows.map(subscriptionOf)
    },
    async countSubscriptions(tenantId) {
      const rows = await db
        .selectFrom('subscriptions')
        .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
        .where('tenant_id', '=', tenantId)
        .where('is_test', '=', 0)
        .groupBy('status')
        .execute()
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]))
    },
  }
}
