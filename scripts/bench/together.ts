/**
 * The headline run: intake and delivery measured together, as every installation runs them. Leadrelay `serve` with a
 * webhook destination in its default settings (default log level, no `limits`), then a peer doing the same job
 * (a Node-RED flow), then Leadrelay tuned, each against the same sink and the same load in the same run. Reports
 * acknowledged/s and reaching-the-sink/s of the same phase, p99, what is still missing at the sink 5 s after the
 * load, and CPU per acknowledged and per delivered lead on each thread.
 */

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import {
  type Child,
  cpuSecondsOf,
  isRunning,
  removeOnExit,
  startChild,
  stopChild,
  threadCpuSecondsOf,
  waitForOutput,
} from './children.ts'
import { type LoadTarget, type PhaseResult, percentile, runPhase } from './load.ts'
import { type NodeRedInstall, startNodeRed } from './node-red-peer.ts'

export interface TogetherOptions {
  readonly root: string
  readonly connections: number
  readonly warmupSeconds: number
  readonly durationSeconds: number
  /** How long after the load what is missing at the sink is counted (the issue's 5 s). */
  readonly afterSeconds: number
  /** Node-RED to measure beside Leadrelay, or why there is none. */
  readonly peer: NodeRedInstall | { readonly unavailable: string } | undefined
  /** Also the tuned Leadrelay (`LEADRELAY_LOG_LEVEL=warn`, `maxConcurrency: 64`). */
  readonly tuned: boolean
  /** Write V8 CPU profiles of the default Leadrelay's threads here (it then stops with SIGTERM, not SIGKILL). */
  readonly cpuProfileDir?: string
  readonly say: (line: string) => void
}

export interface ThreadCpu {
  /**
   * `http` (the main thread), `ingest`, `delivery`, `tsx loaders` (module hooks, in a checkout only), `other` (GC
   * helpers, libuv's pool, …) or `process`.
   */
  readonly thread: string
  readonly cpuSeconds: number
  /** Event-loop utilisation over the phase, for threads with an event loop. */
  readonly elu?: number
}

export interface SystemRun {
  readonly label: string
  readonly settings: string
  readonly phase: PhaseResult
  readonly acknowledged: number
  readonly acknowledgedPerSecond: number
  /** Distinct lead events that reached the sink during the measured phase, per second. */
  readonly deliveredPerSecond: number
  readonly delivered: number
  readonly p50: number
  readonly p99: number
  /** Acknowledged (warm-up and measured) whose event had not reached the sink `afterSeconds` after the load. */
  readonly missingAfter: number
  /** Seconds after the load until every acknowledged event was at the sink; undefined if not within a minute. */
  readonly drainedAfterSeconds?: number
  readonly cpu: readonly ThreadCpu[]
  /** Leadrelay: the destination's adaptive window when the load ended. */
  readonly windowAtEnd?: number
}

export interface TogetherResult {
  readonly runs: readonly SystemRun[]
  readonly peerUnavailable?: string
  readonly afterSeconds: number
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init)
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface System {
  readonly child: Child
  readonly target: LoadTarget
  /** The key the sink will file the acknowledged event under. */
  readonly keyOf: (requestBody: string, responseBody: string) => string
  /** CPU time per thread so far. */
  readonly sampleCpu: () => Map<string, { cpuSeconds: number; eluActive?: number; eluIdle?: number }>
  readonly windowNow?: () => Promise<number | undefined>
}

function microsoftKey(requestBody: string): string {
  const body = JSON.parse(requestBody) as { LeadSource: string; CustomerInfo: { Email: string } }
  return `${body.CustomerInfo.Email}|${body.LeadSource}`
}

function processCpu(child: Child) {
  return () => new Map([['process', { cpuSeconds: cpuSecondsOf(child.process.pid) ?? Number.NaN }]])
}

