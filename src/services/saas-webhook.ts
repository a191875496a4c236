/**
 * Microsoft's SaaS fulfillment webhook calls, taken at a tenant's relay URL: the Entra token checked, the call stored
 * unchanged before it is answered, relayed to the publisher's fulfillment service by the relay
 * (src/subscriptions/saas-relay.ts), and its subscription recorded as a lead event the way the poll records it.
 * See docs/decisions/0010-marketplace-subscriptions.md.
 */

import { hashCredential } from '../core/credentials.ts'
import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { Logger } from '../logger.ts'
import type { Store } from '../store/types.ts'
import { WebhookTokenError, type WebhookTokenVerifier } from '../subscriptions/webhook-token.ts'
import type { SubscriptionService } from './subscriptions.ts'

export interface SaasWebhookCall {
  /** The token in the relay URL. */
  readonly token: string
  readonly authorization?: string
  /** The body exactly as received. */
  readonly body: string
  readonly contentType?: string
}

export interface SaasWebhookReceipt {
  readonly callId: string
  /** Microsoft sent this operation before; it was stored and is relayed once. */
  readonly duplicate: boolean
}

export interface SaasWebhookService {
  /** Stores a valid call for the relay; throws SAAS_WEBHOOK_UNKNOWN, SAAS_WEBHOOK_TOKEN_INVALID or INVALID_JSON. */
  receive(call: SaasWebhookCall): Promise<SaasWebhookReceipt>
}

export interface SaasWebhookServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly verifier: WebhookTokenVerifier
  readonly subscriptions: Pick<SubscriptionService, 'recordNotified'>
  /** A call was stored: the relay should look now. */
  readonly onStored?: () => void
  readonly log?: Logger
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

export function createSaasWebhookService(deps: SaasWebhookServiceDeps): SaasWebhookService {
  const { store } = deps
  return {
    async receive(call) {
      const source = await store.findSubscriptionSourceByRelayToken(hashCredential(call.token))
      if (!source?.relayUrl) {
        throw new AppError('SAAS_WEBHOOK_UNKNOWN', 'No SaaS webhook relay has this URL (or it was rotated)', {
          field: 'token',
        })
      }
      try {
        await deps.verifier.verify(call.authorization, {
          entraTenantId: source.entraTenantId,
          clientId: source.clientId,
        })
      } catch (error) {
        if (!(error instanceof WebhookTokenError)) throw error
        deps.log?.warn({ tenantId: source.tenantId, reason: error.message }, 'SaaS webhook call refused, not relayed')
        throw new AppError('SAAS_WEBHOOK_TOKEN_INVALID', `Refused: ${error.message}`, { field: 'Authorization' })
      }
      let payload: unknown
      try {
        payload = JSON.parse(call.body.charCodeAt(0) === 0xfeff ? call.body.slice(1) : call.body)
      } catch {
        payload = undefined
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new AppError('INVALID_JSON', 'A SaaS webhook call is a JSON object', { field: '$' })
      }
      const fields = payload as Record<string, unknown>
      const inner = typeof fields.subscription === 'object' && fields.subscription !== null ? fields.subscription : {}
      const operationId = text(fields.id)
      const { call: stored, duplicate } = await store.enqueueSaasRelayCall({
        id: deps.ids.next('rly'),
        tenantId: source.tenantId,
        subscriptionId: text(fields.subscriptionId) ?? text((inner as Record<string, unknown>).id) ?? '',
        ...(operationId !== undefined && { operationId }),
        body: call.body,
        authorization: call.authorization ?? '',
        ...(call.contentType !== undefined && { contentType: call.contentType }),
        receivedAt: deps.clock.now(),
      })
      deps.onStored?.()
      deps.log?.info(
        { tenantId: source.tenantId, callId: stored.id, action: text(fields.action), duplicate },
        'SaaS webhook call stored for relay',
      )
      // After the call is stored: a failure here leaves the lead event to the next poll, never the relay undone.
      try {
        await deps.subscriptions.recordNotified(source.tenantId, payload)
      } catch (error) {
        deps.log?.warn({ tenantId: source.tenantId, err: error }, 'SaaS webhook call not recorded as a lead event')
      }
      return { callId: stored.id, duplicate }
    },
  }
}
