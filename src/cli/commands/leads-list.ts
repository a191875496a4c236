import { AppError } from '../../core/errors.ts'
import { isStage } from '../../core/funnel.ts'
import type { Lead } from '../../core/lead.ts'
import { isoTime } from '../../core/time.ts'
import { isLeadSortField } from '../../store/lead-list-queries.ts'
import type { LeadSort } from '../../store/types.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { renderTable } from '../table.ts'
import { resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

export const leadsListCommand: Command = {
  usage:
    'leadrelay leads list [--tenant <id>] [--offer <id>] [--stage <stage>] [--source <source>] [--email <email>] [--domain <domain>] [--search <text>] [--sort <field>] [--order asc|desc] [--limit <n>] [--json]',
  options: {
    ...storeOptions,
    tenant: { type: 'string' },
    offer: { type: 'string' },
    stage: { type: 'string' },
    email: { type: 'string' },
    source: { type: 'string' },
    domain: { type: 'string' },
    search: { type: 'string' },
    sort: { type: 'string' },
    order: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: [
    tenantOptionHelp,
    '--offer <id>          only leads of this offer',
    '--stage <stage>       trial, initial_interest, active, do_not_contact or unclassified',
    '--email <email>       only the lead(s) of this customer',
    '--source <source>     only leads from this source (AzureMarketplace, AppSource, AzurePortal…)',
    '--domain <domain>     only customers with an email at this domain',
    '--search <text>       name, last name, company, email or domain starting with the text',
    '--sort <field>        lastActivity (default), createdAt, name or company',
    '--order asc|desc      default: newest first for times, A to Z for names',
    '--limit <n>           at most n leads (default 50)',
    '--json                one JSON object per line',
    ...storeOptionHelp,
  ],
  async run(flags, _positionals, io) {
    const stage = stringFlag(flags, 'stage')
    if (stage !== undefined && !isStage(stage))
      throw new AppError('VALIDATION_FAILED', `Unknown stage "${stage}"`, { field: 'stage' })
    const sortFlag = stringFlag(flags, 'sort') ?? 'lastActivity'
    if (!isLeadSortField(sortFlag))
      throw new AppError('VALIDATION_FAILED', `Unknown sort "${sortFlag}"`, { field: 'sort' })
    const orderFlag = stringFlag(flags, 'order')
    if (orderFlag !== undefined && orderFlag !== 'asc' && orderFlag !== 'desc')
      throw new AppError('VALIDATION_FAILED', '--order must be asc or desc', { field: 'order' })
    const sort: LeadSort = {
      by: sortFlag,
      direction: orderFlag ?? (sortFlag === 'name' || sortFlag === 'company' ? 'asc' : 'desc'),
    }
    const limit = Number(stringFlag(flags, 'limit') ?? '50')
    if (!Number.isInteger(limit) || limit < 1)
      throw new AppError('VALIDATION_FAILED', '--limit must be a positive integer', { field: 'limit' })
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const filter = {
        ...(stringFlag(flags, 'offer') !== undefined && { offerId: stringFlag(flags, 'offer') }),
        ...(stage !== undefined && { stage }),
        ...(stringFlag(flags, 'email') !== undefined && { email: stringFlag(flags, 'email') }),
        ...(stringFlag(flags, 'source') !== undefined && { source: stringFlag(flags, 'source') }),
        ...(stringFlag(flags, 'domain') !== undefined && { emailDomain: stringFlag(flags, 'domain') }),
        ...(stringFlag(flags, 'search') !== undefined && { search: stringFlag(flags, 'search') }),
      }
      const leads: Lead[] = []
      let cursor: string | undefined
      do {
        const page = await context.store.listLeads(tenant.id, filter, {
          limit: Math.min(500, limit - leads.length),
          sort,
          ...(cursor && { cursor }),
        })
        leads.push(...page.items)
        cursor = page.nextCursor
      } while (cursor && leads.length < limit)
      if (flags.json) {
        for (const lead of leads) io.stdout.write(`${JSON.stringify(lead)}\n`)
      } else if (leads.length === 0) {
        io.stdout.write('No leads yet. Send one to the ingest URL or POST /v1/leads.\n')
      } else {
        io.stdout.write(
          renderTable(
            ['id', 'offer', 'stage', 'email', 'name', 'events', 'flags', 'last event'],
            leads.map((lead) => [
              lead.id,
              lead.offerId ?? `${lead.offerKey || '-'} (unrouted)`,
              lead.stage,
              lead.customer.email ?? lead.customer.phone ?? '-',
              [lead.customer.firstName, lead.customer.lastName].filter(Boolean).join(' ') || '-',
              String(lead.eventCount),
              [lead.doNotContact && 'do-not-contact', lead.isTest && 'test'].filter(Boolean).join(',') || '-',
              isoTime(lead.lastEventAt),
            ]),
          ),
        )
      }
      return 0
    } finally {
      await context.store.close()
    }
  },
}
