/** `leadrelay keys …` and `leadrelay ingest-token rotate` against a running `serve` on the same store. */

import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { type RunningServe, runCli, startServe, stopProcess } from '../helpers/cli-process.ts'
import { microsoftExample, seedLead } from '../helpers/leads.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir()
afterAll(() => dir.remove())

let serve: RunningServe | undefined
afterEach(async () => {
  if (serve) await stopProcess(serve.child)
  serve = undefined
})

async function cli(args: string[], data: string) {
  return runCli([...args, '--data', data], { LEADRELAY_PUBLIC_URL: 'https://leads.contoso.com' })
}

async function json(args: string[], data: string) {
  const result = await cli([...args, '--json'], data)
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}

function request(url: string, key: string | undefined, method: string, path: string, body?: unknown) {
  return fetch(`${url}${path}`, {
    method,
    headers: {
      ...(key !== undefined && { authorization: `Bearer ${key}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

/** Polls until `check` holds: a revocation made by another process reaches serve's cache through the epoch. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return Date.now() - started
}

describe('leadrelay keys', () => {
  test('--help explains scopes and the overlap', async () => {
    const overview = await runCli(['--help'])
    for (const command of ['keys list', 'keys create', 'keys rotate', 'keys revoke', 'ingest-token rotate']) {
      expect(overview.stdout).toContain(command)
    }
    const create = await runCli(['keys', 'create', '--help'])
    expect(create.code).toBe(0)
    expect(create.stdout).toContain('--scope')
    expect(create.stdout).toContain('ingest: POST /v1/leads')
    expect((await runCli(['ingest-token', 'rotate', '--help'])).stdout).toContain('default 72')
  }, 120_000)

  test('create, list, rotate and revoke; scopes hold in serve, and a CLI revocation reaches it within a second', async () => {
    const data = `${dir.path}/keys`
    const tenant = await json(['tenants', 'create', 'Contoso'], data)

    const script = await json(['keys', 'create', '--name', 'CRM script', '--scope', 'ingest'], data)
    expect(script).toMatchObject({ name: 'CRM script', scopes: ['ingest'] })
    expect(script.key).toMatch(/^lr_key_/)
    const viewer = await json(['keys', 'create', '--name', 'viewer', '--scope', 'read'], data)

    const listed = await cli(['keys', 'list'], data)
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain('CRM script')
    expect(listed.stdout).toContain(script.key.slice(0, 11))
    expect(listed.stdout).not.toContain(script.key)
    expect(listed.stdout).not.toContain(tenant.apiKey)

    const bad = await cli(['keys', 'create', '--name', 'x', '--scope', 'owner'], data)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('VALIDATION_FAILED')

    serve = await startServe(['--data', data])
    const lead = seedLead('AzureMarketplace-INS|contoso.a', { Email: 'a@example.com' })
    expect((await request(serve.url, script.key, 'POST', '/v1/leads', lead)).status).toBe(202)
    expect((await request(serve.url, script.key, 'GET', '/v1/leads')).status).toBe(403)
    expect((await request(serve.url, viewer.key, 'GET', '/v1/leads')).status).toBe(200)
    expect((await request(serve.url, viewer.key, 'POST', '/v1/leads', lead)).status).toBe(403)

    // serve has the key cached now; the CLI is another process, so only the credential epoch can tell serve.
    const revoked = await cli(['keys', 'revoke', script.id], data)
    expect(revoked.code).toBe(0)
    // Within a second plus the time requests take on a busy machine; the cache alone would keep it 30 s.
    await within(10_000, async () => (await request(serve!.url, script.key, 'POST', '/v1/leads', lead)).status === 401)

    const rotated = await json(['keys', 'rotate', viewer.id], data)
    expect(rotated).toMatchObject({ name: 'viewer', scopes: ['read'], previous: { id: viewer.id } })
    await within(10_000, async () => (await request(serve!.url, viewer.key, 'GET', '/v1/leads')).status === 401)
    expect((await request(serve.url, rotated.key, 'GET', '/v1/leads')).status).toBe(200)

    const keys = await cli(['keys', 'list', '--json'], data)
    const ids = keys.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id)
    expect(ids).toHaveLength(2)
    expect(ids).toContain(rotated.id)
    expect(ids).not.toContain(script.id)
    expect(ids).not.toContain(viewer.id)

    const lastAdmin = ids.find((id: string) => id !== rotated.id)
    const refused = await cli(['keys', 'revoke', lastAdmin], data)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('CONFLICT')
    expect((await request(serve.url, tenant.apiKey, 'GET', '/v1/keys')).status).toBe(200)
    const audit = (await (await request(serve.url, tenant.apiKey, 'GET', '/v1/audit')).json()) as {
      items: { action: string; actor: string }[]
    }
    expect(audit.items.filter((entry) => entry.action.startsWith('key.')).map((entry) => entry.action)).toEqual([
      'key.rotated',
      'key.revoked',
      'key.created',
      'key.created',
    ])
    expect(audit.items.every((entry) => entry.actor.startsWith('cli:'))).toBe(true)
  }, 240_000)

  test('ingest-token rotate prints a new URL; the old one keeps working through the overlap', async () => {
    const data = `${dir.path}/ingest`
    const tenant = await json(['tenants', 'create', 'Contoso'], data)
    serve = await startServe(['--data', data])
    const pathOf = (url: string) => new URL(url).pathname
    expect((await request(serve.url, undefined, 'POST', pathOf(tenant.ingestUrl), microsoftExample)).status).toBe(202)

    const text = await cli(['ingest-token', 'rotate', '--overlap-hours', '48'], data)
    expect(text.code).toBe(0)
    const newUrl = text.stdout.match(/Ingest URL:\s+(\S+)/)?.[1]
    expect(newUrl).toMatch(/^https:\/\/leads\.contoso\.com\/ingest\/microsoft\/lr_in_/)
    expect(text.stdout).toContain('works until')
    expect((await request(serve.url, undefined, 'POST', pathOf(newUrl!), microsoftExample)).status).toBe(202)
    expect((await request(serve.url, undefined, 'POST', pathOf(tenant.ingestUrl), microsoftExample)).status).toBe(202)

    const immediate = await json(['ingest-token', 'rotate', '--overlap-hours', '0'], data)
    expect(immediate.previous).toEqual([])
    await within(10_000, async () => {
      const old = await request(serve!.url, undefined, 'POST', pathOf(tenant.ingestUrl), microsoftExample)
      const newer = await request(serve!.url, undefined, 'POST', pathOf(newUrl!), microsoftExample)
      return old.status === 401 && newer.status === 401
    })
    expect((await request(serve.url, undefined, 'POST', pathOf(immediate.ingestUrl), microsoftExample)).status).toBe(
      202,
    )
    const tooLong = await cli(['ingest-token', 'rotate', '--overlap-hours', '9999'], data)
    expect(tooLong.code).toBe(1)
    expect(tooLong.stderr).toContain('--overlap-hours')
  }, 240_000)
})
