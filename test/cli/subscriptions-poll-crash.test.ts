/**
 * `leadrelay subscriptions poll` as a real process against the local SaaS Fulfillment API: killed with SIGKILL while
 * it waits for a page, then run again, it records each subscription exactly once.
 */

import { spawn } from 'node:child_process'
import { afterEach, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { loadKeyring } from '../../src/secrets/keyring.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'
import { createIngestService } from '../../src/services/ingest.ts'
import { createSubscriptionService } from '../../src/services/subscriptions.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { createFulfillmentClient } from '../../src/subscriptions/fulfillment-client.ts'
import { type SaasFulfillmentFake, startSaasFulfillmentFake } from '../fakes/saas-fulfillment-fake.ts'
import { binPath, runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const app = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1f8e4e-5c1a-4b7e-9d0e-2f6d3f1a9c11',
  clientSecret: 'entra-secret-value-1',
}

let fake: SaasFulfillmentFake | undefined
afterEach(async () => {
  await fake?.close()
})

test('kill -9 mid-poll, then poll again: every subscription recorded once, nothing twice', async () => {
  const dir = createTempDir()
  fake = await startSaasFulfillmentFake({ app, pageSize: 2 })
  const statuses = ['Subscribed', 'Suspended', 'Unsubscribed', 'PendingFulfillmentStart', 'Subscribed', 'Subscribed']
  for (const [index, status] of statuses.entries()) {
    fake.add({ emailId: `buyer${index}@example.com`, saasSubscriptionStatus: status as 'Subscribed' })
  }
  const env = {
    LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    LEADRELAY_ENTRA_LOGIN_URL: fake.url,
    LEADRELAY_MARKETPLACE_API_URL: fake.url,
    LEADRELAY_LOG_LEVEL: 'warn',
  }

  // The tenant and its source, set up the way the API does it (the CLI reads the same key file).
  let store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
  await store.migrate()
  const ids = createIdGenerator(systemClock)
  const { tenant } = await createTenant({ store, clock: systemClock, ids, publicUrl: 'http://localhost' }, 'contoso')
  const sealer = createSecretBox(loadKeyring({ dataDir: dir.path, secretKeyEnv: undefined }))
  const service = createSubscriptionService({
    store,
    ingest: createIngestService({ store, clock: systemClock, ids, dedupeWindowMs: 600_000 }),
    sealer,
    clock: systemClock,
    client: createFulfillmentClient({
      http: { send: () => Promise.reject(new Error('unused')) },
      clock: systemClock,
      loginUrl: '',
      apiUrl: '',
    }),
  })
  await service.putSource(tenant.id, {
    entraTenantId: app.tenantId,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
  })
  const eventsBefore = await store.countLeadEvents(tenant.id)
  await store.close()

  // The third page hangs: the first two pages' subscriptions are recorded when the process dies.
  const hold = fake.holdPage(2)
  const child = spawn(process.execPath, [binPath, 'subscriptions', 'poll', '--data', dir.path, '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  await hold.reached
  child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')
  hold.release()

  store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
  const afterKill = await store.countLeadEvents(tenant.id)
  expect(afterKill - eventsBefore).toBe(4)
  await store.close()

  const again = await runCli(['subscriptions', 'poll', '--data', dir.path, '--json'], env)
  expect(again.stderr).toBe('')
  expect(again.code).toBe(0)
  expect(JSON.parse(again.stdout)).toMatchObject({ read: 6, recorded: 2, skipped: 0 })
  const once = await runCli(['subscriptions', 'poll', '--data', dir.path, '--json'], env)
  expect(JSON.parse(once.stdout)).toMatchObject({ read: 6, recorded: 0, unchanged: 6 })

  store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
  try {
    expect((await store.countLeadEvents(tenant.id)) - eventsBefore).toBe(6)
    const leads = await store.listLeads(tenant.id, { offerId: 'contoso.crm' }, { limit: 50 })
    expect(leads.items).toHaveLength(6)
    expect(leads.items.every((lead) => lead.eventCount === 1)).toBe(true)
    const stages = leads.items.map((lead) => lead.stage).sort()
    expect(stages).toEqual(['active', 'churned', 'customer', 'customer', 'customer', 'suspended'])
    expect(fake.writes).toEqual([])
  } finally {
    await store.close()
    dir.remove()
  }
}, 60_000)