async function startLeadrelay(options: TogetherOptions, sinkUrl: string, tuned: boolean): Promise<System> {
  const data = mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-together-'))
  removeOnExit(data)
  const threads = mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-threads-'))
  removeOnExit(threads)
  const { LEADRELAY_LOG_LEVEL: _level, ...inherited } = process.env
  const child = startChild(
    tuned ? 'leadrelay-tuned' : 'leadrelay',
    [
      ...(options.cpuProfileDir !== undefined && !tuned ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
      '--require',
      join(options.root, 'scripts/bench/thread-probe.cjs'),
      join(options.root, 'bin/leadrelay.js'),
      'serve',
      '--data',
      data,
      '--port',
      '0',
      '--print-credentials',
    ],
    {
      ...inherited,
      ...(tuned && { LEADRELAY_LOG_LEVEL: 'warn' }),
      // Not a tuning: the sink is on 127.0.0.1, which the SSRF guard refuses otherwise.
      LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
      LEADRELAY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      LEADRELAY_BENCH_THREADS_DIR: threads,
    },
    options.root,
  )
  const base = (await waitForOutput(child, /Leadrelay listening on (http:\/\/\S+)/, 60_000))[1]!
  const apiKey = (await waitForOutput(child, /API key:\s+(\S+)/))[1]!
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
  const destination = await json<{ id: string }>(`${base}/v1/destinations`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      kind: 'webhook',
      name: 'bench sink',
      config: { url: sinkUrl },
      ...(tuned && { limits: { maxConcurrency: 64 } }),
    }),
  })
  await json(`${base}/v1/routes/default`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ destinations: [destination.id] }),
  })
  const pid = child.process.pid
  return {
    child,
    target: { url: base, headers: { authorization: `Bearer ${apiKey}` } },
    keyOf: (_request, response) => (JSON.parse(response) as { eventId: string }).eventId,
    sampleCpu() {
      const sample = new Map<string, { cpuSeconds: number; eluActive?: number; eluIdle?: number }>()
      sample.set('process', { cpuSeconds: cpuSecondsOf(pid) ?? Number.NaN })
      for (const file of readdirSync(threads)) {
        try {
          const probe = JSON.parse(readFileSync(join(threads, file), 'utf8')) as {
            role: string
            tid: number
            active: number
            idle: number
          }
          const cpuSeconds = threadCpuSecondsOf(pid, probe.tid)
          if (cpuSeconds !== undefined)
            sample.set(probe.role, { cpuSeconds, eluActive: probe.active, eluIdle: probe.idle })
        } catch {
          // Caught mid-write: this thread is left out of this sample.
        }
      }
      return sample
    },
    async windowNow() {
      const shown = await json<{ concurrency?: { window: number } | null }>(
        `${base}/v1/destinations/${destination.id}`,
        { headers },
      )
      return shown.concurrency?.window
    },
  }
}

function cpuBetween(
  before: ReturnType<System['sampleCpu']>,
  after: ReturnType<System['sampleCpu']>,
): readonly ThreadCpu[] {
  const rows: ThreadCpu[] = []
  let named = 0
  let loaders = 0
  for (const [thread, end] of after) {
    const start = before.get(thread)
    if (!start || thread === 'process') continue
    const cpuSeconds = end.cpuSeconds - start.cpuSeconds
    named += cpuSeconds
    if (thread.startsWith('tsx-loader')) {
      loaders += cpuSeconds
      continue
    }
    const active = (end.eluActive ?? 0) - (start.eluActive ?? 0)
    const idle = (end.eluIdle ?? 0) - (start.eluIdle ?? 0)
    rows.push({ thread, cpuSeconds, ...(active + idle > 0 && { elu: active / (active + idle) }) })
  }
  const total = (after.get('process')?.cpuSeconds ?? Number.NaN) - (before.get('process')?.cpuSeconds ?? Number.NaN)
  const order = ['http', 'ingest', 'delivery']
  rows.sort((a, b) => (order.indexOf(a.thread) + 1 || 99) - (order.indexOf(b.thread) + 1 || 99))
  if (rows.length > 0) {
    rows.push({ thread: 'tsx loaders', cpuSeconds: loaders })
    rows.push({ thread: 'other', cpuSeconds: Math.max(0, total - named) })
  }
  rows.push({ thread: 'process', cpuSeconds: total })
  return rows
}

