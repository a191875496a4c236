import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, test } from 'vitest'
import type { CommandIo } from '../../src/cli/command.ts'
import { announceDefaultTenant } from '../../src/cli/commands/serve.ts'
import type { CreatedTenant } from '../../src/services/tenants.ts'
import { printedApiKey, type RunningServe, runCli, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const running: RunningServe[] = []
const dirs: { remove(): void }[] = []
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child)
  for (const dir of dirs.splice(0)) dir.remove()
})

async function serveOnce(args: readonly string[]): Promise<RunningServe> {
  const dir = createTempDir()
  dirs.push(dir)
  // info: the JSON request logs are on stdout too, so the test sees what a log collector would keep.
  const serve = await startServe(['--data', dir.path, ...args], { LEADRELAY_LOG_LEVEL: 'info' })
  running.push(serve)
  return serve
}

describe('serve on first start, outside a terminal (pipes)', () => {
  test('prints no key or ingest URL on stdout or stderr, and says on stderr how to get them', async () => {
    const serve = await serveOnce([])
    // A request, so stdout holds JSON log lines as well.
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200)
    const everything = `${serve.output()}\n${serve.errorOutput()}`
    expect(everything).not.toMatch(/lr_key_/)
    expect(everything).not.toMatch(/\/ingest\/microsoft\/[A-Za-z0-9_-]{8,}/)
    expect(serve.errorOutput()).toContain('Created tenant "default"')
    expect(serve.errorOutput()).toContain('--print-credentials')
    expect(serve.errorOutput()).toContain('leadrelay keys create')
    expect(serve.output()).not.toContain('Created tenant')
  })

  test('with --print-credentials, prints them on stderr only, and the key works', async () => {
    const serve = await serveOnce(['--print-credentials'])
    const apiKey = printedApiKey(serve)
    expect(apiKey).toMatch(/^lr_key_/)
    expect(serve.errorOutput()).toMatch(/Ingest URL:\s+http:\/\/\S+\/ingest\/microsoft\/\S+/)
    const tenant = await fetch(`${serve.url}/v1/tenant`, { headers: { authorization: `Bearer ${apiKey}` } })
    expect(tenant.status).toBe(200)
    expect(((await tenant.json()) as { name: string }).name).toBe('default')
    expect(serve.output()).not.toContain(apiKey!)
    expect(serve.output()).not.toMatch(/lr_key_|Ingest URL/)
  })
})

test('serve --help explains --print-credentials', async () => {
  const help = await runCli(['serve', '--help'])
  expect(help.code).toBe(0)
  expect(help.stdout).toContain('--print-credentials')
  expect(help.stdout).toMatch(/stderr/)
})

describe('announceDefaultTenant', () => {
  const created = {
    apiKey: 'lr_key_test_0123456789',
    ingestToken: 'tok_0123456789abcdef',
    ingestUrl: 'https://leads.example.com/ingest/microsoft/tok_0123456789abcdef',
  } as CreatedTenant

  function fakeIo(stdoutIsTty: boolean, stderrIsTty: boolean) {
    let out = ''
    let err = ''
    const stdout = Object.assign(new PassThrough(), { isTTY: stdoutIsTty })
    const stderr = Object.assign(new PassThrough(), { isTTY: stderrIsTty })
    stdout.on('data', (chunk) => {
      out += String(chunk)
    })
    stderr.on('data', (chunk) => {
      err += String(chunk)
    })
    const io: CommandIo = { stdout, stderr, env: {}, stopSignal: new Promise(() => {}) }
    return { io, out: () => out, err: () => err }
  }

  test.each([
    [true, true, false, true],
    [false, true, false, false],
    [true, false, false, false],
    [false, false, false, false],
    [false, false, true, true],
  ])('stdout TTY %s, stderr TTY %s, --print-credentials %s: printed %s', (outTty, errTty, asked, printed) => {
    const fake = fakeIo(outTty, errTty)
    announceDefaultTenant(created, fake.io, asked)
    expect(fake.out()).toBe('')
    expect(fake.err().includes(created.apiKey)).toBe(printed)
    expect(fake.err().includes(created.ingestToken)).toBe(printed)
    expect(fake.err()).toContain('Created tenant "default"')
  })
})
