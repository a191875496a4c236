import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dirs: { remove(): void }[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove()
})

test('leadrelay retention run applies each tenant’s settings now, printing progress and what it removed', async () => {
  const dir = createTempDir()
  dirs.push(dir)
  const filename = join(dir.path, 'leadrelay.db')
  const setup = createSqliteStore({ filename })
  await setup.migrate()
  const ids = createIdGenerator(systemClock)
  const { tenant } = await createTenant(
    { store: setup, clock: systemClock, ids, publicUrl: 'http://127.0.0.1:8080' },
    'contoso',
  )
  const threeYearsAgo = Date.now() - 3 * 365 * 24 * 60 * 60 * 1000
  for (let n = 0; n < 5; n++)
    await setup.appendAudit({
      id: ids.next('aud'),
      tenantId: tenant.id,
      actor: 'system',
      action: 'old',
      at: threeYearsAgo,
    })
  await setup.appendAudit({
    id: ids.next('aud'),
    tenantId: tenant.id,
    actor: 'system',
    action: 'recent',
    at: Date.now(),
  })
  await setup.close()

  const run = await runCli(['retention', 'run', '--data', dir.path, '--batch-size', '2'])
  expect(run.code).toBe(0)
  expect(run.stdout).toContain('Retention applied: 1 tenant(s)')
  expect(run.stdout).toContain('5 audit entries deleted')
  expect(run.stderr).toContain('contoso: 5 audit entries deleted')

  const store = createSqliteStore({ filename })
  try {
    expect((await store.listAudit(tenant.id, 10)).map((entry) => entry.action)).not.toContain('old')
    expect((await store.listAudit(tenant.id, 10)).map((entry) => entry.action)).toContain('recent')
  } finally {
    await store.close()
  }
})