async function measureSystem(
  label: string,
  settings: string,
  system: System,
  sinkUrl: string,
  options: TogetherOptions,
): Promise<SystemRun> {
  await json(`${sinkUrl}/reset`)
  const acknowledgedKeys: string[] = []
  const target: LoadTarget = {
    ...system.target,
    onAcknowledged: (request, response) => acknowledgedKeys.push(system.keyOf(request, response)),
  }
  const sequence = { next: 0 }
  options.say(`${label}: warm-up ${options.warmupSeconds} s …`)
  await runPhase(target, { connections: options.connections, seconds: options.warmupSeconds }, sequence, [])
  // A cold process compiles and optimises its code path by path (a checkout even compiles TypeScript on first use):
  // the warm-up lasts until leads reach the sink, so the measured phase is not start-up, at most a minute longer.
  for (let extra = 0; extra < 60 && (await json<{ keys: number }>(`${sinkUrl}/stats`)).keys === 0; extra += 5) {
    options.say(`${label}: nothing at the sink yet; warming up 5 s more …`)
    await runPhase(target, { connections: options.connections, seconds: 5 }, sequence, [])
  }
  const keysBefore = (await json<{ keys: number }>(`${sinkUrl}/stats`)).keys
  const cpuBefore = system.sampleCpu()
  options.say(`${label}: measuring ${options.durationSeconds} s …`)
  const measuredFrom = acknowledgedKeys.length
  const phase = await runPhase(
    target,
    { connections: options.connections, seconds: options.durationSeconds },
    sequence,
    [],
  )
  const cpuAfter = system.sampleCpu()
  const keysAfter = (await json<{ keys: number }>(`${sinkUrl}/stats`)).keys
  const loadEnded = performance.now()
  if (!isRunning(system.child)) throw new Error(`${label}: exited during the run (${await system.child.exited})`)
  const windowAtEnd = await system.windowNow?.()
  const missingNow = async () => {
    const atSink = new Set(await json<string[]>(`${sinkUrl}/keys`))
    return acknowledgedKeys.filter((key) => !atSink.has(key)).length
  }
  await sleep(Math.max(0, options.afterSeconds * 1000 - (performance.now() - loadEnded)))
  const missingAfter = await missingNow()
  let drainedAfterSeconds: number | undefined = missingAfter === 0 ? options.afterSeconds : undefined
  while (drainedAfterSeconds === undefined && performance.now() - loadEnded < 60_000) {
    await sleep(500)
    const { keys } = await json<{ keys: number }>(`${sinkUrl}/stats`)
    if (keys >= acknowledgedKeys.length && (await missingNow()) === 0)
      drainedAfterSeconds = (performance.now() - loadEnded) / 1000
  }
  const acknowledged = acknowledgedKeys.length - measuredFrom
  if (phase.result.non2xx > 0 || phase.result.errors > 0)
    options.say(
      `${label}: ${phase.result.non2xx} answers not 2xx (${JSON.stringify(phase.result.statusCodeStats)}), ${phase.result.errors} errors`,
    )
  const delivered = keysAfter - keysBefore
  const seconds = phase.seconds
  options.say(
    `${label}: ${Math.round(acknowledged / seconds)} acknowledged/s, ${Math.round(delivered / seconds)} reaching the sink/s, ` +
      `p99 ${percentile(phase.latencies, 0.99).toFixed(1)} ms, ${missingAfter} missing ${options.afterSeconds} s after`,
  )
  return {
    label,
    settings,
    phase,
    acknowledged,
    acknowledgedPerSecond: acknowledged / seconds,
    delivered,
    deliveredPerSecond: delivered / seconds,
    p50: percentile(phase.latencies, 0.5),
    p99: percentile(phase.latencies, 0.99),
    missingAfter,
    ...(drainedAfterSeconds !== undefined && { drainedAfterSeconds }),
    cpu: cpuBetween(cpuBefore, cpuAfter),
    ...(windowAtEnd !== undefined && { windowAtEnd }),
  }
}

