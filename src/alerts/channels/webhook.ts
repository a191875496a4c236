/**
 * A generic webhook for anything else: the alert as JSON, signed like the webhook destination (Standard Webhooks:
 * `webhook-id`, `webhook-timestamp`, `webhook-signature`; see src/destinations/webhook/README.md).
 */

import { z } from 'zod'
import type { HttpResponse } from '../../destinations/http-client.ts'
import { postWebhook } from '../../destinations/webhook/client.ts'
import { missingSecretError, toDeliveryError, webhookFailure } from '../../destinations/webhook/errors.ts'
import { activeSigningSecrets, prepareWebhookSecrets } from '../../destinations/webhook/signing.ts'
import { type AlertMessage, alertFacts } from '../alert-message.ts'
import { alertTimeoutMs } from './post-json.ts'
import type { AlertChannel } from './types.ts'

export const alertWebhookConfigSchema = z
  .object({ url: z.url({ protocol: /^https?$/ }).describe('Where alerts are POSTed') })
  .strict()
export type AlertWebhookConfig = z.infer<typeof alertWebhookConfigSchema>

export function alertWebhookPayload(message: AlertMessage): unknown {
  return {
    type: message.test ? 'leadrelay.alert.test' : 'leadrelay.alert',
    timestamp: new Date(message.firedAt).toISOString(),
    data: {
      rule: message.ruleName,
      stage: message.stage,
      lead: message.lead,
      ...(message.offerTitle !== undefined && { offerTitle: message.offerTitle }),
      ...(message.description !== undefined && { description: message.description }),
      facts: alertFacts(message),
      links: { lead: message.leadUrl, ...(message.crm && { crm: message.crm.url }) },
    },
  }
}

export const alertWebhookChannel: AlertChannel<AlertWebhookConfig> = {
  kind: 'webhook',
  displayName: 'Signed webhook',
  configSchema: alertWebhookConfigSchema,
  secretFields: [
    {
      name: 'signingSecret',
      label: 'Signing secret',
      required: false,
      generated: true,
      help: 'Leave empty to have one generated (whsec_…); your receiver verifies webhook-signature with it.',
    },
  ],
  prepareSecrets: (given, random) => {
    const { signingSecret } = prepareWebhookSecrets(
      given?.signingSecret === undefined ? {} : { signingSecret: given.signingSecret },
      random,
    )
    return { signingSecret }
  },
  payload: (message) => alertWebhookPayload(message),
  connect(config, secrets, deps) {
    return {
      async send(message, signal) {
        const now = deps.clock.now()
        const signing = activeSigningSecrets(secrets, now)
        if (signing.length === 0) throw missingSecretError()
        let response: HttpResponse
        try {
          response = await postWebhook(deps.http, {
            url: config.url,
            id: message.id,
            timestampSeconds: Math.floor(now / 1000),
            body: JSON.stringify(alertWebhookPayload(message)),
            secrets: signing,
            timeoutMs: alertTimeoutMs,
            signal,
          })
        } catch (error) {
          throw toDeliveryError(error)
        }
        const failure = webhookFailure(response, deps.clock.now())
        if (failure) throw failure
        return { status: response.status }
      },
    }
  },
}
