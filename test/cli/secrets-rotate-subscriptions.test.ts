/**
 * `leadrelay secrets rotate` re-encrypts the subscription source's credential with the new key, like destination
 * secrets: afterwards it is sealed with the current key version and the poll still signs in with it.
 */

import { afterEach, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { loadKeyring } from '../../src/secrets/keyring.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'
import { createIngestService } from '../../src/services/ingest.ts'
import { createSubscriptionService, subscriptionSecretContext } from '../../src/services/subscriptions.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { createFulfillmentClient } from '../../src/subscriptions/fulfillment-client.ts'
import { type SaasFulfillmentFake, startSaasFulfillmentFake } from '../fakes/saas-fulfillment-fake.ts'
import { runCli } from '../helpers/cli-process.ts'
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

test('secrets rotate re-seals the subscription source secret; the poll still reads with it', async () => {
  const dir = createTempDir()
  fake = await startSaasFulfillmentFake({ app })
  fake.add({ emailId: 'ann@example.com' })
  const env = {
    LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    LEADRELAY_ENTRA_LOGIN_URL: fake.url,
    LEADRELAY_MARKETPLACE_API_URL: fake.url,
    LEADRELAY_LOG_LEVEL: 'warn',
  }
  let store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
  await store.migrate()
  const ids = createIdGenerator(systemClock)
  const { tenant } = await createTenant({ store, clock: systemClock, ids, publicUrl: 'http://localhost' }, 'contoso')
  const service = createSubscriptionService({
    store,
    ingest: createIngestService({ store, clock: systemClock, ids, dedupeWindowMs: 600_000 }),
    sealer: createSecretBox(loadKeyring({ dataDir: dir.path, secretKeyEnv: undefined })),
    clock: systemClock,
    client: createFulfillmentClient({
      http: { send: () => Promise.reject(new Error('unused')) },
      clock: systemClock,
      loginUrl: '',
      apiUrl: '',
    }),
  })
  await service.putSource(tenant.id, { ...app, entraTenantId: app.tenantId, enabled: false })
  const before = (await store.getSubscriptionSource(tenant.id))?.sealedSecret as string
  await store.close()

  const rotated = await runCli(['secrets', 'rotate', '--data', dir.path], env)
  expect(rotated.code).toBe(0)
  expect(rotated.stderr).toContain('Re-encrypted the credentials of 1 subscription sources.')

  store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
  try {
    const after = (await store.getSubscriptionSource(tenant.id))?.sealedSecret as string
    expect(after).not.toBe(before)
    const box = createSecretBox(loadKeyring({ dataDir: dir.path, secretKeyEnv: undefined }))
    expect(box.needsRotation(before)).toBe(true)
    expect(box.needsRotation(after)).toBe(false)
    expect(box.open(after, subscriptionSecretContext(tenant.id))).toBe(app.clientSecret)
  } finally {
    await store.close()
  }
  const poll = await runCli(['subscriptions', 'poll', '--data', dir.path, '--json'], env)
  expect(poll.code).toBe(0)
  expect(JSON.parse(poll.stdout)).toMatchObject({ read: 1, recorded: 1 })
  dir.remove()
}, 60_000)
