/**
 * The Dynamics 365 / Dataverse destination: each lead becomes one lead record, created or updated through the
 * Dataverse Web API with an app registration's client credentials. See README.md beside it.
 */

import { DeliveryError } from '../../core/errors.ts'
import type {
  Connector,
  ConnectorDeps,
  DeliveryReceipt,
  Destination,
  DestinationSecrets,
  LeadSnapshot,
} from '../types.ts'
import { createTokenSource } from './auth.ts'
import {
  apiBaseOf,
  createDataverseClient,
  type DataverseOperation,
  findByEmailUrl,
  jsonContentType,
  type LeadTarget,
  leadUrl,
  odataHeaders,
  writeHeaders,
} from './client.ts'
import { clientSecretOf, type DynamicsConfig, dynamicsConfigSchema, prepareDynamicsSecrets } from './config.ts'
import { dynamicsLeadBody } from './field-map.ts'

export type { DynamicsConfig } from './config.ts'

/** One request `deliver` may send, as `preview` shows it (the Authorization header left out). */
export interface PreviewRequest {
  /** When this request is sent, if not always. */
  readonly when?: string
  readonly method: 'GET' | 'POST' | 'PATCH'
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: Readonly<Record<string, unknown>>
}

export interface DynamicsPreview {
  readonly matchBy: DynamicsConfig['matchBy']
  readonly requests: readonly PreviewRequest[]
}

function keyTarget(config: DynamicsConfig, snapshot: LeadSnapshot): LeadTarget {
  return { column: config.alternateKeyColumn, value: snapshot.lead.id }
}

/** The requests `deliver` sends for this lead, in order, with the condition of each alternative. */
export function dynamicsPreview(config: DynamicsConfig, snapshot: LeadSnapshot): DynamicsPreview {
  const apiBase = apiBaseOf(config.environmentUrl)
  const write = (mode: 'create' | 'update') => ({ ...odataHeaders, ...writeHeaders(mode) })
  if (config.matchBy === 'alternateKey') {
    const body = dynamicsLeadBody(config, snapshot, config.alternateKeyColumn)
    const url = `${leadUrl(apiBase, keyTarget(config, snapshot))}?$select=leadid`
    return {
      matchBy: config.matchBy,
      requests: [
        { method: 'PATCH', url, headers: write('create'), body },
        { when: 'the lead exists already (HTTP 412)', method: 'PATCH', url, headers: write('update'), body },
      ],
    }
  }
  const body = dynamicsLeadBody(config, snapshot)
  const post: PreviewRequest = {
    method: 'POST',
    url: `${apiBase}/leads`,
    headers: { ...odataHeaders, 'content-type': jsonContentType },
    body,
  }
  const email = snapshot.lead.customer.email
  if (!email) return { matchBy: config.matchBy, requests: [{ ...post, when: 'always: the lead has no email' }] }
  return {
    matchBy: config.matchBy,
    requests: [
      { method: 'GET', url: findByEmailUrl(apiBase, email), headers: { ...odataHeaders, 'if-none-match': 'null' } },
      {
        when: 'a lead has this email (the oldest is updated)',
        method: 'PATCH',
        url: `${leadUrl(apiBase, { id: '<leadid>' })}?$select=leadid`,
        headers: write('update'),
        body,
      },
      { ...post, when: 'no lead has this email' },
    ],
  }
}