export async function runTogether(options: TogetherOptions): Promise<TogetherResult> {
  const sink = startChild(
    'sink',
    ['--import', 'tsx', join(options.root, 'scripts/bench/sink-server.ts')],
    process.env,
    options.root,
  )
  const sinkUrl = (await waitForOutput(sink, /sink listening on (\S+)/))[1]!
  const runs: SystemRun[] = []
  try {
    const leadrelay = await startLeadrelay(options, sinkUrl, false)
    try {
      runs.push(
        await measureSystem(
          'Leadrelay (defaults)',
          'default log level (info), webhook destination without `limits`',
          leadrelay,
          sinkUrl,
          options,
        ),
      )
    } finally {
      // A profile is written only on a clean exit.
      await stopChild(leadrelay.child, options.cpuProfileDir === undefined ? 'SIGKILL' : 'SIGTERM')
    }
    const peer = options.peer
    if (peer && !('unavailable' in peer)) {
      const nodeRed = await startNodeRed(peer, sinkUrl, options.root)
      try {
        runs.push(
          await measureSystem(
            `Node-RED ${peer.version}`,
            `flow http in → http request → 202, default settings, Node ${peer.nodeVersion}`,
            {
              child: nodeRed.child,
              target: { url: nodeRed.url.replace(/\/lead$/, ''), headers: {}, path: '/lead' },
              keyOf: (request) => microsoftKey(request),
              sampleCpu: processCpu(nodeRed.child),
            },
            sinkUrl,
            options,
          ),
        )
      } finally {
        await stopChild(nodeRed.child, 'SIGKILL')
      }
    }
    if (options.tuned) {
      const tuned = await startLeadrelay(options, sinkUrl, true)
      try {
        runs.push(
          await measureSystem(
            'Leadrelay (tuned)',
            '`LEADRELAY_LOG_LEVEL=warn`, `limits.maxConcurrency: 64`',
            tuned,
            sinkUrl,
            options,
          ),
        )
      } finally {
        await stopChild(tuned.child, 'SIGKILL')
      }
    }
  } finally {
    await stopChild(sink, 'SIGKILL')
  }
  return {
    runs,
    afterSeconds: options.afterSeconds,
    ...(options.peer && 'unavailable' in options.peer && { peerUnavailable: options.peer.unavailable }),
  }
}

const whole = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a')
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a')
const perLead = (cpuSeconds: number, leads: number) =>
  leads > 0 && Number.isFinite(cpuSeconds) ? ((1000 * cpuSeconds) / leads).toFixed(3) : 'n/a'

/** The four targets of issue 17, judged against the peer; undefined without one. */
export function togetherVerdicts(result: TogetherResult) {
  const ours = result.runs.find((run) => run.label === 'Leadrelay (defaults)')
  const peer = result.runs.find((run) => run.label.startsWith('Node-RED'))
  if (!ours || !peer) return undefined
  return [
    {
      target: 'Reaching the sink/s under load ≥ 1.5× the peer',
      measured: `${(ours.deliveredPerSecond / peer.deliveredPerSecond).toFixed(2)}×`,
      pass: ours.deliveredPerSecond >= 1.5 * peer.deliveredPerSecond,
    },
    {
      target: 'Acknowledged/s ≥ the peer',
      measured: `${(ours.acknowledgedPerSecond / peer.acknowledgedPerSecond).toFixed(2)}×`,
      pass: ours.acknowledgedPerSecond >= peer.acknowledgedPerSecond,
    },
    {
      target: `Nothing missing ${result.afterSeconds} s after the load`,
      measured: whole(ours.missingAfter),
      pass: ours.missingAfter === 0,
    },
    {
      target: 'p99 ≤ the peer',
      measured: `${ms(ours.p99)} ms vs ${ms(peer.p99)} ms`,
      pass: ours.p99 <= peer.p99,
    },
  ]
}

