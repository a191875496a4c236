/**
 * Marketplace subscriptions: the tenant's subscription source (its Entra app; the secret is write-only), an on-demand
 * poll, and a lead's subscriptions. See docs/decisions/0010-marketplace-subscriptions.md.
 */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { isoTime } from '../../core/time.ts'
import type { SubscriptionSourceChange, SubscriptionSourceView } from '../../services/subscriptions.ts'
import type { SubscriptionRecord } from '../../store/subscription-queries.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'
import { registerSaasWebhookRoutes } from './saas-webhook.ts'

/** `PUT /v1/subscription-source`: the secret may be left out to keep the stored one. */
export const subscriptionSourceInput = z.strictObject({
  entraTenantId: z.string().min(1).max(64),
  clientId: z.string().min(1).max(64),
  clientSecret: z.string().min(1).max(1024).optional(),
  certificate: z
    .strictObject({
      certificatePem: z.string().min(1).max(20_000),
      privateKeyPem: z.string().min(1).max(20_000),
    })
    .optional(),
  enabled: z.boolean().optional(),
  relayUrl: z.string().min(1).max(2000).nullable().optional(),
  rotateRelayToken: z.boolean().optional(),
})

export const leadSubscriptionsParams = z.strictObject({ leadId: z.string().min(1).max(200) })

function sourceAnswer(source: SubscriptionSourceView) {
  return {
    entraTenantId: source.entraTenantId,
    clientId: source.clientId,
    hasSecret: source.hasSecret,
    credential: source.credential,
    ...(source.certificate && {
      certificate: {
        thumbprint: source.certificate.thumbprint,
        subject: source.certificate.subject,
        expiresAt: isoTime(source.certificate.notAfter),
      },
    }),
    enabled: source.enabled,
    relay: source.relayUrl === undefined ? null : { url: source.relayUrl },
    ...(source.lastPollAt !== undefined && { lastPollAt: isoTime(source.lastPollAt) }),
    ...(source.lastPollError !== undefined && { lastPollError: source.lastPollError }),
    ...(source.lastPollCount !== undefined && { lastPollCount: source.lastPollCount }),
    createdAt: isoTime(source.createdAt),
    updatedAt: isoTime(source.updatedAt),
  }
}

export function subscriptionAnswer(subscription: SubscriptionRecord) {
  return {
    id: subscription.id,
    ...(subscription.name !== undefined && { name: subscription.name }),
    offer: subscription.offerRef,
    status: subscription.status,
    ...(subscription.planId !== undefined && { planId: subscription.planId }),
    ...(subscription.quantity !== undefined && { quantity: subscription.quantity }),
    isTest: subscription.isTest,
    isFreeTrial: subscription.isFreeTrial,
    ...(subscription.termStart !== undefined && { termStart: subscription.termStart }),
    ...(subscription.termEnd !== undefined && { termEnd: subscription.termEnd }),
    ...(subscription.termUnit !== undefined && { termUnit: subscription.termUnit }),
    ...(subscription.created !== undefined && { created: subscription.created }),
    ...(subscription.lastModified !== undefined && { lastModified: subscription.lastModified }),
    seenAt: isoTime(subscription.seenAt),
  }
}

/** The relay URL to paste into Partner Center; its token is shown only in the answer that made it. */
function relayWebhookUrl(deps: HttpDeps, change: SubscriptionSourceChange): string | undefined {
  if (change.newRelayToken === undefined) return undefined
  return `${deps.publicUrl.replace(/\/+$/, '')}/ingest/saas-webhook/${change.newRelayToken}`
}

export function registerSubscriptionRoutes(app: FastifyInstance, deps: HttpDeps): void {
  registerSaasWebhookRoutes(app, deps)
  const service = () => {
    if (!deps.subscriptions) throw new AppError('NOT_READY', 'Marketplace subscriptions are not available here')
    return deps.subscriptions
  }

  app.get('/v1/subscription-source', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const source = await service().getSource(caller.tenant.id)
    if (!source) throw new AppError('NOT_FOUND', 'No subscription source is set up for this tenant')
    return sourceAnswer(source)
  })

  app.put('/v1/subscription-source', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(subscriptionSourceInput, request.body)
    const source = await service().putSource(caller.tenant.id, input)
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: caller.tenant.id,
      actor: caller.actor,
      action: 'subscription_source.put',
      detail: {
        entraTenantId: source.entraTenantId,
        clientId: source.clientId,
        secretChanged: !!input.clientSecret,
        ...(source.certificate && input.certificate && { certificateThumbprint: source.certificate.thumbprint }),
        relay: source.relayUrl ?? null,
        relayUrlChanged: source.newRelayToken !== undefined,
      },
      at: deps.clock.now(),
    })
    const webhookUrl = relayWebhookUrl(deps, source)
    const answer = sourceAnswer(source)
    return webhookUrl === undefined ? answer : { ...answer, relay: { ...answer.relay, webhookUrl } }
  })

  app.delete('/v1/subscription-source', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    if (!(await service().deleteSource(caller.tenant.id))) {
      throw new AppError('NOT_FOUND', 'No subscription source is set up for this tenant')
    }
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: caller.tenant.id,
      actor: caller.actor,
      action: 'subscription_source.delete',
      at: deps.clock.now(),
    })
    return reply.code(204).send()
  })

  app.post('/v1/subscription-source/poll', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return service().poll(caller.tenant.id)
  })

  app.get('/v1/leads/:leadId/subscriptions', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const { leadId } = parseWith(leadSubscriptionsParams, request.params)
    if (!(await deps.store.getLead(caller.tenant.id, leadId))) throw new AppError('LEAD_NOT_FOUND', 'No such lead')
    const subscriptions = await deps.store.listLeadSubscriptions(caller.tenant.id, leadId)
    return { items: subscriptions.map(subscriptionAnswer) }
  })
}