function connectDynamics(config: DynamicsConfig, secrets: DestinationSecrets, deps: ConnectorDeps): Connector {
  const { http, clock } = deps
  const tokens = createTokenSource({ http, clock, config, clientSecret: clientSecretOf(secrets) })
  const client = createDataverseClient({
    http,
    clock,
    tokens,
    environmentUrl: config.environmentUrl,
    timeoutMs: config.timeoutMs,
  })

  /** Create-only, then update-only on 412: the same lead id always lands on the same record. */
  async function upsertByKey(snapshot: LeadSnapshot, operation: DataverseOperation): Promise<DeliveryReceipt> {
    const body = dynamicsLeadBody(config, snapshot, config.alternateKeyColumn)
    const target = keyTarget(config, snapshot)
    const created = await client.writeLead(target, body, 'create', operation)
    if (created.outcome === 'written') return receipt(created.id, created.status, 'created')
    const updated = await client.writeLead(target, body, 'update', operation)
    if (updated.outcome === 'written') return receipt(updated.id, updated.status, 'updated')
    throw new DeliveryError(
      'retryable',
      'The lead was deleted in Dynamics 365 while Leadrelay was updating it; the retry creates it again.',
      { status: updated.status },
    )
  }

  /** Updates the oldest lead with the customer's email, or creates one. */
  async function upsertByEmail(snapshot: LeadSnapshot, operation: DataverseOperation): Promise<DeliveryReceipt> {
    const body = dynamicsLeadBody(config, snapshot)
    const email = snapshot.lead.customer.email
    if (!email) {
      const created = await client.createLead(body, operation)
      return receipt(
        created.outcome === 'written' ? created.id : undefined,
        created.status,
        'created (no email to match on)',
      )
    }
    const ids = await client.findLeadIdsByEmail(email, operation)
    const oldest = ids[0]
    if (oldest !== undefined) {
      const updated = await client.writeLead({ id: oldest }, body, 'update', operation)
      if (updated.outcome === 'written') {
        const note = ids.length > 1 ? 'updated the oldest of several leads with this email' : 'updated'
        return receipt(updated.id ?? oldest, updated.status, note)
      }
      // Deleted since the search: create a new one below.
    }
    const created = await client.createLead(body, operation)
    return receipt(created.outcome === 'written' ? created.id : undefined, created.status, 'created')
  }

  return {
    async verify(signal) {
      const operation: DataverseOperation = { signal, refreshed: false }
      await client.whoAmI(operation)
      await client.readOneLead(operation)
      if (config.matchBy !== 'alternateKey') return
      const column = config.alternateKeyColumn
      if (!(await client.leadColumnExists(column, operation))) {
        throw new DeliveryError(
          'misconfigured',
          `The lead table has no column ${column}. Create it (make.powerapps.com → Tables → Lead → Columns → New column: Single line of text, maximum length 100), add an alternate key on it (Tables → Lead → Keys → New key), or set alternateKeyColumn to the column you use.`,
        )
      }
      const keys = await client.leadKeys(operation)
      const key = keys.find((entry) => entry.keyAttributes.length === 1 && entry.keyAttributes[0] === column)
      if (!key) {
        throw new DeliveryError(
          'misconfigured',
          `The lead table has no alternate key on ${column} alone. Add one: make.powerapps.com → Tables → Lead → Keys → New key, select only ${column}, save; Dataverse then builds its index.`,
        )
      }
      if (key.indexStatus !== 'Active') {
        throw new DeliveryError(
          'misconfigured',
          `The alternate key ${key.logicalName} on ${column} is ${key.indexStatus || 'not active'}: Dataverse builds the key's index in the background and the key works only once it is Active. Wait a few minutes and verify again; if it stays Failed, the column holds duplicate values: remove them and reactivate the key (Tables → Lead → Keys).`,
        )
      }
    },

    async deliver(snapshot, attempt) {
      const operation: DataverseOperation = { signal: attempt.signal, refreshed: false }
      return config.matchBy === 'alternateKey' ? upsertByKey(snapshot, operation) : upsertByEmail(snapshot, operation)
    },

    preview(snapshot) {
      return dynamicsPreview(config, snapshot)
    },

    async erase(request, attempt) {
      const operation: DataverseOperation = { signal: attempt.signal, refreshed: false }
      const target: LeadTarget | undefined =
        request.externalId !== undefined
          ? { id: request.externalId }
          : config.matchBy === 'alternateKey'
            ? { column: config.alternateKeyColumn, value: request.lead.id }
            : undefined
      if (!target) {
        throw new DeliveryError(
          'rejected',
          "Dataverse never told Leadrelay this lead's id, and with matchBy email the erased address was the only key. Delete the lead in Dynamics 365 by hand.",
        )
      }
      const result = await client.deleteLead(target, operation)
      return { status: result.status, note: result.deleted ? 'lead deleted' : 'lead already deleted' }
    },
  }
}

function receipt(id: string | undefined, status: number, note: string): DeliveryReceipt {
  return { ...(id !== undefined && { externalId: id }), status, note }
}

export const dynamics365Destination: Destination<DynamicsConfig> = {
  kind: 'dynamics365',
  displayName: 'Microsoft Dynamics 365 / Dataverse',
  // Service protection limits per user: 52 concurrent requests, 6,000 requests per 5-minute sliding window.
  vendorLimits: {
    maxConcurrency: 52,
    rate: { calls: 6000, perSeconds: 300 },
    documentation: 'https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits',
  },
  configSchema: dynamicsConfigSchema,
  prepareSecrets(given) {
    return prepareDynamicsSecrets(given)
  },
  secretFields: [
    {
      name: 'clientSecret',
      label: 'Client secret (Value)',
      required: true,
      help: 'Microsoft Entra admin center → App registrations → your app → Certificates & secrets → Client secrets → New client secret; copy its Value (not the Secret ID), which is shown only once.',
    },
  ],
  connect: connectDynamics,
}
