/**
 * `npm run bench -- --scale`: the store at 10,000 and 1,000,000 events (issue 18). For each size and store, a
 * generated lead file (scale-events.ts: about 0.4 leads per event, 20 offers, every event routed to a webhook
 * destination, so each queues a delivery that no worker sends) is imported with `leadrelay leads import` while
 * `serve --no-worker` runs; the import's events/s and peak resident memory are noted, then each read the portal and
 * API clients make is timed through HTTP, one request at a time, warm-ups first. Targets: every read under 50 ms at
 * the large size and within 2× of its time at the small one; the import at ≥ 30,000 events/s on SQLite.
 */

import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { type Child, removeOnExit, startChild, stopChild, waitForOutput } from './children.ts'
import { emailOf, offerIdOf, writeScaleEvents } from './scale-events.ts'

export interface ScaleOptions {
  readonly root: string
  readonly sizes: readonly number[]
  readonly stores: readonly ('sqlite' | 'postgres')[]
  /** A fresh PostgreSQL schema as a URL (bench.ts). */
  readonly freshDatabaseUrl: () => Promise<string>
  /** Timed requests per read (after three warm-ups). */
  readonly repeats?: number
  readonly say: (line: string) => void
}

export interface ReadTiming {
  readonly read: string
  readonly median: number
  readonly p95: number
}

export interface ScaleRun {
  readonly store: 'sqlite' | 'postgres'
  readonly events: number
  readonly leads: number
  readonly importSeconds: number
  readonly eventsPerSecond: number
  readonly peakRssMiB: number
  readonly reads: readonly ReadTiming[]
  readonly load: readonly [number, number]
}

export interface ScaleResult {
  readonly runs: readonly ScaleRun[]
  readonly date: Date
}

const importTarget = 30_000
const readTargetMs = 50
const year = { since: '2025-01-01T00:00:00.000Z', until: '2026-01-01T00:00:00.000Z' }

/** The reads, each as the path it requests; `lead` is a lead id from the store. */
function readsOf(events: number, lead: string): readonly (readonly [string, string])[] {
  const leads = Math.round(events * 0.4)
  const customer = Math.floor(leads / 2) + 1
  const period = `since=${year.since}&until=${year.until}`
  return [
    ['leads list, first page (last activity)', '/v1/leads?limit=50'],
    ['leads list by offer and stage', `/v1/leads?offer=${offerIdOf(3)}&stage=active&limit=50`],
    ['leads list by source, do not contact', '/v1/leads?source=AppSource&doNotContact=true&limit=50'],
    ['leads list, test leads', '/v1/leads?test=true&limit=50'],
    ['leads list, last activity in a month', '/v1/leads?since=2025-06-01T00:00:00Z&until=2025-07-01T00:00:00Z'],
    ['search by email (exact)', `/v1/leads?email=${encodeURIComponent(emailOf(customer, leads).toUpperCase())}`],
    ['search by email domain', `/v1/leads?emailDomain=${emailOf(customer, leads).split('@')[1]}`],
    ['search by name (q)', `/v1/leads?q=${encodeURIComponent('müller')}&limit=50`],
    ['lead page', `/v1/leads/${lead}`],
    ['lead page: its deliveries', `/v1/deliveries?lead=${lead}`],
    ['funnel, one offer, a year', `/v1/funnel?offer=${offerIdOf(1)}&${period}`],
    ['funnel, all offers, a year', `/v1/funnel?${period}`],
    ['deliveries list, first page', '/v1/deliveries?limit=50'],
    ['deliveries list, queued', '/v1/deliveries?state=queued&limit=50'],
  ]
}

