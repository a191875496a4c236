/**
 * Alert rules, channels, sends and the digest settings: the use cases behind the API, the portal and the CLI
 * (docs/decisions/0007-alerts.md). Channel secrets are sealed like destination secrets and never leave; every change
 * is audited.
 */

import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { AlertDispatcher } from '../alerts/alert-dispatcher.ts'
import { alertChannelOfKind, alertChannelRegistry } from '../alerts/channels/registry.ts'
import { alertChannelKinds } from '../alerts/channels/types.ts'
import { type AlertRule, alertStages } from '../core/alert-rules.ts'
import { AppError, DeliveryError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock, SecretSealer } from '../core/ports.ts'
import { isoTime } from '../core/time.ts'
import type { AlertAttemptRecord, AlertChannelRecord, AlertSendRecord, DigestSettings } from '../store/alert-queries.ts'
import type { Store, Tenant } from '../store/types.ts'
import { createAuditRecorder } from './audit-log.ts'
import { checkReason } from './destinations.ts'

export interface AlertServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly sealer: SecretSealer
  /** Sends test alerts now; wakes the dispatcher after a replay. */
  readonly dispatcher: Pick<AlertDispatcher, 'sendTest' | 'wake'>
  readonly random?: (size: number) => Uint8Array
}

const listOf = (max: number, item: z.ZodType<string>) => z.array(item).max(max).default([])
const shortText = z.string().trim().min(1).max(200)

export const alertCriteriaInput = z.strictObject({
  offers: listOf(100, shortText),
  stage: z.enum(alertStages),
  sources: listOf(20, shortText),
  countries: listOf(
    250,
    z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'a two-letter country code'),
  ),
  includeTest: z.boolean().default(false),
})

export const alertRuleInput = z.strictObject({
  name: shortText,
  enabled: z.boolean().default(true),
  criteria: alertCriteriaInput,
  channelIds: z.array(z.string().min(1).max(100)).min(1).max(20),
})

export const alertRulePatchInput = z.strictObject({
  name: shortText.optional(),
  enabled: z.boolean().optional(),
  criteria: alertCriteriaInput.optional(),
  channelIds: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
})

export const alertChannelInput = z.strictObject({
  kind: z.enum(alertChannelKinds),
  name: shortText,
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), z.unknown()).optional(),
})

export const alertChannelPatchInput = z.strictObject({
  name: shortText.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  /** Given secrets replace stored ones; missing ones are kept. */
  secrets: z.record(z.string(), z.unknown()).optional(),
})

