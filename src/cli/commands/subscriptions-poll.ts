import { createNodeHttpClient } from '../../destinations/http-client-node.ts'
import { createLogger } from '../../logger.ts'
import { loadKeyring } from '../../secrets/keyring.ts'
import { createSecretBox } from '../../secrets/secret-box.ts'
import { createIngestService } from '../../services/ingest.ts'
import { createSubscriptionService } from '../../services/subscriptions.ts'
import { createFulfillmentClient } from '../../subscriptions/fulfillment-client.ts'
import { type Command, storeOptionHelp, storeOptions, stringFlag } from '../command.ts'
import { openContext } from '../context.ts'
import { resolveTenant, tenantOptionHelp } from '../tenant-flag.ts'

/** `leadrelay subscriptions poll`: reads the tenant's SaaS subscriptions now, as the schedule in `serve` does. */
export const subscriptionsPollCommand: Command = {
  usage: 'leadrelay subscriptions poll [--tenant <id>] [--json]',
  options: { ...storeOptions, tenant: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: [
    '--json                print the summary as one JSON object',
    tenantOptionHelp,
    ...storeOptionHelp,
    'Exit code 0 when the poll read every page, 1 when it stopped early (what it recorded stays recorded).',
  ],
  async run(flags, _positionals, io) {
    const context = await openContext(flags, io.env)
    try {
      const tenant = await resolveTenant(context.store, stringFlag(flags, 'tenant'))
      const { config } = context
      const ingest = createIngestService({
        store: context.store,
        clock: context.clock,
        ids: context.ids,
        dedupeWindowMs: config.dedupeWindowMs,
        actionStages: config.actionStages,
      })
      const service = createSubscriptionService({
        store: context.store,
        ingest,
        sealer: createSecretBox(loadKeyring({ dataDir: config.dataDir, secretKeyEnv: config.secretKey })),
        clock: context.clock,
        client: createFulfillmentClient({
          http: createNodeHttpClient({ allowPrivateNetworks: config.allowPrivateNetworks }),
          clock: context.clock,
          loginUrl: config.subscriptions.loginUrl,
          apiUrl: config.subscriptions.apiUrl,
        }),
        log: createLogger(config.logLevel),
      })
      const summary = await service.poll(tenant.id)
      await ingest.drain()
      if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`)
      else {
        io.stdout.write(
          `${summary.read} subscriptions read: ${summary.recorded} changes recorded, ${summary.duplicates} recorded before, ${summary.unchanged} unchanged, ${summary.skipped} skipped\n`,
        )
        if (summary.error !== undefined) io.stderr.write(`The poll stopped early: ${summary.error}\n`)
      }
      return summary.error === undefined ? 0 : 1
    } finally {
      await context.store.close()
    }
  },
}