async function call(base: string, headers: Record<string, string>, path: string, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...init.headers } })
  const text = await response.text()
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text.slice(0, 300)}`)
  return text === '' ? undefined : (JSON.parse(text) as unknown)
}

function percentileOf(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN
}

async function timeRead(base: string, headers: Record<string, string>, path: string, repeats: number) {
  for (let n = 0; n < 3; n++) await call(base, headers, path)
  const times: number[] = []
  for (let n = 0; n < repeats; n++) {
    const started = performance.now()
    await call(base, headers, path)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { median: percentileOf(times, 0.5), p95: percentileOf(times, 0.95) }
}

/** Peak resident memory of a running process (VmHWM), in MiB; 0 once it is gone. */
function peakRssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

async function runOne(
  options: ScaleOptions,
  store: 'sqlite' | 'postgres',
  events: number,
  file: string,
): Promise<ScaleRun> {
  const { root, say } = options
  const data = mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-scale-'))
  const temporary = removeOnExit(data)
  const env = {
    ...process.env,
    LEADRELAY_LOG_LEVEL: 'warn',
    LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    LEADRELAY_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
    ...(store === 'postgres' && { DATABASE_URL: await options.freshDatabaseUrl() }),
  }
  const bin = join(root, 'bin/leadrelay.js')
  const loadAtStart = os.loadavg()[0]!
  const serve = startChild(
    'leadrelay',
    [bin, 'serve', '--data', data, '--port', '0', '--print-credentials', '--no-worker'],
    env,
    root,
  )
  let importer: Child | undefined
  try {
    const base = (await waitForOutput(serve, /listening on (http:\/\/\S+)/, 60_000))[1]!
    const apiKey = (await waitForOutput(serve, /API key:\s+(\S+)/))[1]!
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
    const destination = (await call(base, headers, '/v1/destinations', {
      method: 'POST',
      body: JSON.stringify({ kind: 'webhook', name: 'scale sink', config: { url: 'http://127.0.0.1:9/leads' } }),
    })) as { id: string }
    await call(base, headers, '/v1/routes/default', {
      method: 'PUT',
      body: JSON.stringify({ destinations: [destination.id] }),
    })

    say(`scale: ${store}, ${events.toLocaleString('en-US')} events: importing ...`)
    const started = performance.now()
    importer = startChild('leads import', [bin, 'leads', 'import', file, '--data', data, '--json'], env, root)
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssOf(importer?.process.pid))
    }, 200)
    const code = await importer.exited
    clearInterval(sampler)
    const importSeconds = (performance.now() - started) / 1000
    if (code !== 'exit code 0') throw new Error(`leads import exited with ${code}: ${importer.stderr().slice(-2000)}`)
    const summary = JSON.parse(importer.stdout().trim().split('\n').at(-1)!) as { new: number; read: number }
    const eventsPerSecond = summary.read / importSeconds
    say(
      `scale: ${store}: ${summary.read} events, ${summary.new} leads in ${importSeconds.toFixed(1)} s (${Math.round(eventsPerSecond)} events/s), peak RSS ${peak.toFixed(0)} MiB`,
    )

    const first = (await call(base, headers, '/v1/leads?limit=1')) as { items: { id: string }[] }
    const lead = first.items[0]?.id ?? 'lead_none'
    const reads: ReadTiming[] = []
    for (const [read, path] of readsOf(events, lead)) {
      const timing = await timeRead(base, headers, path, options.repeats ?? 15)
      reads.push({ read, ...timing })
      say(`scale: ${store}: ${read}: median ${timing.median.toFixed(1)} ms, p95 ${timing.p95.toFixed(1)} ms`)
    }
    return {
      store,
      events: summary.read,
      leads: summary.new,
      importSeconds,
      eventsPerSecond,
      peakRssMiB: peak,
      reads,
      load: [loadAtStart, os.loadavg()[0]!],
    }
  } finally {
    if (importer) await stopChild(importer, 'SIGKILL')
    await stopChild(serve, 'SIGKILL')
    temporary.removeNow()
  }
}

export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const date = new Date()
  const files = mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-scale-files-'))
  const temporary = removeOnExit(files)
  const runs: ScaleRun[] = []
  try {
    for (const events of options.sizes) {
      const file = join(files, `events-${events}.csv`)
      if (!existsSync(file)) {
        options.say(`scale: generating ${events.toLocaleString('en-US')} events ...`)
        await writeScaleEvents(file, { events, leads: Math.round(events * 0.4), offers: 20 })
      }
      for (const store of options.stores) runs.push(await runOne(options, store, events, file))
    }
  } finally {
    temporary.removeNow()
  }
  return { runs, date }
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0))

/** PASS/MISS per read at the largest size: under 50 ms and within 2× of the smallest size. */
function readVerdicts(result: ScaleResult, store: 'sqlite' | 'postgres') {
  const runs = result.runs.filter((run) => run.store === store).sort((a, b) => a.events - b.events)
  const small = runs[0]
  const large = runs.at(-1)
  if (!small || !large) return []
  return large.reads.map((read) => {
    const before = small.reads.find((entry) => entry.read === read.read)
    const ratio = before ? read.median / before.median : Number.NaN
    // With one size only (a run cut short), there is nothing to compare: no verdict.
    const pass = small === large ? undefined : read.median < readTargetMs && ratio <= 2
    return { read: read.read, small: before?.median, large: read.median, p95: read.p95, ratio, pass }
  })
}

export function scaleMarkdown(result: ScaleResult): string {
  const lines: string[] = [
    '# Benchmarks: the store at scale (`npm run bench -- --scale`)',
    '',
    `_Written by \`npm run bench -- --scale\` (scripts/bench/scale-phase.ts) on ${result.date.toISOString()}. A run replaces this section (between its \`bench:scale\` markers)._`,
    '',
    'Generated lead files (scripts/bench/scale-events.ts: about 0.4 leads per event, 20 offers, customers returning',
    'over a year, do-not-contact requests, test leads, phone-only customers, 80 customers per e-mail domain) imported',
    'with `leadrelay leads import` into a fresh store while `serve --no-worker` runs, every event routed to a webhook',
    'destination (so each queues a delivery nobody sends). Then each read is requested through HTTP, one at a time: three',
    "warm-ups, then 15 timed; the median and p95 are shown. Peak RSS is the import process's VmHWM.",
    '',
    '## Import',
    '',
    '| store | events | leads | seconds | events/s | peak RSS | load average (start → end) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ]
  for (const run of result.runs) {
    lines.push(
      `| ${run.store} | ${run.events.toLocaleString('en-US')} | ${run.leads.toLocaleString('en-US')} | ${run.importSeconds.toFixed(1)} | ${Math.round(run.eventsPerSecond).toLocaleString('en-US')} | ${run.peakRssMiB.toFixed(0)} MiB | ${run.load[0].toFixed(2)} → ${run.load[1].toFixed(2)} |`,
    )
  }
  for (const store of ['sqlite', 'postgres'] as const) {
    const verdicts = readVerdicts(result, store)
    if (verdicts.length === 0) continue
    const sizes = result.runs.filter((run) => run.store === store).map((run) => run.events)
    lines.push(
      '',
      `## Reads: ${store}`,
      '',
      `| read | median at ${Math.min(...sizes).toLocaleString('en-US')} events | median at ${Math.max(...sizes).toLocaleString('en-US')} | p95 | ratio | < 50 ms and ≤ 2× |`,
      '| --- | ---: | ---: | ---: | ---: | --- |',
    )
    for (const verdict of verdicts) {
      lines.push(
        `| ${verdict.read} | ${verdict.small === undefined ? '' : `${ms(verdict.small)} ms`} | ${ms(verdict.large)} ms | ${ms(verdict.p95)} ms | ${verdict.ratio.toFixed(2)}× | ${verdict.pass === undefined ? 'one size only' : verdict.pass ? 'PASS' : 'MISS'} |`,
      )
    }
  }
  lines.push('', '## Targets', '', '| Target | Measured | Result |', '| --- | ---: | --- |')
  const sqliteLarge = result.runs.filter((run) => run.store === 'sqlite').sort((a, b) => b.events - a.events)[0]
  if (sqliteLarge) {
    lines.push(
      `| \`leads import\` of ${sqliteLarge.events.toLocaleString('en-US')} events on SQLite ≥ 30,000 events/s | ${Math.round(sqliteLarge.eventsPerSecond).toLocaleString('en-US')} events/s | ${sqliteLarge.eventsPerSecond >= importTarget ? 'PASS' : 'MISS'} |`,
    )
  }
  for (const store of ['sqlite', 'postgres'] as const) {
    const verdicts = readVerdicts(result, store)
    if (verdicts.length === 0) continue
    if (verdicts.some((verdict) => verdict.pass === undefined)) {
      lines.push(`| ${store}: every read < 50 ms and within 2× of the small store | measured at one size only | — |`)
      continue
    }
    const passed = verdicts.filter((verdict) => verdict.pass).length
    lines.push(
      `| ${store}: every read < 50 ms and within 2× of the small store | ${passed} of ${verdicts.length} | ${passed === verdicts.length ? 'PASS' : 'MISS'} |`,
    )
  }
  return lines.join('\n')
}

export function scaleSummary(result: ScaleResult): string {
  return `\n${scaleMarkdown(result)}\n`
}
