/** The webhook destination: signed POSTs (Standard Webhooks) to any HTTPS endpoint. See README.md beside it. */

import type { HttpResponse } from '../http-client.ts'
import type { Connector, ConnectorDeps, Destination, DestinationSecrets, LeadSnapshot } from '../types.ts'
import { postWebhook } from './client.ts'
import { type WebhookConfig, webhookConfigSchema } from './config.ts'
import { missingSecretError, toDeliveryError, webhookFailure } from './errors.ts'
import { leadrelayPayload, microsoftPayload } from './payload.ts'
import { moveCredentialHeaders, secretHeaderNames, secretHeadersOf } from './secret-headers.ts'
import { activeSigningSecrets, prepareWebhookSecrets, rotateWebhookSecrets } from './signing.ts'

export type { WebhookConfig } from './config.ts'

/** Sent, signed like every delivery, when a customer is erased: delete what you hold for this lead. */
export interface CustomerErasedPayload {
  readonly type: 'customer.erased'
  readonly timestamp: string
  readonly data: { readonly leadId: string; readonly offerId: string | null; readonly erasedAt: string }
}

function connectWebhook(config: WebhookConfig, secrets: DestinationSecrets, deps: ConnectorDeps): Connector {
  const { http, clock } = deps
  const headers = { ...config.headers, ...secretHeadersOf(secrets) }
  const hasHeaders = Object.keys(headers).length > 0

  /** Signs and POSTs `body` with the secrets valid now; throws the `DeliveryError` a non-2xx calls for. */
  async function send(id: string, body: string, signal: AbortSignal, now: number): Promise<number> {
    const signing = activeSigningSecrets(secrets, now)
    if (signing.length === 0) throw missingSecretError()
    let response: HttpResponse
    try {
      response = await postWebhook(http, {
        url: config.url,
        id,
        timestampSeconds: Math.floor(now / 1000),
        body,
        secrets: signing,
        timeoutMs: config.timeoutMs,
        signal,
        ...(hasHeaders && { headers }),
      })
    } catch (error) {
      throw toDeliveryError(error)
    }
    const failure = webhookFailure(response, clock.now())
    if (failure) throw failure
    return response.status
  }

  const payloadOf = (snapshot: LeadSnapshot, now: number) =>
    config.format === 'microsoft' ? microsoftPayload(snapshot) : leadrelayPayload(snapshot, now)

  return {
    async verify(signal) {
      const now = clock.now()
      const body = JSON.stringify({ type: 'leadrelay.ping', timestamp: new Date(now).toISOString() })
      await send(`ping_${now}`, body, signal, now)
    },

    preview(snapshot) {
      return payloadOf(snapshot, clock.now())
    },

    async deliver(snapshot, attempt) {
      const now = clock.now()
      const payload = payloadOf(snapshot, now)
      const status = await send(attempt.deliveryId, JSON.stringify(payload), attempt.signal, now)
      return { status }
    },

    async erase(request, attempt) {
      const now = clock.now()
      // The receiver holds the lead under its Leadrelay id; the event names that id and nothing personal.
      const body: CustomerErasedPayload = {
        type: 'customer.erased',
        timestamp: new Date(now).toISOString(),
        data: {
          leadId: request.lead.id,
          offerId: request.lead.offerId ?? null,
          erasedAt: new Date(request.erasedAt).toISOString(),
        },
      }
      const status = await send(attempt.deliveryId, JSON.stringify(body), attempt.signal, now)
      return { status }
    },
  }
}

export const webhookDestination: Destination<WebhookConfig> = {
  kind: 'webhook',
  displayName: 'Webhook (HTTPS)',
  configSchema: webhookConfigSchema,
  prepareSecrets(given, random) {
    const secrets = prepareWebhookSecrets(given, random)
    return Object.fromEntries(
      Object.entries(secrets).filter((entry): entry is [string, string] => entry[1] !== undefined),
    )
  },
  secretFields: [
    {
      name: 'signingSecret',
      label: 'Signing secret',
      required: false,
      generated: true,
      help: 'whsec_ followed by base64; leave empty and Leadrelay generates one and shows it once',
    },
    {
      name: 'headers',
      label: 'Secret headers',
      required: false,
      headerRecord: true,
      help: 'Headers that carry credentials, e.g. X-Api-Key or Authorization: header name → value, sent with every request. Stored encrypted; only the names are shown again. On an update, a name set to null removes that header.',
    },
  ],
  rotateSecrets: (current, random, now) => {
    const rotated = rotateWebhookSecrets(current, random, now)
    return Object.fromEntries(
      Object.entries(rotated).filter((entry): entry is [string, string] => entry[1] !== undefined),
    )
  },
  normalizeStored: (config, secrets) => {
    const normalized = moveCredentialHeaders(config, secrets)
    return { config: normalized.config, secrets: normalized.secrets, changed: normalized.moved }
  },
  describeSecrets: (secrets) => ({ secretHeaders: secretHeaderNames(secrets) }),
  connect: connectWebhook,
}
