import type { AlertRule } from '../../core/alert-rules.ts'
import { AppError } from '../../core/errors.ts'
import { createDeliveryRuntime } from '../../delivery/delivery-runtime.ts'
import { createLogger } from '../../logger.ts'
import { createAlertService, presentAlertChannel, presentAlertRule } from '../../services/alerts.ts'
import type { Tenant } from '../../store/types.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { type CommandContext, openContext } from '../context.ts'
import { renderTable } from '../table.ts'
import { cliActor, resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

function serviceOf(context: CommandContext) {
  const runtime = createDeliveryRuntime({ ...context, log: createLogger('warn') })
  return createAlertService({ ...context, sealer: runtime.sealer, dispatcher: runtime.alerts })
}

function describeCriteria(rule: AlertRule): string {
  const { criteria } = rule
  return [
    `reaches ${criteria.stage}`,
    criteria.offers.length > 0 ? `offers ${criteria.offers.join(', ')}` : 'any offer',
    ...(criteria.sources.length > 0 ? [`sources ${criteria.sources.join(', ')}`] : []),
    ...(criteria.countries.length > 0 ? [`countries ${criteria.countries.join(', ')}`] : []),
    ...(criteria.includeTest ? ['test leads too'] : []),
  ].join('; ')
}

/** A rule by id, or by name when exactly one rule has it. */
async function ruleNamed(service: ReturnType<typeof serviceOf>, tenant: Tenant, wanted: string): Promise<AlertRule> {
  const rules = await service.listRules(tenant)
  const byId = rules.find((rule) => rule.id === wanted)
  if (byId) return byId
  const byName = rules.filter((rule) => rule.name.toLowerCase() === wanted.toLowerCase())
  if (byName.length === 1 && byName[0]) return byName[0]
  const known = rules.map((rule) => `${rule.name} (${rule.id})`).join(', ') || 'none yet'
  throw new AppError(
    'NOT_FOUND',
    byName.length > 1
      ? `Several rules are called "${wanted}"; name one by id: ${known}`
      : `No alert rule "${wanted}"; rules: ${known}`,
    { field: 'rule' },
  )
}

export const alertsListCommand: Command = {
  usage: 'leadrelay alerts list [--json] [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: [
    '--json                one JSON object per line: {"rule": …} or {"channel": …}',
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const service = serviceOf(context)
      const [rules, channels] = await Promise.all([service.listRules(tenant), service.listChannels(tenant)])
      if (flags.json) {
        for (const rule of rules) io.stdout.write(`${JSON.stringify({ rule: presentAlertRule(rule) })}\n`)
        for (const channel of channels) {
          io.stdout.write(`${JSON.stringify({ channel: presentAlertChannel(channel) })}\n`)
        }
        return 0
      }
      const names = new Map(channels.map((channel) => [channel.id, channel.name]))
      if (rules.length === 0) {
        io.stdout.write('No alert rules yet. Create one in the portal (Alerts) or with POST /v1/alert-rules.\n')
      } else {
        io.stdout.write(
          renderTable(
            ['id', 'name', 'enabled', 'when', 'channels'],
            rules.map((rule) => [
              rule.id,
              rule.name,
              rule.enabled ? 'yes' : 'no',
              describeCriteria(rule),
              rule.channelIds.map((id) => names.get(id) ?? `${id} (deleted)`).join(', '),
            ]),
          ),
        )
      }
      if (channels.length > 0) {
        io.stdout.write('\n')
        io.stdout.write(
          renderTable(
            ['channel', 'kind', 'name'],
            channels.map((channel) => [channel.id, channel.kind, channel.name]),
          ),
        )
      }
      return 0
    } finally {
      await context.store.close()
    }
  },
}

export const alertsTestCommand: Command = {
  usage: 'leadrelay alerts test <rule id or name> [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' } },
  optionHelp: [
    '<rule>                the rule, by id (arl_…) or by its name; see leadrelay alerts list',
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  async run(flags, positionals, io) {
    const wanted = positionals.join(' ').trim()
    if (!wanted) {
      throw new AppError('VALIDATION_FAILED', 'Name the rule: leadrelay alerts test <rule id or name>', {
        field: 'rule',
      })
    }
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const service = serviceOf(context)
      const rule = await ruleNamed(service, tenant, wanted)
      const results = await service.testRule(tenant, rule.id, cliActor(io.env))
      for (const result of results) {
        const status = result.status !== undefined ? ` (HTTP ${result.status})` : ''
        io.stdout.write(
          result.ok
            ? `${result.name} [${result.kind}]: sent${status}.\n`
            : `${result.name} [${result.kind}]: FAILED${status}: ${result.reason ?? result.failureKind}\n`,
        )
      }
      return results.every((result) => result.ok) ? 0 : 1
    } finally {
      await context.store.close()
    }
  },
}
