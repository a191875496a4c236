import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, expect, test } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.ts'
import { systemClock } from '../../src/core/ports.ts'
import { createTenant } from '../../src/services/tenants.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir('leadrelay-files-cli-')
afterAll(() => dir.remove())

test('leads import / leads export on a small file: summary, line numbers, a round trip, idempotence', async () => {
  const data = `${dir.path}/data`
  const store = createSqliteStore({ filename: `${data}/leadrelay.db` })
  await store.migrate()
  const deps = { store, clock: systemClock, ids: createIdGenerator(systemClock), publicUrl: 'http://localhost' }
  await createTenant(deps, 'alpha')
  await createTenant(deps, 'beta')
  await store.close()

  const handmade = `${dir.path}/handmade.csv`
  writeFileSync(
    handmade,
    [
      'Event ID,occurredAt,leadSource,email,firstName,description,Campaign',
      'm1,2026-11-01T10:00:00Z,AzureMarketplace-INS|contoso.crm-suite,ann@example.com,Ann,"Hi, ""there""",spring',
      'm2,2026-11-02T10:00:00Z,AzureMarketplace-PLT|contoso.crm-suite,ann@example.com,Ann,"Call me',
      'after 5",',
      'm3,2026-11-02T10:00:00Z,AzureMarketplace-INS|contoso.crm-suite,bob@example.com',
      'm4,2026-11-03T10:00:00Z,SPZA-StartTestDrive|contoso.crm-suite,bob@example.com,Bob,,',
      '',
    ].join('\n'),
  )
  const imported = await runCli(['leads', 'import', handmade, '--tenant', 'alpha', '--data', data, '--json'])
  expect(imported.code).toBe(1)
  expect(imported.stderr).toContain('line 5: malformed row: malformed CSV: 4 fields where the header has 7')
  expect(imported.stderr).toContain(
    'Read 4 rows: 2 new leads, 1 merged into existing leads, 1 skipped (1 malformed row).',
  )
  expect(JSON.parse(imported.stdout)).toMatchObject({ read: 4, new: 2, merged: 1, skipped: 1 })

  const exported = `${dir.path}/alpha.csv`
  const exportRun = await runCli(['leads', 'export', '--output', exported, '--tenant', 'alpha', '--data', data])
  expect(exportRun.code).toBe(0)
  expect(exportRun.stderr).toContain('Exported 2 leads (3 events) as csv')
  expect(existsSync(`${exported}.partial`)).toBe(false)
  const lines = readFileSync(exported, 'utf8').split('\r\n')
  expect(lines[0]).toBe(
    'eventId,leadId,offerId,offerName,occurredAt,leadSource,source,action,stage,offerRef,offerTitle,description,firstName,lastName,email,phone,country,company,title,isTest,extra',
  )
  expect(readFileSync(exported, 'utf8')).toContain('"Call me\nafter 5"')

  const intoBeta = await runCli(['leads', 'import', exported, '--tenant', 'beta', '--data', data, '--json'])
  expect(intoBeta.code).toBe(0)
  expect(JSON.parse(intoBeta.stdout)).toMatchObject({ read: 3, new: 2, merged: 1, skipped: 0 })
  const again = await runCli(['leads', 'import', exported, '--tenant', 'beta', '--data', data, '--json'])
  expect(again.code).toBe(0)
  expect(JSON.parse(again.stdout)).toMatchObject({ read: 3, new: 0, merged: 0, reasons: { 'already imported': 3 } })

  const beta = await runCli(['leads', 'export', '--format', 'jsonl', '--tenant', 'beta', '--data', data])
  expect(beta.code).toBe(0)
  const rows = beta.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  expect(rows).toHaveLength(3)
  const ann = rows.filter((row) => row.email === 'ann@example.com')
  expect(ann.map((row) => [row.action, row.description, row.extra])).toEqual([
    ['INS', 'Hi, "there"', { Campaign: 'spring' }],
    ['PLT', 'Call me\nafter 5', undefined],
  ])
}, 180_000)
