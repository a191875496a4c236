import { AppError } from '../../core/errors.ts'
import { createTenant } from '../../services/tenants.ts'
import { type Command, storeOptionHelp, storeOptions } from '../command.ts'
import { openContext } from '../context.ts'

export const tenantsCreateCommand: Command = {
  usage: 'leadrelay tenants create <name> [--json] [--public-url <url>] [--data <dir>]',
  options: { ...storeOptions, json: { type: 'boolean' }, 'public-url': { type: 'string' } },
  optionHelp: [
    '--json                print one JSON object: { tenantId, name, apiKey, ingestToken, ingestUrl }',
    '--public-url <url>    base URL Microsoft will reach this service at (env LEADRELAY_PUBLIC_URL)',
    ...storeOptionHelp,
  ],
  async run(flags, positionals, io) {
    const name = positionals.join(' ').trim()
    if (!name)
      throw new AppError('VALIDATION_FAILED', 'Give the tenant a name: leadrelay tenants create <name>', {
        field: 'name',
      })
    const context = await openContext(flags, io.env)
    try {
      const created = await createTenant({ ...context, publicUrl: context.config.publicUrl }, name)
      const summary = {
        tenantId: created.tenant.id,
        name: created.tenant.name,
        apiKey: created.apiKey,
        ingestToken: created.ingestToken,
        ingestUrl: created.ingestUrl,
      }
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(summary)}\n`)
      } else {
        io.stdout.write(
          [
            `Tenant ${summary.name} (${summary.tenantId}) created. These secrets are shown once; store them now.`,
            `  API key:     ${summary.apiKey}`,
            `  Ingest URL:  ${summary.ingestUrl}`,
            '  Paste the ingest URL into Partner Center (Offer setup > Customer leads > HTTPS endpoint).',
            '',
          ].join('\n'),
        )
      }
      return 0
    } finally {
      await context.store.close()
    }
  },
}
