import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { SMTPServer } from 'smtp-server'
import { afterEach, expect, test } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { sqliteMigrations } from '../../src/store/sqlite/migrations/index.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function doctor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; lines: string[] }> {
  const stdout = new PassThrough()
  let text = ''
  stdout.on('data', (chunk) => {
    text += String(chunk)
  })
  const code = await main(['doctor', ...args], {
    stdout,
    stderr: new PassThrough(),
    env: { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true', ...env },
    stopSignal: new Promise(() => {}),
  })
  return { code, lines: text.trim().split('\n') }
}

const line = (lines: string[], check: string) => lines.find((text) => text.slice(6).startsWith(check))

async function serverWithSealedDestination(): Promise<TestServer> {
  const t = await startTestServer()
  cleanups.push(() => t.close())
  const created = await t.server.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: bearer(t.tenant),
    // The signing secret is generated and sealed with the data directory's key file.
    payload: { kind: 'webhook', name: 'crm hook', config: { url: 'https://crm.example.com/hook' } },
  })
  expect(created.statusCode).toBe(201)
  return t
}

test('a data directory without a store fails, and the check creates nothing', async () => {
  const dir = createTempDir()
  cleanups.push(() => dir.remove())
  const { code, lines } = await doctor(['--data', dir.path])
  expect(code).toBe(1)
  expect(line(lines, 'store')).toMatch(/^fail .*no store at/)
  expect(existsSync(join(dir.path, 'leadrelay.db'))).toBe(false)
})

test('a working installation passes: store migrated, key opens the secrets, HTTPS URL, destinations active', async () => {
  const t = await serverWithSealedDestination()
  const { code, lines } = await doctor(['--data', t.dataDir, '--public-url', 'https://leads.example.com'])
  expect(lines.filter((text) => text.startsWith('fail'))).toEqual([])
  expect(code).toBe(0)
  expect(line(lines, 'store')).toMatch(/^ok /)
  expect(line(lines, 'migrations')).toMatch(/^ok .*all applied/)
  expect(line(lines, 'secret key')).toMatch(/^ok .*opens the secrets of all 1 destinations/)
  expect(line(lines, 'public URL')).toMatch(/^ok .*https:\/\/leads\.example\.com/)
  expect(line(lines, 'destination "crm hook"')).toMatch(/^ok .*webhook, active/)
  expect(line(lines, 'clock')).toMatch(/^ok /)
})

test('a different secret key, an http public URL and a paused destination are problems: exit 1', async () => {
  const t = await serverWithSealedDestination()
  const [destination] = await t.store.listAllDestinations()
  await t.store.setDestinationHealth(
    destination!.id,
    { state: 'paused', reason: 'HTTP 401 from the CRM', failingSince: Date.UTC(2026, 10, 25) },
    Date.UTC(2026, 10, 25),
  )
  const { code, lines } = await doctor(['--data', t.dataDir], {
    LEADRELAY_SECRET_KEY: randomBytes(32).toString('base64'),
    LEADRELAY_PUBLIC_URL: 'http://leads.example.com',
  })
  expect(code).toBe(1)
  expect(line(lines, 'secret key')).toMatch(/^fail .*does not open the secrets of "crm hook"/)
  expect(line(lines, 'public URL')).toMatch(/^fail .*not HTTPS/)
  expect(line(lines, 'destination "crm hook"')).toMatch(/^fail .*paused.*HTTP 401 from the CRM/)
  expect(lines.at(-1)).toBe('3 problems found.')
})

test('SMTP: a server that answers passes, one that does not fails', async () => {
  const t = await serverWithSealedDestination()
  const smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())))
  const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`
  const https = ['--data', t.dataDir, '--public-url', 'https://leads.example.com']
  const reachable = await doctor(https, { LEADRELAY_SMTP_URL: smtpUrl })
  expect(line(reachable.lines, 'SMTP')).toMatch(/^ok .*answers/)
  const unreachable = await doctor(https, { LEADRELAY_SMTP_URL: 'smtp://127.0.0.1:1' })
  expect(line(unreachable.lines, 'SMTP')).toMatch(/^fail /)
  expect(unreachable.code).toBe(1)
})

test('pending migrations are listed without applying them', async () => {
  const dir = createTempDir()
  cleanups.push(() => dir.remove())
  const store = createSqliteStore({ filename: join(dir.path, 'leadrelay.db') })
  cleanups.push(() => store.close())
  expect(await store.pendingMigrations()).toHaveLength(sqliteMigrations.length)
  await store.migrate()
  expect(await store.pendingMigrations()).toEqual([])
})
