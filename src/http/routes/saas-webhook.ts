/**
 * The SaaS webhook relay URL (`POST /ingest/saas-webhook/:token`): Microsoft calls it instead of the publisher's own
 * fulfillment webhook; the call is checked, stored unchanged and relayed (docs/decisions/0010-marketplace-subscriptions.md).
 */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { saasWebhookActionOf } from '../../core/saas-webhook-call.ts'
import { isoTime } from '../../core/time.ts'
import type { SaasRelayCall } from '../../store/saas-relay-queries.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { charsetOf } from '../json-body.ts'
import { checkedByService, jsonAnswer } from '../route-schema.ts'
import { ingestTokenRoute, requires } from '../route-scopes.ts'

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

const relayCall = z
  .object({
    id: z.string(),
    subscriptionId: z.string().describe("'' when the call named no subscription"),
    operationId: z.string().optional(),
    action: z.string().optional().describe("The call's action (ChangePlan, Suspend, …)"),
    state: z
      .enum(['pending', 'relayed', 'rejected', 'dead'])
      .describe(
        'pending until the fulfillment service took it; rejected when it answered 400, 409 or 422; dead when given up after 7 days',
      ),
    attempts: z.int(),
    lastStatus: z.int().optional(),
    lastError: z.string().optional(),
    receivedAt: z.string(),
    relayedAt: z.string().optional(),
    nextAttemptAt: z.string().optional(),
  })
  .meta({ id: 'SaasRelayCall' })

/** A relayed call as the API shows it: never its body or Microsoft's token. */
function relayCallAnswer(call: SaasRelayCall) {
  const action = saasWebhookActionOf(call.body)
  return {
    id: call.id,
    subscriptionId: call.subscriptionId,
    ...(call.operationId !== undefined && { operationId: call.operationId }),
    ...(action !== undefined && { action }),
    state: call.state,
    attempts: call.attempts,
    ...(call.lastStatus !== undefined && { lastStatus: call.lastStatus }),
    ...(call.lastError !== undefined && { lastError: call.lastError }),
    receivedAt: isoTime(call.receivedAt),
    ...(call.relayedAt !== undefined && { relayedAt: isoTime(call.relayedAt) }),
    ...(call.state === 'pending' && { nextAttemptAt: isoTime(call.runAt) }),
  }
}

const jsonMediaType = /^application\/([\w.+-]+\+)?json\s*(;|$)/

export function registerSaasWebhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/subscription-source/relay-calls',
    {
      config: requires('read'),
      schema: {
        operationId: 'listSaasRelayCalls',
        summary:
          "The SaaS webhook calls the relay took, newest first: each one's action, state, attempts and last answer (never its body or token)",
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: jsonAnswer('The calls, newest first', z.object({ items: z.array(relayCall) })) },
      },
    },
    async (request) => {
      const calls = await deps.store.listSaasRelayCalls(callerOf(request).tenant.id, { limit: request.query.limit })
      return { items: calls.map(relayCallAnswer) }
    },
  )
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
