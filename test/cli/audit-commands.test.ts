import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dirs: { remove(): void }[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove()
})

test('leadrelay offers publish that fails is audited as offer.publish_failed with the reason, never offer.published', async () => {
  const dir = createTempDir()
  dirs.push(dir)
  const filename = join(dir.path, 'leadrelay.db')
  const setup = createSqliteStore({ filename })
  await setup.migrate()
  const clock = createManualClock(Date.UTC(2026, 10, 25, 12, 0, 0))
  const { tenant } = await createTenant(
    { store: setup, clock, ids: createIdGenerator(clock), publicUrl: 'http://127.0.0.1:8080' },
    'contoso',
  )
  // A webhook stored without a signing secret: its check fails before anything is sent.
  await setup.createDestination(
    {
      id: 'dst_unsigned',
      tenantId: tenant.id,
      kind: 'webhook',
      name: 'Unsigned hook',
      config: { url: 'https://hooks.example.com/leads', format: 'leadrelay', timeoutMs: 15_000 },
      maxConcurrency: 4,
    },
    clock.now(),
  )
  await setup.putOffer(tenant.id, { id: 'contoso.crm', title: 'Contoso CRM', aliases: ['Contoso CRM'] }, clock.now())
  await setup.setRoutes(tenant.id, 'offer:contoso.crm', ['dst_unsigned'])
  await setup.close()

  const published = await runCli(['offers', 'publish', 'contoso.crm', '--data', dir.path, '--json'], { USER: 'ops' })
  expect(JSON.parse(published.stdout)).toMatchObject({ status: 'draft', results: [{ ok: false, step: 'verify' }] })

  const store = createSqliteStore({ filename })
  try {
    const entries = await store.listAudit(tenant.id, 10)
    expect(entries.map((entry) => entry.action)).toEqual(['offer.publish_failed'])
    expect(entries[0]).toMatchObject({
      actor: 'cli:ops',
      target: 'contoso.crm',
      targetName: 'Contoso CRM',
      detail: { failed: [{ destinationId: 'dst_unsigned', name: 'Unsigned hook', step: 'verify' }] },
    })
    const [failure] = (entries[0]?.detail?.failed ?? []) as { reason: string }[]
    expect(failure?.reason).toMatch(/secret/i)
  } finally {
    await store.close()
  }
})
