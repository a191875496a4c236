/**
 * Alerts: rules, channels (secrets write-only), "send test alert", a lead's alerts, replay of an alert, and the
 * digest settings (docs/decisions/0007-alerts.md). Changes need an admin key or an editor (route-scopes.ts).
 */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { alertStages } from '../../core/alert-rules.ts'
import { AppError } from '../../core/errors.ts'
import type { SecretSealer } from '../../core/ports.ts'
import {
  type AlertServiceDeps,
  alertChannelInput,
  alertChannelKindsView,
  alertChannelPatchInput,
  alertRuleInput,
  alertRulePatchInput,
  alertSendListQuery,
  createAlertService,
  digestSettingsInput,
  presentAlertAttempt,
  presentAlertChannel,
  presentAlertRule,
  presentAlertSend,
} from '../../services/alerts.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'

function notReady(what: string): never {
  throw new AppError('NOT_READY', `${what} is not available in this process`)
}

const noSealer: SecretSealer = {
  seal: () => notReady('Sealing channel secrets'),
  open: () => notReady('Opening channel secrets'),
}

const noDispatcher: AlertServiceDeps['dispatcher'] = {
  sendTest: async () => notReady('Sending alerts'),
  wake: () => {},
}

const alertChannelSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    config: z.unknown().describe("Settings, as the kind's configSchema describes them"),
    hasSecrets: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AlertChannel' })

const alertChannelKindSchema = z
  .object({
    kind: z.string(),
    displayName: z.string(),
    configSchema: z.record(z.string(), z.unknown()).describe("JSON Schema (draft 2020-12) of the kind's settings"),
    secretFields: z
      .array(
        z.object({
          name: z.string(),
          label: z.string(),
          required: z.boolean(),
          generated: z.boolean().optional(),
          help: z.string().optional(),
        }),
      )
      .readonly(),
  })
  .meta({ id: 'AlertChannelKind' })

const alertRuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    criteria: z.object({
      offers: z.array(z.string()).readonly(),
      stage: z.enum(alertStages).describe('The rule fires when a lead reaches this stage (or a further one) first'),
      sources: z.array(z.string()).readonly(),
      countries: z.array(z.string()).readonly(),
      includeTest: z.boolean(),
    }),
    channelIds: z.array(z.string()).readonly(),
  })
  .meta({ id: 'AlertRule' })

const alertSendSchema = z
  .object({
    id: z.string(),
    alertId: z.string(),
    ruleId: z.string(),
    ruleName: z.string().nullable(),
    channelId: z.string(),
    channelName: z.string().nullable(),
    leadId: z.string(),
    stage: z.string().describe('The stage whose first reach fired the alert'),
    state: z.enum(['queued', 'in_flight', 'delivered', 'dead']),
    attempts: z.int(),
    firedAt: z.string(),
    nextAttemptAt: z.string().nullable(),
    sentAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastStatus: z.int().nullable(),
  })
  .meta({ id: 'AlertSend' })

