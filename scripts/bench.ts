/**
 * `npm run bench`: the headline first, intake and delivery together with default settings beside a peer (a Node-RED
 * flow, installed on demand into ~/.cache/leadrelay-bench) in the same run (scripts/bench/together.ts); then durable
 * ingest throughput and latency at 50 connections against a bare Fastify baseline, and the tuned end-to-end figures.
 * Prints them, PASS/MISS per target, and writes docs/benchmarks.md.
 *
 *   npm run bench -- [--duration 10] [--warmup 2] [--connections 50] [--store sqlite|postgres] [--cpu-prof <dir>]
 *                    [--peers | --no-peers] [--only together|ingest|end-to-end|runtime] [--no-write] [--retention]
 *
 * --peers (the default when Node-RED can be installed here) measures the peer; --no-peers leaves it out. --only runs
 * one part. --no-write (implied by --only) leaves docs/benchmarks.md as it is: for runs on a busy machine. The runtime
 * part (scripts/bench/runtime.ts) packs and installs the package and compares its start-up, idle memory and CLI latency
 * with the checkout's; `LEADRELAY_PACKAGE_TARBALL=<file>` reuses a packed tarball.
 *
 * --scale (or --only scale) runs only the scale phase (scripts/bench/scale-phase.ts): 10,000 and 1,000,000 generated
 * events (--scale-events N for the large size) imported with `leads import` on SQLite and PostgreSQL, the import's
 * events/s and peak memory, then the median time of each read at both sizes; it writes its own section of
 * docs/benchmarks.md (unless --no-write).
 *
 * --retention runs only the retention phase (scripts/bench/retention-phase.ts): ingest p99 on SQLite with and without
 * retention working through a backlog at the same time: --retention-runs times (default 3, each on a fresh store)
 * with retention in serve's own worker, judged on the median run, then once with `leadrelay retention run` from
 * another process; it writes its own section of docs/benchmarks.md (unless --no-write).
 *
 * --cpu-prof writes a V8 CPU profile of the Leadrelay server to <dir> (open it in Chrome DevTools or speedscope). The
 * server then stops with SIGTERM, since a profile is only written on a clean exit, instead of being killed.
 *
 * Exits non-zero only when the benchmark itself fails (a server does not start, crashes, ...), never on a missed target.
 */

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { updateBenchmarkPage } from './bench/benchmark-page.ts'
import {
  type Child,
  cpuSecondsOf,
  isRunning,
  removeOnExit,
  startChild,
  stopChild,
  waitForOutput,
} from './bench/children.ts'
import { endToEndMarkdown, endToEndSummary, runEndToEnd } from './bench/end-to-end.ts'
import { type Acknowledged, type LoadTarget, type PhaseResult, runPhase } from './bench/load.ts'
import { ensureNodeRed } from './bench/node-red-peer.ts'
import { consoleSummary, type Durability, markdown, type Report, type TargetRun } from './bench/report.ts'
import { type RetentionRun, retentionMarkdown, retentionSummary, runRetentionPhase } from './bench/retention-phase.ts'
import { type RuntimeResult, runRuntime, runtimeMarkdown, runtimeSummary } from './bench/runtime.ts'
import { runScale, scaleMarkdown, scaleSummary } from './bench/scale-phase.ts'
import { runTogether, type TogetherResult, togetherMarkdown, togetherSummary } from './bench/together.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Options {
  readonly durationSeconds: number
  readonly warmupSeconds: number
  readonly connections: number
  readonly store: 'sqlite' | 'postgres'
  readonly storeNote?: string
  /** Directory for a CPU profile of the Leadrelay server, if wanted. */
  readonly cpuProfileDir?: string
  readonly peers: boolean
  readonly only?: 'together' | 'ingest' | 'end-to-end' | 'runtime'
  readonly write: boolean
  /** Only the retention phase. */
  readonly retention: boolean
  /** Retention phases in a row, each on a fresh store. */
  readonly retentionRuns: number
  /** Only the scale phase, with this many events at the large size. */
  readonly scaleEvents?: number
}

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`)
  return value
}

function optionsOf(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      store: { type: 'string' },
      'cpu-prof': { type: 'string' },
      peers: { type: 'boolean' },
      // Node 20's parseArgs has no allowNegative.
      'no-peers': { type: 'boolean' },
      only: { type: 'string' },
      'no-write': { type: 'boolean' },
      retention: { type: 'boolean' },
      'retention-runs': { type: 'string' },
      scale: { type: 'boolean' },
      'scale-events': { type: 'string' },
    },
    strict: true,
  })
  const store = values.store ?? 'sqlite'
  if (store !== 'sqlite' && store !== 'postgres') throw new Error(`--store must be sqlite or postgres, got "${store}"`)
  const scale = values.scale === true || values.only === 'scale'
  const only = scale ? undefined : values.only
  if (only !== undefined && only !== 'together' && only !== 'ingest' && only !== 'end-to-end' && only !== 'runtime')
    throw new Error(`--only must be together, ingest, end-to-end, runtime or scale, got "${only}"`)
  return {
    peers: values['no-peers'] !== true,
    ...(only !== undefined && { only }),
    write: values['no-write'] !== true && only === undefined,
    ...(scale && {
      scaleEvents: Math.round(positiveNumber('scale-events', values['scale-events'], 1_000_000)),
    }),
    retention: values.retention === true,
    retentionRuns: Math.round(positiveNumber('retention-runs', values['retention-runs'], 3)),
    durationSeconds: positiveNumber('duration', values.duration, 10),
    warmupSeconds: positiveNumber('warmup', values.warmup, 2),
    connections: Math.round(positiveNumber('connections', values.connections, 50)),
    store,
    ...(values['cpu-prof'] !== undefined && { cpuProfileDir: resolve(values['cpu-prof']) }),
  }
}

function unanswered(phase: PhaseResult): number {
  const { result } = phase
  return Math.max(0, result.requests.sent - result['2xx'] - result.non2xx)
}

/** Warm-up, then the measured phase, sampling the server's CPU time around the latter. */
async function measure(
  label: string,
  child: Child,
  target: LoadTarget,
  options: Options,
  acknowledged: Acknowledged,
): Promise<{ run: TargetRun; cutOff: number }> {
  const sequence = { next: 0 }
  process.stdout.write(`${label}: warm-up ${options.warmupSeconds} s ... `)
  const warmup = await runPhase(
    target,
    { connections: options.connections, seconds: options.warmupSeconds },
    sequence,
    acknowledged,
  )
  process.stdout.write(`measuring ${options.durationSeconds} s ... `)
  const cpuBefore = cpuSecondsOf(child.process.pid)
  const phase = await runPhase(
    target,
    { connections: options.connections, seconds: options.durationSeconds },
    sequence,
    acknowledged,
  )
  const cpuAfter = cpuSecondsOf(child.process.pid)
  // A server that died during the run is a failed benchmark, not a slow one.
  if (!isRunning(child)) throw new Error(`${label}: the server exited during the run (${await child.exited})`)
  process.stdout.write(`${Math.round(phase.result.requests.average)} req/s\n`)
  const serverCpuSeconds = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined
  return { run: { label, phase, serverCpuSeconds }, cutOff: unanswered(warmup) + unanswered(phase) }
}

async function runBaseline(options: Options): Promise<TargetRun> {
  const child = startChild(
    'baseline',
    ['--import', 'tsx', join(root, 'scripts/bench/bare-server.ts')],
    process.env,
    root,
  )
  try {
    const [, url] = await waitForOutput(child, /listening on (\S+)/)
    const { run } = await measure('baseline (bare Fastify)', child, { url: url!, headers: {} }, options, [])
    return run
  } finally {
    await stopChild(child, 'SIGTERM')
  }
}

function checkDurability(
  file: string,
  acknowledged: Acknowledged,
  cutOff: number,
  stoppedWith: Durability['stoppedWith'],
): Durability {
  const database = new SQLite(file, { readonly: true, fileMustExist: true })
  try {
    const rows = (database.prepare('select count(*) as n from lead_events').get() as { n: number }).n
    const leads = (database.prepare('select count(*) as n from leads').get() as { n: number }).n
    const stored = new Set(database.prepare('select id from lead_events').pluck().all() as string[])
    const ids = new Set(acknowledged.map((body) => (JSON.parse(body) as { eventId: string }).eventId))
    let missing = 0
    for (const id of ids) if (!stored.has(id)) missing++
    const late = rows - ids.size
    return {
      rows,
      leads,
      acknowledged: acknowledged.length,
      missing,
      cutOff,
      stoppedWith,
      pass: ids.size === acknowledged.length && missing === 0 && late >= 0 && late <= cutOff,
    }
  } finally {
    database.close()
  }
}

/** A fresh schema on the local PostgreSQL (or LEADRELAY_BENCH_DATABASE_URL), as a URL whose search_path is it. */
async function freshPostgresSchema(): Promise<string> {
  const base = process.env.LEADRELAY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const schema = `lr_bench_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  await client.query(`create schema "${schema}"`)
  await client.end()
  const url = new URL(base)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

