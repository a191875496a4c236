/**
 * Crash soak (`npm run soak [-- --cycles N]`): the real `leadrelay serve` on one data directory, killed with SIGKILL at
 * random moments and started again, while clients post Microsoft-format leads to its ingest URL and a Standard
 * Webhooks sink fails at random (503, 429 with Retry-After: 1, requests left hanging, slow answers). A last run with a
 * healthy sink delivers what is left. Then it checks:
 *
 * - every acknowledged lead is stored, and its newest state reached the sink (a verified request answered 2xx);
 * - no delivery succeeded twice: at most one delivered attempt per delivery (the webhook-id), and no webhook-id answered
 *   2xx twice within one life of `serve` (a re-send is owed only to a kill between the answer and its recording);
 * - no delivery is left in flight or queued;
 * - no "database is locked" / SQLITE_BUSY in any log.
 *
 * Prints its figures and exits 1 on any violation. Bounded: 20 cycles take about two minutes on two cores.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import { Webhook } from 'standardwebhooks'
import { loadConfig } from '../src/config.ts'
import { createIdGenerator } from '../src/core/ids.ts'
import { systemClock } from '../src/core/ports.ts'
import { createTenant } from '../src/services/tenants.ts'
import { createSqliteStore } from '../src/store/sqlite/index.ts'

const binPath = fileURLToPath(new URL('../bin/leadrelay.js', import.meta.url))
const { values: flags } = parseArgs({
  options: { cycles: { type: 'string', default: '20' }, keep: { type: 'boolean', default: false } },
})
const cycles = Number(flags.cycles)
if (!Number.isInteger(cycles) || cycles < 1) throw new Error('--cycles takes a positive integer')

/** Leads per second across all clients, as in the report that found the lock errors. */
const leadsPerSecond = 75
const clients = 3
/** How long each life of `serve` lasts once it is at work (warmedUp), before its SIGKILL, in ms. */
const lifeMs = { min: 500, max: 3000 }
const customers = 60

const started = Date.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const between = (min: number, max: number) => min + Math.random() * (max - min)
const violations: string[] = []

// ---------------------------------------------------------------------------------------------------------------
// The data directory and its tenant, made before the first start so that no credentials need to be read from serve.

const dataDir = mkdtempSync(join(tmpdir(), 'leadrelay-soak-'))
const config = loadConfig({ data: dataDir }, {})
const setupStore = createSqliteStore({ filename: config.sqliteFile })
await setupStore.migrate()
const tenant = await createTenant(
  { store: setupStore, clock: systemClock, ids: createIdGenerator(systemClock), publicUrl: config.publicUrl },
  'soak',
)
await setupStore.close()
const ingestPath = new URL(tenant.ingestUrl).pathname

// ---------------------------------------------------------------------------------------------------------------
// The sink: verifies every request's Standard Webhooks signature and answers as the current mode says.

interface SinkAnswer {
  readonly webhookId: string
  readonly life: number
  readonly status: number
  readonly leadId?: string
  readonly version?: number
}

let life = 0
let chaos = true
let webhook: Webhook | undefined
const answers: SinkAnswer[] = []
let sinkRequests = 0
let sinkRequestsThisLife = 0
let hung = 0

function chaoticAnswer(): { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang' {
  const roll = Math.random()
  if (roll < 0.12) return { status: 503 }
  if (roll < 0.22) return { status: 429, headers: { 'retry-after': '1' } }
  if (roll < 0.26) return 'hang'
  if (roll < 0.36) return { status: 200, delayMs: between(100, 600) }
  return { status: 200 }
}

