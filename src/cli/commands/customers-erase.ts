import { AppError } from '../../core/errors.ts'
import { eraseCustomer } from '../../services/customer-erasure.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { cliActor, resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

export const customersEraseCommand: Command = {
  usage: 'leadrelay customers erase <email> [--yes] [--tenant <id>]',
  options: { ...storeOptions, tenant: { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
  optionHelp: [
    '-y, --yes             erase without asking; without it, only says what would be erased',
    tenantOptionHelp,
    ...storeOptionHelp,
  ],
  async run(flags, positionals, io) {
    const email = positionals[0]
    if (email === undefined || positionals.length > 1)
      throw new AppError('VALIDATION_FAILED', 'Name exactly one email address: leadrelay customers erase <email>', {
        field: 'email',
      })
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      if (flags.yes !== true) {
        const count = await context.store.countLeads(tenant.id, { email }, 1000)
        io.stdout.write(
          `${count.count}${count.capped ? '+' : ''} lead(s) of ${tenant.name} carry this email. Erasure cannot be undone: their personal data is removed, and every destination that received them is asked to delete its record. Run again with --yes to erase.\n`,
        )
        return 2
      }
      const result = await eraseCustomer(context, { tenantId: tenant.id, email, actor: cliActor(io.env) })
      io.stdout.write(
        `Erased ${result.leads} lead(s) of ${tenant.name}; ${result.deletions} deletion(s) queued for destinations (sent by the delivery worker). Tombstone ${result.emailHash}.\n`,
      )
      return 0
    } finally {
      await context.store.close()
    }
  },
}
