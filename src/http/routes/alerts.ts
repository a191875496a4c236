/**
 * Alerts: rules, channels (secrets write-only), "send test alert", a lead's alerts, replay of an alert, and the
 * digest settings (docs/decisions/0007-alerts.md). Changes need an admin key or an editor (route-scopes.ts).
 */

import type { FastifyInstance } from 'fastify'
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
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

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

export function registerAlertRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const alerts = createAlertService({
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    sealer: deps.sealer ?? noSealer,
    dispatcher: deps.alertDispatcher ?? noDispatcher,
  })

  app.get('/v1/alert-channel-kinds', async (request) => {
    await deps.auth.tenantOf(request)
    return { items: alertChannelKindsView() }
  })

  app.get('/v1/alert-channels', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return { items: (await alerts.listChannels(caller.tenant)).map(presentAlertChannel) }
  })

  app.post('/v1/alert-channels', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(alertChannelInput, request.body)
    const created = await alerts.createChannel(caller.tenant, input, caller.actor)
    const revealed = Object.keys(created.revealed).length > 0 ? { secrets: created.revealed } : {}
    return reply.code(201).send({ ...presentAlertChannel(created.channel), ...revealed })
  })

  app.get<{ Params: { channelId: string } }>('/v1/alert-channels/:channelId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return presentAlertChannel(await alerts.getChannel(caller.tenant, request.params.channelId))
  })

  app.patch<{ Params: { channelId: string } }>('/v1/alert-channels/:channelId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(alertChannelPatchInput, request.body)
    return presentAlertChannel(await alerts.updateChannel(caller.tenant, request.params.channelId, input, caller.actor))
  })

  app.delete<{ Params: { channelId: string } }>('/v1/alert-channels/:channelId', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    await alerts.deleteChannel(caller.tenant, request.params.channelId, caller.actor)
    return reply.code(204).send()
  })

  app.post<{ Params: { channelId: string } }>('/v1/alert-channels/:channelId/test', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return alerts.testChannel(caller.tenant, request.params.channelId, caller.actor)
  })

  app.get('/v1/alert-rules', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return { items: (await alerts.listRules(caller.tenant)).map(presentAlertRule) }
  })

  app.post('/v1/alert-rules', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(alertRuleInput, request.body)
    return reply.code(201).send(presentAlertRule(await alerts.createRule(caller.tenant, input, caller.actor)))
  })

  app.get<{ Params: { ruleId: string } }>('/v1/alert-rules/:ruleId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return presentAlertRule(await alerts.getRule(caller.tenant, request.params.ruleId))
  })

  app.patch<{ Params: { ruleId: string } }>('/v1/alert-rules/:ruleId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(alertRulePatchInput, request.body)
    return presentAlertRule(await alerts.updateRule(caller.tenant, request.params.ruleId, input, caller.actor))
  })

  app.delete<{ Params: { ruleId: string } }>('/v1/alert-rules/:ruleId', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    await alerts.deleteRule(caller.tenant, request.params.ruleId, caller.actor)
    return reply.code(204).send()
  })

  app.post<{ Params: { ruleId: string } }>('/v1/alert-rules/:ruleId/test', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const results = await alerts.testRule(caller.tenant, request.params.ruleId, caller.actor)
    return { ok: results.every((result) => result.ok), results }
  })

  app.get('/v1/alert-sends', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const query = parseWith(alertSendListQuery, request.query)
    const [sends, channels] = await Promise.all([
      alerts.listSends(caller.tenant, query),
      alerts.listChannels(caller.tenant),
    ])
    const names = new Map(channels.map((channel) => [channel.id, channel.name]))
    return { items: sends.map((send) => presentAlertSend(send, names.get(send.channelId))) }
  })

  app.get<{ Params: { sendId: string } }>('/v1/alert-sends/:sendId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const { send, attempts } = await alerts.getSend(caller.tenant, request.params.sendId)
    return { ...presentAlertSend(send), attemptLog: attempts.map(presentAlertAttempt) }
  })

  app.post<{ Params: { sendId: string } }>('/v1/alert-sends/:sendId/replay', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return presentAlertSend(await alerts.replaySend(caller.tenant, request.params.sendId, caller.actor))
  })

  app.get<{ Params: { leadId: string } }>('/v1/leads/:leadId/alerts', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return { items: await alerts.leadAlerts(caller.tenant, request.params.leadId) }
  })

  app.get('/v1/alert-digest', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return alerts.getDigestSettings(caller.tenant)
  })

  app.put('/v1/alert-digest', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(digestSettingsInput, request.body)
    return alerts.setDigestSettings(caller.tenant, input, caller.actor)
  })
}