const sink = createServer((request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', async () => {
    sinkRequests++
    sinkRequestsThisLife++
    const body = Buffer.concat(chunks).toString('utf8')
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
    ) as Record<string, string>
    const webhookId = headers['webhook-id'] ?? ''
    let payload: { type?: string; data?: { id?: string; version?: number } }
    try {
      if (!webhook) throw new Error('no signing secret yet')
      payload = webhook.verify(body, headers) as typeof payload
    } catch (error) {
      violations.push(`sink: request ${webhookId} failed verification: ${(error as Error).message}`)
      response.writeHead(401).end()
      return
    }
    const answer = chaos ? chaoticAnswer() : { status: 200 }
    const requestLife = life
    if (answer === 'hang') {
      hung++
      return
    }
    if (answer.delayMs) await sleep(answer.delayMs)
    if (response.destroyed) return
    response.writeHead(answer.status, answer.headers)
    response.end()
    answers.push({
      webhookId,
      life: requestLife,
      status: answer.status,
      ...(payload.data?.id !== undefined && { leadId: payload.data.id }),
      ...(payload.data?.version !== undefined && { version: payload.data.version }),
    })
  })
})
sink.listen(0, '127.0.0.1')
await once(sink, 'listening')
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`

// ---------------------------------------------------------------------------------------------------------------
// serve: started on the same directory for every life, its output kept for the lock check.

let logs = ''
const lockError = /database is locked|SQLITE_BUSY/i

async function startServe(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [binPath, 'serve', '--port', '0', '--data', dataDir], {
    env: {
      ...process.env,
      LEADRELAY_LOG_LEVEL: 'warn',
      LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
      // Short enough for 20 lives in a few minutes: hung requests end, crashed leases return and retries come due.
      LEADRELAY_ATTEMPT_TIMEOUT: '2s',
      LEADRELAY_LEASE: '4s',
      LEADRELAY_RETRY_SCHEDULE: '200ms,500ms,1s',
      LEADRELAY_RETRY_EVERY: '1s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk)
    logs += String(chunk)
  })
  child.stderr?.on('data', (chunk) => {
    logs += String(chunk)
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${logs.slice(-2000)}`)), 30_000)
    const check = () => {
      const match = stdout.match(/listening on (http:\/\/\S+)/)
      if (match?.[1]) {
        clearTimeout(timer)
        child.stdout?.off('data', check)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${logs.slice(-2000)}`))
    })
  })
  return { child, url }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}

// ---------------------------------------------------------------------------------------------------------------
// Clients: Microsoft's HTTPS-endpoint format, to whichever serve is up.

let serveUrl: string | undefined
let sending = true
let sent = 0
const acknowledged = new Map<string, string>()

function microsoftLead(n: number) {
  const customer = n % customers
  const actions = ['INS', 'PLT', 'CTA', 'DNC']
  return {
    UserDetails: {
      FirstName: `Customer${customer}`,
      LastName: `Update${n}`,
      Email: `customer${customer}@example.com`,
      Phone: '16175555555',
      Country: 'USA',
      Company: 'Contoso',
      Title: `Title ${n}`,
    },
    LeadSource: 'AzureMarketplace',
    ActionCode: actions[n % actions.length],
    OfferTitle: 'Contoso CRM Suite',
    Description: `Soak event ${n}`,
  }
}

async function client(lane: number): Promise<void> {
  const pauseMs = (1000 * clients) / leadsPerSecond
  for (let i = 0; sending; i++) {
    const url = serveUrl
    if (!url) {
      await sleep(50)
      continue
    }
    const n = i * clients + lane
    sent++
    try {
      const response = await fetch(`${url}${ingestPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(microsoftLead(n)),
        signal: AbortSignal.timeout(5000),
      })
      if (response.status === 202) {
        const receipt = (await response.json()) as { eventId: string; leadId: string }
        acknowledged.set(receipt.eventId, receipt.leadId)
      } else {
        await response.arrayBuffer()
        violations.push(`client: lead ${n} answered ${response.status}`)
      }
    } catch {
      // The server died with this request: not acknowledged, nothing is owed.
    }
    await sleep(pauseMs)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The run.