async function checkPostgresDurability(
  url: string,
  acknowledged: Acknowledged,
  cutOff: number,
  stoppedWith: Durability['stoppedWith'],
): Promise<Durability> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const rows = Number((await client.query('select count(*) as n from lead_events')).rows[0].n)
    const leads = Number((await client.query('select count(*) as n from leads')).rows[0].n)
    const stored = new Set((await client.query('select id from lead_events')).rows.map((row: { id: string }) => row.id))
    const ids = new Set(acknowledged.map((body) => (JSON.parse(body) as { eventId: string }).eventId))
    let missing = 0
    for (const id of ids) if (!stored.has(id)) missing++
    const late = rows - ids.size
    const pass = ids.size === acknowledged.length && missing === 0 && late >= 0 && late <= cutOff
    return { rows, leads, acknowledged: acknowledged.length, missing, cutOff, stoppedWith, pass }
  } finally {
    await client.end()
  }
}

async function runLeadrelay(options: Options): Promise<{ run: TargetRun; durability: Durability }> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-'))
  const temporary = removeOnExit(dataDir)
  const databaseUrl = options.store === 'postgres' ? await freshPostgresSchema() : undefined
  try {
    const child = startChild(
      'leadrelay',
      [
        ...(options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir]),
        join(root, 'bin/leadrelay.js'),
        'serve',
        '--data',
        dataDir,
        '--port',
        '0',
        '--print-credentials',
      ],
      {
        ...process.env,
        LEADRELAY_LOG_LEVEL: 'warn',
        ...(databaseUrl !== undefined && {
          DATABASE_URL: databaseUrl,
          LEADRELAY_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
        }),
      },
      root,
    )
    const acknowledged: Acknowledged = []
    const stoppedWith = options.cpuProfileDir === undefined ? 'SIGKILL' : 'SIGTERM'
    let measured: { run: TargetRun; cutOff: number }
    try {
      const [, url] = await waitForOutput(child, /Leadrelay listening on (\S+)/)
      const [, apiKey] = await waitForOutput(child, /API key:\s+(\S+)/, 5000).catch(() => [])
      if (!apiKey) throw new Error(`leadrelay did not print an API key; the store in ${dataDir} was not empty?`)
      measured = await measure(
        'leadrelay (durable ingest; tuned, no destination)',
        child,
        { url: url!, headers: { authorization: `Bearer ${apiKey}` } },
        options,
        acknowledged,
      )
    } finally {
      // A crash, not a clean shutdown: what was acknowledged must already be on disk. Profiling needs a clean exit.
      await stopChild(child, stoppedWith)
      if (options.cpuProfileDir !== undefined)
        process.stdout.write(`CPU profile of leadrelay in ${options.cpuProfileDir}\n`)
    }
    const durability =
      databaseUrl === undefined
        ? checkDurability(join(dataDir, 'leadrelay.db'), acknowledged, measured.cutOff, stoppedWith)
        : await checkPostgresDurability(databaseUrl, acknowledged, measured.cutOff, stoppedWith)
    return { run: measured.run, durability }
  } finally {
    temporary.removeNow()
  }
}