const alertSendDetailSchema = alertSendSchema
  .extend({
    attemptLog: z.array(
      z.object({
        id: z.string(),
        number: z.int(),
        startedAt: z.string(),
        durationMs: z.int(),
        outcome: z.string(),
        status: z.int().nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AlertSendDetail' })

const alertTestResultSchema = z
  .object({
    channelId: z.string(),
    name: z.string(),
    kind: z.string(),
    ok: z.boolean(),
    status: z.int().optional(),
    failureKind: z.string().optional(),
    reason: z.string().optional(),
  })
  .meta({ id: 'AlertTestResult' })

const digestSettingsSchema = z
  .object({ frequency: z.enum(['daily', 'weekly', 'off']), emails: z.array(z.string()).readonly() })
  .meta({ id: 'DigestSettings' })

const channelParams = z.object({ channelId: z.string() })
const ruleParams = z.object({ ruleId: z.string() })
const sendParams = z.object({ sendId: z.string() })
const deleted = { 204: z.undefined().describe('Deleted') }
const items = <T extends z.ZodType>(schema: T) => z.object({ items: z.array(schema).readonly() })

export function registerAlertRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const alerts = createAlertService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    sealer: deps.sealer ?? noSealer,
    dispatcher: deps.alertDispatcher ?? noDispatcher,
  })
  const api = app.withTypeProvider<ZodTypeProvider>()
  // Reading is for every viewer; changes, tests and replays for an admin key or a signed-in editor (issue 20).
  const reads = requires('read')
  const changes = requires('admin', 'editor')

  api.get(
    '/v1/alert-channel-kinds',
    {
      config: reads,
      schema: {
        operationId: 'listAlertChannelKinds',
        summary: 'Alert channel kinds with their config JSON Schema and secret fields',
        response: { 200: jsonAnswer('Every kind', items(alertChannelKindSchema)) },
      },
    },
    async () => ({ items: alertChannelKindsView() }),
  )

  api.get(
    '/v1/alert-channels',
    {
      config: reads,
      schema: {
        operationId: 'listAlertChannels',
        summary: 'Alert channels: Teams, Slack, email, signed webhook (never their secrets)',
        response: { 200: jsonAnswer('Channels', items(alertChannelSchema)) },
      },
    },
    async (request) => ({ items: (await alerts.listChannels(callerOf(request).tenant)).map(presentAlertChannel) }),
  )

  api.post(
    '/v1/alert-channels',
    {
      config: changes,
      schema: {
        operationId: 'createAlertChannel',
        summary: 'Create an alert channel; secrets are write-only, generated ones are in this answer only',
        body: alertChannelInput,
        response: {
          201: jsonAnswer(
            'The channel, with any secret generated for it (shown once)',
            alertChannelSchema.extend({ secrets: z.record(z.string(), z.string()).optional() }),
          ),
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const created = await alerts.createChannel(caller.tenant, request.body, caller.actor)
      const revealed = Object.keys(created.revealed).length > 0 ? { secrets: created.revealed } : {}
      return reply.code(201).send({ ...presentAlertChannel(created.channel), ...revealed })
    },
  )

  api.get(
    '/v1/alert-channels/:channelId',
    {
      config: reads,
      schema: {
        operationId: 'getAlertChannel',
        summary: 'One alert channel (never its secrets)',
        params: channelParams,
        response: { 200: jsonAnswer('The channel', alertChannelSchema) },
      },
    },
    async (request) => presentAlertChannel(await alerts.getChannel(callerOf(request).tenant, request.params.channelId)),
  )

  api.patch(
    '/v1/alert-channels/:channelId',
    {
      config: changes,
      schema: {
        operationId: 'updateAlertChannel',
        summary: 'Change an alert channel; given secrets replace stored ones',
        params: channelParams,
        body: alertChannelPatchInput,
        response: { 200: jsonAnswer('The channel', alertChannelSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return presentAlertChannel(
        await alerts.updateChannel(caller.tenant, request.params.channelId, request.body, caller.actor),
      )
    },
  )

  api.delete(
    '/v1/alert-channels/:channelId',
    {
      config: changes,
      schema: {
        operationId: 'deleteAlertChannel',
        summary: 'Delete an alert channel no rule uses (audited)',
        params: channelParams,
        response: deleted,
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await alerts.deleteChannel(caller.tenant, request.params.channelId, caller.actor)
      return reply.code(204).send()
    },
  )

  api.post(
    '/v1/alert-channels/:channelId/test',
    {
      config: changes,
      schema: {
        operationId: 'testAlertChannel',
        summary:
          'Send a test alert (a made-up lead) now and answer what happened: ok, status, failureKind, reason; never retried',
        params: channelParams,
        response: { 200: jsonAnswer('What happened', alertTestResultSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return alerts.testChannel(caller.tenant, request.params.channelId, caller.actor)
    },
  )

  api.get(
    '/v1/alert-rules',
    {
      config: reads,
      schema: {
        operationId: 'listAlertRules',
        summary: 'Alert rules: which leads (offers, stage reached, sources, countries) tell which channels',
        response: { 200: jsonAnswer('Rules', items(alertRuleSchema)) },
      },
    },
    async (request) => ({ items: (await alerts.listRules(callerOf(request).tenant)).map(presentAlertRule) }),
  )

  api.post(
    '/v1/alert-rules',
    {
      config: changes,
      schema: {
        operationId: 'createAlertRule',
        summary: 'Create an alert rule; it fires once per lead and stage (audited)',
        body: alertRuleInput,
        response: { 201: jsonAnswer('The rule', alertRuleSchema) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      return reply.code(201).send(presentAlertRule(await alerts.createRule(caller.tenant, request.body, caller.actor)))
    },
  )

  api.get(
    '/v1/alert-rules/:ruleId',
    {
      config: reads,
      schema: {
        operationId: 'getAlertRule',
        summary: 'One alert rule',
        params: ruleParams,
        response: { 200: jsonAnswer('The rule', alertRuleSchema) },
      },
    },
    async (request) => presentAlertRule(await alerts.getRule(callerOf(request).tenant, request.params.ruleId)),
  )

  api.patch(
    '/v1/alert-rules/:ruleId',
    {
      config: changes,
      schema: {
        operationId: 'updateAlertRule',
        summary: 'Change an alert rule (audited)',
        params: ruleParams,
        body: alertRulePatchInput,
        response: { 200: jsonAnswer('The rule', alertRuleSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return presentAlertRule(await alerts.updateRule(caller.tenant, request.params.ruleId, request.body, caller.actor))
    },
  )

  api.delete(
    '/v1/alert-rules/:ruleId',
    {
      config: changes,
      schema: {
        operationId: 'deleteAlertRule',
        summary: 'Delete an alert rule; alerts already queued are still sent',
        params: ruleParams,
        response: deleted,
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await alerts.deleteRule(caller.tenant, request.params.ruleId, caller.actor)
      return reply.code(204).send()
    },
  )

  api.post(
    '/v1/alert-rules/:ruleId/test',
    {
      config: changes,
      schema: {
        operationId: 'testAlertRule',
        summary: "Send a test alert through each of the rule's channels; never retried",
        params: ruleParams,
        response: {
          200: jsonAnswer(
            'Each channel, and ok when all succeeded',
            z.object({ ok: z.boolean(), results: z.array(alertTestResultSchema).readonly() }),
          ),
        },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const results = await alerts.testRule(caller.tenant, request.params.ruleId, caller.actor)
      return { ok: results.every((result) => result.ok), results }
    },
  )

  api.get(
    '/v1/alert-sends',
    {
      config: reads,
      schema: {
        operationId: 'listAlertSends',
        summary: 'Alerts sent or on their way, newest first, by lead or channel',
        querystring: alertSendListQuery,
        response: { 200: jsonAnswer('Alerts', items(alertSendSchema)) },
      },
    },
    async (request) => {
      const tenant = callerOf(request).tenant
      const [sends, channels] = await Promise.all([
        alerts.listSends(tenant, request.query),
        alerts.listChannels(tenant),
      ])
      const names = new Map(channels.map((channel) => [channel.id, channel.name]))
      return { items: sends.map((send) => presentAlertSend(send, names.get(send.channelId))) }
    },
  )

  api.get(
    '/v1/alert-sends/:sendId',
    {
      config: reads,
      schema: {
        operationId: 'getAlertSend',
        summary: 'One alert to one channel with every attempt',
        params: sendParams,
        response: { 200: jsonAnswer('The alert', alertSendDetailSchema) },
      },
    },
    async (request) => {
      const { send, attempts } = await alerts.getSend(callerOf(request).tenant, request.params.sendId)
      return { ...presentAlertSend(send), attemptLog: attempts.map(presentAlertAttempt) }
    },
  )

  api.post(
    '/v1/alert-sends/:sendId/replay',
    {
      config: changes,
      schema: {
        operationId: 'replayAlertSend',
        summary: 'Queue a delivered or dead alert again (audited)',
        params: sendParams,
        response: { 200: jsonAnswer('The alert, queued', alertSendSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return presentAlertSend(await alerts.replaySend(caller.tenant, request.params.sendId, caller.actor))
    },
  )

  api.get(
    '/v1/leads/:leadId/alerts',
    {
      config: reads,
      schema: {
        operationId: 'listLeadAlerts',
        summary: "The lead's alerts: rule, channel, stage, state and when it was sent",
        params: z.object({ leadId: z.string() }),
        response: { 200: jsonAnswer('Alerts, newest first', items(alertSendSchema)) },
      },
    },
    async (request) => ({ items: await alerts.leadAlerts(callerOf(request).tenant, request.params.leadId) }),
  )

  api.get(
    '/v1/alert-digest',
    {
      config: reads,
      schema: {
        operationId: 'getAlertDigest',
        summary: 'The weekly or daily digest email: frequency and recipients',
        response: { 200: jsonAnswer('The digest settings', digestSettingsSchema) },
      },
    },
    async (request) => alerts.getDigestSettings(callerOf(request).tenant),
  )

  api.put(
    '/v1/alert-digest',
    {
      config: changes,
      schema: {
        operationId: 'setAlertDigest',
        summary: 'Set the digest: daily, weekly or off, and who gets it (audited)',
        body: digestSettingsInput,
        response: { 200: jsonAnswer('The digest settings', digestSettingsSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      return alerts.setDigestSettings(caller.tenant, request.body, caller.actor)
    },
  )
}
