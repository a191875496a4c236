import { existsSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { runCli } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir()
afterAll(() => dir.remove())

describe('leadrelay CLI', () => {
  test('--help lists every command; each command has its own --help', async () => {
    const overview = await runCli(['--help'])
    expect(overview.code).toBe(0)
    for (const command of ['serve', 'migrate', 'tenants create', 'leads list'])
      expect(overview.stdout).toContain(command)
    const serveHelp = await runCli(['serve', '--help'])
    expect(serveHelp.stdout).toContain('--port')
    expect(serveHelp.stdout).toContain('LEADRELAY_DATA_DIR')
  })

  test('migrate creates the embedded store on first use and is idempotent', async () => {
    const data = `${dir.path}/fresh`
    const first = await runCli(['migrate', '--data', data])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('Applied 0001-init')
    expect(existsSync(`${data}/leadrelay.db`)).toBe(true)
    const second = await runCli(['migrate', '--data', data])
    expect(second.stdout).toContain('up to date')
  })

  test('tenants create --json prints one JSON object with the secrets; leads list reads the store', async () => {
    const data = `${dir.path}/tenants`
    const created = await runCli(['tenants', 'create', 'Contoso', 'Ltd', '--json', '--data', data], {
      LEADRELAY_PUBLIC_URL: 'https://leads.contoso.com',
    })
    expect(created.code).toBe(0)
    const summary = JSON.parse(created.stdout)
    expect(summary).toMatchObject({ name: 'Contoso Ltd' })
    expect(summary.apiKey).toMatch(/^lr_key_/)
    expect(summary.ingestUrl).toBe(`https://leads.contoso.com/ingest/microsoft/${summary.ingestToken}`)
    const empty = await runCli(['leads', 'list', '--data', data])
    expect(empty.code).toBe(0)
    expect(empty.stdout).toContain('No leads yet')
    await runCli(['tenants', 'create', 'Fabrikam', '--data', data])
    const ambiguous = await runCli(['leads', 'list', '--data', data])
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stderr).toContain('--tenant')
  })

  test('mistakes get a message and a non-zero exit', async () => {
    const unknown = await runCli(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Unknown command')
    const badFlag = await runCli(['migrate', '--colour', 'red', '--data', `${dir.path}/x`])
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toContain('--colour')
    const badStage = await runCli(['leads', 'list', '--stage', 'hot', '--data', `${dir.path}/x`])
    expect(badStage.code).toBe(1)
    expect(badStage.stderr).toContain('VALIDATION_FAILED')
    const noName = await runCli(['tenants', 'create', '--data', `${dir.path}/x`])
    expect(noName.code).toBe(1)
  })
})