/** The tuned end-to-end figures (`maxConcurrency: 64`, log level warn). */
async function endToEndOptions(options: Options) {
  return {
    root,
    store: options.store,
    ...(options.store === 'postgres' && { databaseUrl: await freshPostgresSchema() }),
    leads: 20_000,
    warmupLeads: 3_000,
    rateSeconds: 10,
  }
}

async function main(): Promise<void> {
  const options = optionsOf(process.argv.slice(2))
  const cpus = os.cpus()
  const machine = {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: os.totalmem() / 2 ** 30,
  }
  const loadAtStart = os.loadavg()[0]!
  process.stdout.write(
    `Leadrelay ingest benchmark: store ${options.store}${options.storeNote ? ` (${options.storeNote})` : ''}, ` +
      `${options.connections} connections, warm-up ${options.warmupSeconds} s, measured ${options.durationSeconds} s\n` +
      `node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.os}, ` +
      `load average ${loadAtStart.toFixed(2)}\n\n`,
  )
  if (options.scaleEvents !== undefined) {
    const result = await runScale({
      root,
      sizes: [10_000, options.scaleEvents],
      stores: ['sqlite', 'postgres'],
      freshDatabaseUrl: freshPostgresSchema,
      say: (line) => process.stdout.write(`${line}\n`),
    })
    process.stdout.write(scaleSummary(result))
    if (options.write) {
      const page = join(root, 'docs/benchmarks.md')
      writeFileSync(page, updateBenchmarkPage(readFileSync(page, 'utf8'), 'scale', scaleMarkdown(result)))
      process.stdout.write('docs/benchmarks.md: scale section written\n')
    }
    return
  }
  if (options.retention) {
    const runs: RetentionRun[] = []
    // The runs judged (retention in serve's worker), then one with `leadrelay retention run` from another process.
    const runners = [...Array.from({ length: options.retentionRuns }, () => 'worker' as const), 'cli' as const]
    for (const runner of runners) {
      const loadBefore = os.loadavg()[0]!
      const result = await runRetentionPhase({
        root,
        dataDir: mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-retention-')),
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        durationSeconds: options.durationSeconds,
        attempts: 30_000,
        auditEntries: 20_000,
        idleLeads: 20_000,
        eventsPerIdleLead: 5,
        runner,
        say: (line) => process.stdout.write(`${line}\n`),
      })
      runs.push({ runner, result, load: [loadBefore, os.loadavg()[0]!] })
      process.stdout.write(retentionSummary(result))
    }
    process.stdout.write(
      `load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end\n`,
    )
    if (options.write) {
      const page = join(root, 'docs/benchmarks.md')
      writeFileSync(page, updateBenchmarkPage(readFileSync(page, 'utf8'), 'retention', retentionMarkdown(runs)))
      process.stdout.write('docs/benchmarks.md: retention section written\n')
    }
    return
  }
  const date = new Date()
  let runtime: RuntimeResult | undefined
  // First, on a machine not yet warmed by the load phases: start-up and memory are what an operator sees.
  if (options.only === undefined || options.only === 'runtime') {
    runtime = await runRuntime({ root, say: (line) => process.stdout.write(`${line}\n`) })
    process.stdout.write(runtimeSummary(runtime))
    if (options.only === 'runtime') return
  }
  let together: TogetherResult | undefined
  // The headline runs Leadrelay as `serve` starts by default, with its SQLite store.
  if ((options.only === undefined && options.store === 'sqlite') || options.only === 'together') {
    const peer = options.peers ? await ensureNodeRed(undefined, (line) => process.stdout.write(`${line}\n`)) : undefined
    together = await runTogether({
      root,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      afterSeconds: 5,
      peer,
      tuned: true,
      ...(options.cpuProfileDir !== undefined && { cpuProfileDir: options.cpuProfileDir }),
      say: (line) => process.stdout.write(`${line}\n`),
    })
    process.stdout.write(togetherSummary(together))
    if (options.only === 'together') return
  }
  if (options.only === 'end-to-end') {
    process.stdout.write(endToEndSummary(await runEndToEnd(await endToEndOptions(options), freshPostgresSchema)))
    return
  }
  const baseline = await runBaseline(options)
  const { run: leadrelay, durability } = await runLeadrelay(options)
  const report: Report = {
    date,
    machine: { ...machine, loadAverage: [loadAtStart, os.loadavg()[0]!] },
    store: options.store,
    ...(options.storeNote && { storeNote: options.storeNote }),
    connections: options.connections,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    baseline,
    leadrelay,
    durability,
  }
  process.stdout.write(consoleSummary(report))
  if (options.only === 'ingest') return
  const endToEnd = await runEndToEnd(await endToEndOptions(options), freshPostgresSchema)
  process.stdout.write(endToEndSummary(endToEnd))
  if (!options.write) {
    process.stdout.write('docs/benchmarks.md left as it was (--no-write)\n')
    return
  }
  const page = join(root, 'docs/benchmarks.md')
  const existing = existsSync(page) ? readFileSync(page, 'utf8') : ''
  const section = [
    markdown(report),
    ...(together ? [togetherMarkdown(together, options)] : []),
    ...(runtime ? [runtimeMarkdown(runtime)] : []),
    endToEndMarkdown(endToEnd, options.store),
  ].join('\n')
  writeFileSync(page, updateBenchmarkPage(existing, options.store, section))
  process.stdout.write(`Wrote ${page}\n`)
}

try {
  await main()
} catch (error) {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`)
  process.exitCode = 1
}
