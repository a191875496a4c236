/**
 * Marketplace subscriptions: the tenant's subscription source (its Entra app; the secret is write-only), an on-demand
 * poll, and a lead's subscriptions. See docs/decisions/0010-marketplace-subscriptions.md.
 */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../core/errors.ts'
import { subscriptionStatuses } from '../../core/subscription-link.ts'
import { isoTime } from '../../core/time.ts'
import type { SubscriptionSourceChange, SubscriptionSourceView } from '../../services/subscriptions.ts'
import type { SubscriptionRecord } from '../../store/subscription-queries.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'
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

const subscriptionSourceSchema = z
  .object({
    entraTenantId: z.string(),
    clientId: z.string(),
    hasSecret: z.boolean(),
    credential: z.enum(['secret', 'certificate']),
    certificate: z
      .object({ thumbprint: z.string(), subject: z.string(), expiresAt: z.string() })
      .describe("The certificate's public facts, never its private key")
      .optional(),
    enabled: z.boolean(),
    relay: z
      .object({
        url: z.string().describe("The publisher's fulfillment service calls are relayed to"),
        webhookUrl: z
          .string()
          .describe('The relay URL to paste into Partner Center; only in the answer that made its token')
          .optional(),
      })
      .nullable(),
    lastPollAt: z.string().optional(),
    lastPollError: z.string().optional(),
    lastPollCount: z.int().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'SubscriptionSource' })

const pollSummarySchema = z
  .object({
    read: z.int().describe('Subscriptions the API listed'),
    recorded: z.int().describe('Events recorded now (first sight, status, plan or quantity changes)'),
    duplicates: z.int().describe('Events an earlier, interrupted poll had recorded already'),
    unchanged: z.int().describe('Subscriptions unchanged since the last poll'),
    skipped: z.int().describe('API entries that lack an id, offer or known status, or could not be ingested'),
    error: z.string().describe('Set when the poll stopped early; what it recorded before stays recorded').optional(),
  })
  .meta({ id: 'SubscriptionPollSummary' })

const subscriptionSchema = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    offer: z.string(),
    status: z.enum(subscriptionStatuses).describe('As the SaaS Fulfillment API says'),
    planId: z.string().optional(),
    quantity: z.number().optional(),
    isTest: z.boolean(),
    isFreeTrial: z.boolean(),
    termStart: z.string().optional(),
    termEnd: z.string().optional(),
    termUnit: z.string().optional(),
    created: z.string().optional(),
    lastModified: z.string().optional(),
    seenAt: z.string(),
  })
  .meta({ id: 'Subscription' })

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
  const api = app.withTypeProvider<ZodTypeProvider>()
  // The publisher's Entra app reads every SaaS subscription of their offers.
  const admin = requires('admin')

  api.get(
    '/v1/subscription-source',
    {
      config: admin,
      schema: {
        operationId: 'getSubscriptionSource',
        summary:
          "The tenant's marketplace subscription source: its Entra app (never the secret) and the last poll's outcome",
        response: { 200: jsonAnswer('The source', subscriptionSourceSchema) },
      },
    },
    async (request) => {
      const source = await service().getSource(callerOf(request).tenant.id)
      if (!source) throw new AppError('NOT_FOUND', 'No subscription source is set up for this tenant')
      return sourceAnswer(source)
    },
  )

  api.put(
    '/v1/subscription-source',
    {
      config: admin,
      schema: {
        operationId: 'putSubscriptionSource',
        summary:
          'Set the Entra app Leadrelay reads SaaS subscriptions with (read only; the secret or certificate key is sealed and never shown), and the SaaS webhook relay; audited',
        body: subscriptionSourceInput,
        response: { 200: jsonAnswer('The source', subscriptionSourceSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const input = request.body
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
      return webhookUrl === undefined || answer.relay === null
        ? answer
        : { ...answer, relay: { ...answer.relay, webhookUrl } }
    },
  )

  api.delete(
    '/v1/subscription-source',
    {
      config: admin,
      schema: {
        operationId: 'deleteSubscriptionSource',
        summary: 'Stop reading SaaS subscriptions; what was recorded stays',
        response: { 204: z.undefined().describe('Deleted') },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
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
    },
  )

  api.post(
    '/v1/subscription-source/poll',
    {
      config: admin,
      schema: {
        operationId: 'pollSubscriptions',
        summary:
          'Read the SaaS subscriptions now: each new subscription, status, plan or quantity change becomes a lead event (docs/decisions/0010)',
        response: { 200: jsonAnswer('What the poll read and recorded', pollSummarySchema) },
      },
    },
    async (request) => service().poll(callerOf(request).tenant.id),
  )

  api.get(
    '/v1/leads/:leadId/subscriptions',
    {
      config: requires('read'),
      schema: {
        operationId: 'listLeadSubscriptions',
        summary: "The lead's SaaS subscriptions: plan, quantity, status and term",
        params: leadSubscriptionsParams,
        response: { 200: jsonAnswer('Subscriptions', z.object({ items: z.array(subscriptionSchema) })) },
      },
    },
    async (request) => {
      const tenantId = callerOf(request).tenant.id
      const { leadId } = request.params
      if (!(await deps.store.getLead(tenantId, leadId))) throw new AppError('LEAD_NOT_FOUND', 'No such lead')
      const subscriptions = await deps.store.listLeadSubscriptions(tenantId, leadId)
      return { items: subscriptions.map(subscriptionAnswer) }
    },
  )
}