export function togetherSummary(result: TogetherResult): string {
  const lines = ['', 'Intake and delivery together:']
  for (const run of result.runs) {
    lines.push(
      `  ${run.label}: ${whole(run.acknowledgedPerSecond)} acknowledged/s, ${whole(run.deliveredPerSecond)} reaching the sink/s, ` +
        `p99 ${ms(run.p99)} ms, missing ${result.afterSeconds} s after: ${whole(run.missingAfter)}` +
        `${run.drainedAfterSeconds === undefined ? ' (not all there after 60 s)' : `, all there after ${run.drainedAfterSeconds.toFixed(1)} s`}` +
        `${run.windowAtEnd === undefined ? '' : `, window ${run.windowAtEnd}`}`,
    )
    for (const cpu of run.cpu) {
      lines.push(
        `    ${cpu.thread.padEnd(8)} CPU ${Math.round((100 * cpu.cpuSeconds) / run.phase.seconds)} %` +
          `${cpu.elu === undefined ? '' : `, ELU ${Math.round(100 * cpu.elu)} %`}` +
          `, ${perLead(cpu.cpuSeconds, run.acknowledged)} ms per acknowledged, ${perLead(cpu.cpuSeconds, run.delivered)} ms per delivered`,
      )
    }
  }
  if (result.peerUnavailable) lines.push(`  peer not measured: ${result.peerUnavailable}`)
  for (const verdict of togetherVerdicts(result) ?? [])
    lines.push(`  target  ${verdict.target}: ${verdict.pass ? 'PASS' : 'MISS'} (${verdict.measured})`)
  return `${lines.join('\n')}\n`
}

export function togetherMarkdown(
  result: TogetherResult,
  options: { connections: number; durationSeconds: number },
): string {
  const systems = result.runs.map(
    (run) =>
      `| ${run.label} | ${run.settings} | ${whole(run.acknowledgedPerSecond)} | ${whole(run.deliveredPerSecond)} | ${ms(run.p50)} | ${ms(run.p99)} | ${whole(run.missingAfter)} | ${run.drainedAfterSeconds === undefined ? '> 60 s' : `${run.drainedAfterSeconds.toFixed(1)} s`} | ${run.windowAtEnd ?? ''} |`,
  )
  const threads = result.runs.flatMap((run) =>
    run.cpu.map(
      (cpu) =>
        `| ${run.label} | ${cpu.thread} | ${Math.round((100 * cpu.cpuSeconds) / run.phase.seconds)} % | ${cpu.elu === undefined ? '' : `${Math.round(100 * cpu.elu)} %`} | ${perLead(cpu.cpuSeconds, run.acknowledged)} | ${perLead(cpu.cpuSeconds, run.delivered)} |`,
    ),
  )
  const verdicts = togetherVerdicts(result)
  return [
    '## Intake and delivery together (the headline)',
    '',
    `Each system in turn, in this run, against the same sink (scripts/bench/sink-server.ts) and the same load: Microsoft-format leads at ${options.connections} connections, a warm-up, then ${options.durationSeconds} s measured. Leadrelay \`serve\` with a webhook destination routed for every offer,`,
    'first in its default settings, last tuned; the peer is a Node-RED flow doing the same job with its defaults',
    '(installed by the benchmark outside the project, scripts/bench/node-red-peer.ts). Acknowledged/s counts 2xx answers;',
    'reaching the sink/s counts distinct lead events arriving at the sink in the same phase. Missing: acknowledged events',
    `(warm-up and measured) not at the sink ${result.afterSeconds} s after the load ended. Window: the destination's adaptive`,
    'window of attempts in flight when the load ended.',
    ...(result.peerUnavailable ? ['', `**No peer in this run**: ${result.peerUnavailable}.`] : []),
    '',
    '| system | settings | acknowledged/s | reaching the sink/s | p50 ms | p99 ms | missing after | all at the sink after | window |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...systems,
    '',
    "CPU per thread over the measured phase (100 % = one core). Leadrelay's threads are told apart by a `--require`",
    "preload (scripts/bench/thread-probe.cjs) that runs in every thread and records its OS thread id; each thread's CPU is",
    'read from `/proc/<pid>/task/<tid>/stat`, which counts that thread alone, and its event-loop utilisation (ELU) from',
    "`performance.eventLoopUtilization()` inside it. `other` is the rest of the process: V8's GC and compiler helpers and",
    "libuv's pool (where the ingest thread's fdatasync runs). Node-RED is one process, measured as a whole.",
    '',
    '| system | thread | CPU | ELU | CPU ms per acknowledged | CPU ms per delivered |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...threads,
    ...(verdicts
      ? [
          '',
          '| Target (issue 17, defaults vs the peer) | Measured | Result |',
          '| --- | ---: | --- |',
          ...verdicts.map(
            (verdict) => `| ${verdict.target} | ${verdict.measured} | ${verdict.pass ? 'PASS' : 'MISS'} |`,
          ),
        ]
      : []),
    '',
  ].join('\n')
}
