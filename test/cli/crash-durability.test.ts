import { afterEach, expect, test } from 'vitest'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { printedApiKey, type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const running: RunningServe[] = []
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child, 'SIGKILL')
})

test('every lead acknowledged before a kill -9 is in the store after restart', async () => {
  const dir = createTempDir()
  const first = await startServe(['--data', dir.path, '--print-credentials'])
  running.push(first)
  const apiKey = printedApiKey(first)
  expect(apiKey).toBeDefined()

  const acknowledged = new Set<string>()
  let sent = 0
  let killed = false
  const sendOne = async (n: number) => {
    sent++
    try {
      const request = fetch(`${first.url}/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          LeadSource: `AzureMarketplace-${n % 3 === 0 ? 'PLT' : 'INS'}|contoso.crm-suite`,
          CustomerInfo: { Email: `customer${n}@example.com`, FirstName: `N${n}` },
        }),
      })
      // Killed while this request (and others) are on their way: group commits answer many at once, so a kill timed
      // from outside could fall between two rounds, with nothing in flight.
      if (!killed && acknowledged.size >= 300) {
        first.child.kill('SIGKILL')
        killed = true
      }
      const response = await request
      if (response.status === 202) acknowledged.add(((await response.json()) as { eventId: string }).eventId)
    } catch {
      // The connection died with the server: not acknowledged, so nothing is owed.
    }
  }
  // 20 concurrent senders keep group commits busy while the process is killed.
  const senders = Array.from({ length: 20 }, async (_, lane) => {
    for (let i = 0; !killed; i++) await sendOne(lane * 100_000 + i)
  })
  await Promise.all(senders)
  expect(sent).toBeGreaterThan(acknowledged.size)

  // Restart on the same data: the file must open, recover its WAL and hold every acknowledged event.
  const second = await startServe(['--data', dir.path, '--print-credentials'])
  running.push(second)
  expect(second.errorOutput()).not.toContain('API key')
  const response = await fetch(`${second.url}/healthz`)
  expect(response.status).toBe(200)
  await stopProcess(second.child)

  const store = createSqliteStore({ filename: `${dir.path}/leadrelay.db` })
  const tenants = await store.listTenants()
  expect(tenants).toHaveLength(1)
  const stored = new Set<string>()
  const db = (await import('better-sqlite3')).default(`${dir.path}/leadrelay.db`, { readonly: true })
  for (const row of db.prepare('select id from lead_events').all() as { id: string }[]) stored.add(row.id)
  db.close()
  await store.close()
  const missing = [...acknowledged].filter((id) => !stored.has(id))
  expect(missing).toEqual([])
  dir.remove()
}, 60_000)