async function api(url: string, method: 'POST' | 'PUT', path: string, body: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

function query<T>(sql: string): T[] {
  const database = new SQLite(config.sqliteFile, { readonly: true, fileMustExist: true })
  try {
    return database.prepare(sql).all() as T[]
  } finally {
    database.close()
  }
}

const openDeliveries = () =>
  query<{ n: number }>(`select count(*) as n from deliveries where state in ('queued', 'in_flight')`)[0]?.n ?? 0

let current = await startServe()
life = 1
const destination = await api(current.url, 'POST', '/v1/destinations', {
  kind: 'webhook',
  name: 'soak sink',
  config: { url: sinkUrl },
})
webhook = new Webhook(destination.signingSecret as string)
await api(current.url, 'PUT', '/v1/routes/default', { destinations: [destination.id] })
serveUrl = current.url
const lanes = Array.from({ length: clients }, (_, lane) => client(lane))

/**
 * Waits until the current life has acknowledged a lead and sent one to the sink: its ingest and delivery threads are
 * up (they take seconds to start on a busy machine), so the kill lands while both are at work.
 */
async function warmedUp(): Promise<void> {
  const before = acknowledged.size
  const deadline = Date.now() + 60_000
  while ((acknowledged.size === before || sinkRequestsThisLife === 0) && Date.now() < deadline) await sleep(20)
}

for (let cycle = 1; cycle <= cycles; cycle++) {
  await warmedUp()
  await sleep(between(lifeMs.min, lifeMs.max))
  serveUrl = undefined
  await stop(current.child, 'SIGKILL')
  process.stdout.write(`cycle ${cycle}/${cycles}: killed; ${acknowledged.size} leads acknowledged\n`)
  current = await startServe()
  life++
  sinkRequestsThisLife = 0
  serveUrl = current.url
}

// The last life: no more leads, a healthy sink, until nothing is left to deliver.
sending = false
await Promise.all(lanes)
chaos = false
const idleDeadline = Date.now() + 90_000
while (openDeliveries() > 0) {
  if (Date.now() > idleDeadline) {
    violations.push(`not idle 90 s after the last kill: ${openDeliveries()} deliveries queued or in flight`)
    break
  }
  await sleep(250)
}
await stop(current.child, 'SIGTERM')
sink.closeAllConnections()
sink.close()

// ---------------------------------------------------------------------------------------------------------------
// Checks.

const storedEvents = new Set(query<{ id: string }>('select id from lead_events').map((row) => row.id))
const lost = [...acknowledged.keys()].filter((eventId) => !storedEvents.has(eventId))
if (lost.length > 0) violations.push(`${lost.length} acknowledged lead events are not stored, e.g. ${lost[0]}`)

const versions = new Map(
  query<{ id: string; version: number }>('select id, version from leads').map((r) => [r.id, r.version]),
)
const newestAtSink = new Map<string, number>()
for (const answer of answers) {
  if (answer.status < 200 || answer.status > 299 || answer.leadId === undefined) continue
  newestAtSink.set(answer.leadId, Math.max(newestAtSink.get(answer.leadId) ?? 0, answer.version ?? 0))
}
const acknowledgedLeads = new Set(acknowledged.values())
const behind = [...acknowledgedLeads].filter((leadId) => (newestAtSink.get(leadId) ?? 0) < (versions.get(leadId) ?? 1))
if (behind.length > 0) {
  violations.push(`${behind.length} acknowledged leads' newest state did not reach the sink, e.g. ${behind[0]}`)
}

const successes = new Map<string, SinkAnswer[]>()
for (const answer of answers) {
  if (answer.status < 200 || answer.status > 299) continue
  successes.set(answer.webhookId, [...(successes.get(answer.webhookId) ?? []), answer])
}
let resends = 0
for (const [webhookId, list] of successes) {
  resends += list.length - 1
  const lives = list.map((answer) => answer.life)
  if (new Set(lives).size < lives.length) {
    violations.push(`webhook-id ${webhookId} was answered 2xx twice within one life of serve (lives ${lives})`)
  }
}
const twice = query<{ delivery_id: string; n: number }>(
  `select delivery_id, count(*) as n from delivery_attempts where outcome = 'delivered' group by delivery_id having n > 1`,
)
for (const row of twice) violations.push(`delivery ${row.delivery_id} has ${row.n} delivered attempts`)

const states = query<{ state: string; n: number }>('select state, count(*) as n from deliveries group by state')
const count = (state: string) => states.find((row) => row.state === state)?.n ?? 0
if (count('in_flight') > 0) violations.push(`${count('in_flight')} deliveries left in flight`)
if (count('queued') > 0) violations.push(`${count('queued')} deliveries left queued`)
if (count('dead') > 0) violations.push(`${count('dead')} deliveries dead`)

if (acknowledged.size === 0 || successes.size === 0) violations.push('nothing was acknowledged or delivered')

const lockLines = logs.split('\n').filter((line) => lockError.test(line))
if (lockLines.length > 0) violations.push(`${lockLines.length} log lines with a lock error, e.g. ${lockLines[0]}`)

const figures = {
  cycles,
  'leads sent': sent,
  'leads acknowledged': acknowledged.size,
  'distinct leads': acknowledgedLeads.size,
  deliveries: states.reduce((sum, row) => sum + row.n, 0),
  'deliveries by state': Object.fromEntries(states.map((row) => [row.state, row.n])),
  'sink requests': sinkRequests,
  'sink answers by status': answers.reduce<Record<string, number>>((by, answer) => {
    by[answer.status] = (by[answer.status] ?? 0) + 1
    return by
  }, {}),
  'sink requests left hanging': hung,
  'sink 2xx answers': [...successes.values()].reduce((sum, list) => sum + list.length, 0),
  're-sends (2xx again after a kill)': resends,
  'lock errors logged': lockLines.length,
  'duration s': Math.round((Date.now() - started) / 100) / 10,
}
process.stdout.write(`\ncrash soak figures:\n${JSON.stringify(figures, null, 2)}\n`)
if (!flags.keep) rmSync(dataDir, { recursive: true, force: true })
else process.stdout.write(`data kept in ${dataDir}\n`)
if (violations.length > 0) {
  process.stdout.write(`\n${violations.length} violations:\n${violations.slice(0, 30).join('\n')}\n`)
  process.exit(1)
}
process.stdout.write('\ncrash soak passed\n')
process.exit(0)