export const alertSendListQuery = z.strictObject({
  leadId: z.string().min(1).max(100).optional(),
  channelId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export const digestSettingsInput = z.strictObject({
  frequency: z.enum(['daily', 'weekly', 'off']),
  emails: z.array(z.email()).max(20).default([]),
})

/** What a test alert did: sent, or why not. Never retried. */
export interface AlertTestResult {
  readonly channelId: string
  readonly name: string
  readonly kind: string
  readonly ok: boolean
  readonly status?: number
  readonly failureKind?: string
  readonly reason?: string
}

/** The public view of a channel: its settings and which secrets are set, never their values. */
export function presentAlertChannel(channel: AlertChannelRecord) {
  return {
    id: channel.id,
    kind: channel.kind,
    name: channel.name,
    config: channel.config,
    hasSecrets: channel.sealedSecrets !== undefined,
    createdAt: isoTime(channel.createdAt),
    updatedAt: isoTime(channel.updatedAt),
  }
}

export function presentAlertRule(rule: AlertRule) {
  return {
    id: rule.id,
    name: rule.name,
    enabled: rule.enabled,
    criteria: rule.criteria,
    channelIds: rule.channelIds,
  }
}

export function presentAlertSend(send: AlertSendRecord, channelName?: string) {
  return {
    id: send.id,
    alertId: send.alertId,
    ruleId: send.ruleId,
    ruleName: send.ruleName ?? null,
    channelId: send.channelId,
    channelName: channelName ?? null,
    leadId: send.leadId,
    stage: send.stage,
    state: send.state,
    attempts: send.attempts,
    firedAt: isoTime(send.firedAt),
    nextAttemptAt: send.state === 'queued' ? isoTime(send.runAt) : null,
    sentAt: send.sentAt === undefined ? null : isoTime(send.sentAt),
    lastError: send.lastError ?? null,
    lastStatus: send.lastStatus ?? null,
  }
}

export function presentAlertAttempt(attempt: AlertAttemptRecord) {
  return {
    id: attempt.id,
    number: attempt.number,
    startedAt: isoTime(attempt.startedAt),
    durationMs: attempt.durationMs,
    outcome: attempt.outcome,
    status: attempt.status ?? null,
    error: attempt.error ?? null,
  }
}

/** Channel kinds with their settings schema and secret fields, for forms. */
export function alertChannelKindsView() {
  return alertChannelKinds.map((kind) => {
    const channel = alertChannelRegistry[kind]
    return {
      kind,
      displayName: channel.displayName,
      configSchema: z.toJSONSchema(channel.configSchema, { io: 'input', unrepresentable: 'any' }),
      secretFields: channel.secretFields,
    }
  })
}

export function createAlertService(deps: AlertServiceDeps) {
  const { store, clock, ids } = deps
  const random = deps.random ?? randomBytes

  const audit = createAuditRecorder(deps)

  function validateConfig(kind: string, config: unknown): unknown {
    const result = alertChannelOfKind(kind).configSchema.safeParse(config)
    if (!result.success) {
      const issue = result.error.issues[0]
      const field = ['config', ...(issue?.path.map(String) ?? [])].join('.')
      throw new AppError('VALIDATION_FAILED', `${field}: ${issue?.message ?? 'invalid'}`, { field })
    }
    return result.data
  }

  /** Secrets as the kind keeps them, and the generated ones the caller did not send (shown once). */
  function prepareSecrets(kind: string, given: Readonly<Record<string, unknown>> | undefined) {
    const definition = alertChannelOfKind(kind)
    let secrets: Record<string, string>
    try {
      secrets = { ...definition.prepareSecrets(given, random) }
    } catch (error) {
      if (error instanceof AppError) throw error
      throw new AppError('VALIDATION_FAILED', `secrets: ${(error as Error).message}`, { field: 'secrets' })
    }
    const generated = new Set(definition.secretFields.filter((field) => field.generated).map((field) => field.name))
    const revealed = Object.fromEntries(
      Object.entries(secrets).filter(([key]) => generated.has(key) && given?.[key] === undefined),
    )
    return { secrets, revealed }
  }

  function openSecrets(channel: AlertChannelRecord): Record<string, string> {
    if (channel.sealedSecrets === undefined) return {}
    return JSON.parse(deps.sealer.open(channel.sealedSecrets, channel.id)) as Record<string, string>
  }

  async function requireChannel(tenant: Tenant, id: string): Promise<AlertChannelRecord> {
    const channel = await store.getAlertChannel(tenant.id, id)
    if (!channel) throw new AppError('NOT_FOUND', `No alert channel ${id}`, { field: 'channelId' })
    return channel
  }

  async function requireRule(tenant: Tenant, id: string): Promise<AlertRule> {
    const rule = await store.getAlertRule(tenant.id, id)
    if (!rule) throw new AppError('NOT_FOUND', `No alert rule ${id}`, { field: 'ruleId' })
    return rule
  }

  async function requireOwnChannels(tenant: Tenant, channelIds: readonly string[]): Promise<string[]> {
    const own = new Set((await store.listAlertChannels(tenant.id)).map((channel) => channel.id))
    const unique = [...new Set(channelIds)]
    const missing = unique.find((id) => !own.has(id))
    if (missing !== undefined) {
      throw new AppError('VALIDATION_FAILED', `channelIds: no alert channel ${missing} in this tenant`, {
        field: 'channelIds',
      })
    }
    return unique
  }

  async function testChannel(channel: AlertChannelRecord, ruleName?: string): Promise<AlertTestResult> {
    const base = { channelId: channel.id, name: channel.name, kind: channel.kind }
    try {
      const receipt = await deps.dispatcher.sendTest(channel, ruleName)
      return { ...base, ok: true, ...(receipt.status !== undefined && { status: receipt.status }) }
    } catch (error) {
      const failure =
        error instanceof DeliveryError
          ? error
          : new DeliveryError('retryable', (error as Error).message || 'Sending failed', { cause: error })
      return {
        ...base,
        ok: false,
        failureKind: failure.kind,
        reason: checkReason(failure),
        ...(failure.details.status !== undefined && { status: failure.details.status }),
      }
    }
  }

  return {
    listRules: (tenant: Tenant) => store.listAlertRules(tenant.id),
    getRule: requireRule,

    async createRule(tenant: Tenant, input: z.output<typeof alertRuleInput>, actor: string): Promise<AlertRule> {
      const rule: AlertRule = {
        id: ids.next('arl'),
        tenantId: tenant.id,
        name: input.name,
        enabled: input.enabled,
        criteria: { ...input.criteria, countries: input.criteria.countries.map((code) => code.toUpperCase()) },
        channelIds: await requireOwnChannels(tenant, input.channelIds),
      }
      await store.putAlertRule(rule, clock.now())
      await audit(tenant, actor, 'alert_rule.created', rule.id, { name: rule.name, stage: rule.criteria.stage })
      return rule
    },

    async updateRule(
      tenant: Tenant,
      id: string,
      input: z.output<typeof alertRulePatchInput>,
      actor: string,
    ): Promise<AlertRule> {
      const current = await requireRule(tenant, id)
      const criteria = input.criteria
        ? { ...input.criteria, countries: input.criteria.countries.map((code) => code.toUpperCase()) }
        : current.criteria
      const rule: AlertRule = {
        ...current,
        ...(input.name !== undefined && { name: input.name }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        criteria,
        channelIds: input.channelIds ? await requireOwnChannels(tenant, input.channelIds) : current.channelIds,
      }
      await store.putAlertRule(rule, clock.now())
      await audit(tenant, actor, 'alert_rule.updated', id, {
        name: rule.name,
        changed: Object.keys(input).filter((key) => input[key as keyof typeof input] !== undefined),
      })
      return rule
    },

    async deleteRule(tenant: Tenant, id: string, actor: string): Promise<void> {
      const rule = await requireRule(tenant, id)
      if (!(await store.deleteAlertRule(tenant.id, id, clock.now()))) throw new AppError('NOT_FOUND', `No rule ${id}`)
      await audit(tenant, actor, 'alert_rule.deleted', id, { name: rule.name })
    },

    /** A made-up alert through each of the rule's channels, now; answers what each did. */
    async testRule(tenant: Tenant, id: string, actor: string): Promise<readonly AlertTestResult[]> {
      const rule = await requireRule(tenant, id)
      const results: AlertTestResult[] = []
      for (const channelId of rule.channelIds) {
        const channel = await store.getAlertChannel(tenant.id, channelId)
        results.push(
          channel
            ? await testChannel(channel, rule.name)
            : { channelId, name: channelId, kind: 'unknown', ok: false, reason: 'The channel was deleted' },
        )
      }
      await audit(tenant, actor, 'alert_rule.tested', id, {
        name: rule.name,
        results: results.map((result) => ({ channelId: result.channelId, ok: result.ok })),
      })
      return results
    },

    listChannels: (tenant: Tenant) => store.listAlertChannels(tenant.id),
    getChannel: requireChannel,

    async createChannel(tenant: Tenant, input: z.output<typeof alertChannelInput>, actor: string) {
      const config = validateConfig(input.kind, input.config)
      const { secrets, revealed } = prepareSecrets(input.kind, input.secrets)
      const id = ids.next('ach')
      await store.putAlertChannel(
        {
          id,
          tenantId: tenant.id,
          kind: input.kind,
          name: input.name,
          config,
          ...(Object.keys(secrets).length > 0 && { sealedSecrets: deps.sealer.seal(JSON.stringify(secrets), id) }),
        },
        clock.now(),
      )
      await audit(tenant, actor, 'alert_channel.created', id, { kind: input.kind, name: input.name })
      return { channel: await requireChannel(tenant, id), revealed }
    },

    async updateChannel(tenant: Tenant, id: string, input: z.output<typeof alertChannelPatchInput>, actor: string) {
      const current = await requireChannel(tenant, id)
      const config = input.config === undefined ? current.config : validateConfig(current.kind, input.config)
      let sealedSecrets = current.sealedSecrets
      if (input.secrets !== undefined) {
        const given = Object.fromEntries(Object.entries(input.secrets).filter(([, value]) => value !== ''))
        const { secrets } = prepareSecrets(current.kind, { ...openSecrets(current), ...given })
        sealedSecrets = Object.keys(secrets).length > 0 ? deps.sealer.seal(JSON.stringify(secrets), id) : undefined
      }
      await store.putAlertChannel(
        {
          id,
          tenantId: tenant.id,
          kind: current.kind,
          name: input.name ?? current.name,
          config,
          ...(sealedSecrets !== undefined && { sealedSecrets }),
        },
        clock.now(),
      )
      await audit(tenant, actor, 'alert_channel.updated', id, {
        name: input.name ?? current.name,
        changed: Object.keys(input).filter((key) => input[key as keyof typeof input] !== undefined),
      })
      return requireChannel(tenant, id)
    },

    async deleteChannel(tenant: Tenant, id: string, actor: string): Promise<void> {
      const channel = await requireChannel(tenant, id)
      const users = (await store.listAlertRules(tenant.id)).filter((rule) => rule.channelIds.includes(id))
      if (users.length > 0) {
        throw new AppError(
          'CONFLICT',
          `Rules still tell this channel: ${users.map((rule) => rule.name).join(', ')}; change them first`,
          { field: 'channelId' },
        )
      }
      if (!(await store.deleteAlertChannel(tenant.id, id, clock.now()))) {
        throw new AppError('NOT_FOUND', `No alert channel ${id}`, { field: 'channelId' })
      }
      await audit(tenant, actor, 'alert_channel.deleted', id, { name: channel.name, kind: channel.kind })
    },

    /** "Send test alert": a made-up lead through the channel now; answers what happened, never retries. */
    async testChannel(tenant: Tenant, id: string, actor: string): Promise<AlertTestResult> {
      const channel = await requireChannel(tenant, id)
      const result = await testChannel(channel)
      await audit(tenant, actor, 'alert_channel.tested', id, {
        name: channel.name,
        ok: result.ok,
        ...(result.reason !== undefined && { reason: result.reason }),
      })
      return result
    },

    async listSends(tenant: Tenant, filter: z.output<typeof alertSendListQuery>) {
      return store.listAlertSends(tenant.id, {
        limit: filter.limit,
        ...(filter.leadId !== undefined && { leadId: filter.leadId }),
        ...(filter.channelId !== undefined && { channelId: filter.channelId }),
      })
    },

    /** A lead's alerts, newest first, with each channel's name. */
    async leadAlerts(tenant: Tenant, leadId: string) {
      if (!(await store.getLead(tenant.id, leadId))) {
        throw new AppError('LEAD_NOT_FOUND', `No lead ${leadId}`, { field: 'leadId' })
      }
      const [sends, channels] = await Promise.all([
        store.listAlertSends(tenant.id, { leadId, limit: 200 }),
        store.listAlertChannels(tenant.id),
      ])
      const names = new Map(channels.map((channel) => [channel.id, channel.name]))
      return sends.map((send) => presentAlertSend(send, names.get(send.channelId)))
    },

    async getSend(tenant: Tenant, id: string) {
      const send = await store.getAlertSend(tenant.id, id)
      if (!send) throw new AppError('NOT_FOUND', `No alert send ${id}`, { field: 'sendId' })
      const attempts = await store.listAlertAttempts(tenant.id, id)
      return { send, attempts }
    },

    /** Queues a delivered or dead alert again; one still on its way is left alone (CONFLICT). */
    async replaySend(tenant: Tenant, id: string, actor: string): Promise<AlertSendRecord> {
      const send = await store.getAlertSend(tenant.id, id)
      if (!send) throw new AppError('NOT_FOUND', `No alert send ${id}`, { field: 'sendId' })
      if (!(await store.replayAlertSend(tenant.id, id, clock.now()))) {
        throw new AppError('CONFLICT', `Alert send ${id} is ${send.state}: it is still on its way`, {
          field: 'sendId',
        })
      }
      deps.dispatcher.wake()
      await audit(tenant, actor, 'alert_send.replayed', id, {
        leadId: send.leadId,
        channelId: send.channelId,
        previousState: send.state,
      })
      const replayed = await store.getAlertSend(tenant.id, id)
      return replayed ?? send
    },

    getDigestSettings: (tenant: Tenant) => store.getDigestSettings(tenant.id),

    async setDigestSettings(tenant: Tenant, settings: DigestSettings, actor: string): Promise<DigestSettings> {
      if (settings.frequency !== 'off' && settings.emails.length === 0) {
        throw new AppError('VALIDATION_FAILED', 'emails: name at least one recipient for the digest', {
          field: 'emails',
        })
      }
      const before = await store.getDigestSettings(tenant.id)
      await store.putDigestSettings(tenant.id, settings, clock.now())
      await audit(tenant, actor, 'alert_digest.changed', tenant.id, { before, after: settings })
      return settings
    },
  }
}
