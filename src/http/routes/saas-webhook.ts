/**
 * The SaaS webhook relay URL (`POST /ingest/saas-webhook/:token`): Microsoft calls it instead of the publisher's own
 * fulfillment webhook; the call is checked, stored unchanged and relayed (docs/decisions/0010-marketplace-subscriptions.md).
 */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import type { HttpDeps } from '../deps.ts'
import { charsetOf } from '../json-body.ts'
import { checkedByService, jsonAnswer } from '../route-schema.ts'
import { ingestTokenRoute } from '../route-scopes.ts'

/** The call Microsoft posts, as its SaaS webhook page shows it; relayed as received, whatever else it holds. */
const saasWebhookCall = checkedByService(
  z
    .looseObject({
      id: z.string().describe('The operation id; a call Microsoft sends again is stored and relayed once').optional(),
      activityId: z.string().optional(),
      subscriptionId: z.string().optional(),
      publisherId: z.string().optional(),
      offerId: z.string().optional(),
      planId: z.string().optional(),
      quantity: z.union([z.int(), z.string()]).optional(),
      timeStamp: z.string().optional(),
      action: z
        .string()
        .meta({ examples: ['ChangePlan', 'ChangeQuantity', 'Renew', 'Suspend', 'Unsubscribe', 'Reinstate'] })
        .optional(),
      status: z.string().optional(),
      subscription: z
        .looseObject({})
        .describe('The subscription resource; its status becomes a lead event as the poll records it')
        .optional(),
    })
    .meta({ id: 'SaasWebhookCall', description: "Microsoft's SaaS fulfillment webhook call" }),
)

const relayReceipt = z.object({
  callId: z.string(),
  duplicate: z.boolean().describe('Microsoft sent this operation before; it is relayed once'),
})

const jsonMediaType = /^application\/([\w.+-]+\+)?json\s*(;|$)/

export function registerSaasWebhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // Its own scope: the body is kept as the exact text Microsoft sent, so the relay forwards it unchanged.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(jsonMediaType, { parseAs: 'string' }, (request, body, done) => {
      const charset = charsetOf(request.headers['content-type'])
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'JSON must be sent as UTF-8', { field: 'Content-Type' }), undefined)
        return
      }
      done(null, body)
    })
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/ingest/saas-webhook/:token',
      {
        config: ingestTokenRoute,
        schema: {
          operationId: 'relaySaasWebhook',
          summary:
            "Microsoft's SaaS fulfillment webhook, relayed: paste this URL into Partner Center's technical configuration instead of your fulfillment service's; each call with a valid Microsoft Entra token is stored, answered 200 and relayed unchanged, in order per subscription, to the subscription source's relayUrl",
          params: z.object({ token: z.string().describe('The relay token (lr_saas_…) from the relay URL') }),
          body: saasWebhookCall,
          response: { 200: jsonAnswer('Stored durably for relay (committed before this answer)', relayReceipt) },
        },
      },
      async (request) => {
        if (!deps.saasWebhook) throw new AppError('NOT_READY', 'The SaaS webhook relay is not available here')
        const contentType = request.headers['content-type']
        return deps.saasWebhook.receive({
          token: request.params.token,
          ...(request.headers.authorization !== undefined && { authorization: request.headers.authorization }),
          body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null),
          ...(contentType !== undefined && { contentType }),
        })
      },
    )
  })
}
