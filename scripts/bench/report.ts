/** Turns the measurements into the console summary and `docs/benchmarks.md`. */

import { type PhaseResult, percentile } from './load.ts'

export interface Machine {
  readonly node: string
  readonly cpus: number
  readonly cpuModel: string
  readonly os: string
  readonly memoryGiB: number
  /** 1-minute load average when the benchmark started and when it ended: other work on the machine skews results. */
  readonly loadAverage: readonly [number, number]
}

/** A load average above this share of the CPUs at the start means something else competes for them. */
export const busyShare = 0.5

export function busyWarning(machine: Machine): string | undefined {
  const [start, end] = machine.loadAverage
  if (Math.max(start, end) <= busyShare * machine.cpus) return undefined
  return (
    `The machine was busy (1-minute load average ${start.toFixed(2)} at the start, ${end.toFixed(2)} at the end, ` +
    `${machine.cpus} CPUs): other processes competed for the CPUs, so these figures understate both servers.`
  )
}

export interface TargetRun {
  readonly label: string
  readonly phase: PhaseResult
  /** CPU seconds the server process used during the measured phase. */
  readonly serverCpuSeconds: number | undefined
}

export interface Durability {
  readonly rows: number
  readonly leads: number
  readonly acknowledged: number
  readonly missing: number
  /** Requests written but not answered when autocannon closed its connections (warm-up and measured). */
  readonly cutOff: number
  /** How the server was stopped before the store was read: SIGKILL (a crash) unless profiling needed a clean exit. */
  readonly stoppedWith: 'SIGKILL' | 'SIGTERM'
  readonly pass: boolean
}

export interface Report {
  readonly date: Date
  readonly machine: Machine
  readonly store: string
  readonly storeNote?: string
  readonly connections: number
  readonly warmupSeconds: number
  readonly durationSeconds: number
  readonly baseline: TargetRun
  readonly leadrelay: TargetRun
  readonly durability: Durability
}

export const targets = { ratio: 0.4, p99Ms: 25 } as const

export interface Figures {
  readonly requestsPerSecond: number
  readonly p50: number
  readonly p99: number
  readonly ok: number
  readonly non2xx: number
  readonly errors: number
  readonly serverCpu: string
  /** Server CPU time per answered request: unlike req/s, hardly affected by other processes competing for CPUs. */
  readonly serverCpuPerRequest: string
  readonly generatorCpu: string
}

function share(cpuSeconds: number | undefined, seconds: number): string {
  return cpuSeconds === undefined ? 'n/a' : `${Math.round((100 * cpuSeconds) / seconds)} %`
}

export function figuresOf(run: TargetRun): Figures {
  const { result, latencies, seconds, generatorCpuSeconds } = run.phase
  return {
    requestsPerSecond: result.requests.average,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    serverCpu: share(run.serverCpuSeconds, seconds),
    serverCpuPerRequest:
      run.serverCpuSeconds === undefined
        ? 'n/a'
        : ((1000 * run.serverCpuSeconds) / (result['2xx'] + result.non2xx)).toFixed(3),
    generatorCpu: share(generatorCpuSeconds, seconds),
  }
}

export interface Verdicts {
  readonly ratio: number
  readonly ratioPass: boolean
  readonly p99: number
  readonly p99Pass: boolean
  readonly valid: boolean
}

export function verdictsOf(report: Report): Verdicts {
  const baseline = figuresOf(report.baseline)
  const leadrelay = figuresOf(report.leadrelay)
  const ratio = leadrelay.requestsPerSecond / baseline.requestsPerSecond
  return {
    ratio,
    ratioPass: ratio >= targets.ratio,
    p99: leadrelay.p99,
    p99Pass: leadrelay.p99 < targets.p99Ms,
    valid: [baseline, leadrelay].every((f) => f.non2xx === 0 && f.errors === 0 && f.ok > 0),
  }
}

const ms = (value: number): string => value.toFixed(2)
const count = (value: number): string => value.toLocaleString('en-US')
const pass = (ok: boolean): string => (ok ? 'PASS' : 'MISS')

function resultRows(report: Report): string[][] {
  return [report.baseline, report.leadrelay].map((run) => {
    const f = figuresOf(run)
    return [
      run.label,
      count(Math.round(f.requestsPerSecond)),
      ms(f.p50),
      ms(f.p99),
      count(f.ok),
      count(f.non2xx),
      count(f.errors),
      f.serverCpu,
      f.serverCpuPerRequest,
      f.generatorCpu,
    ]
  })
}

const resultHeader = [
  '',
  'req/s (mean)',
  'p50 ms',
  'p99 ms',
  '2xx',
  'non-2xx',
  'errors',
  'server CPU',
  'server CPU ms/req',
  'load-gen CPU',
]

function durabilityLine(d: Durability): string {
  const answeredLate = d.rows - d.acknowledged
  return (
    `lead_events rows ${count(d.rows)} (in ${count(d.leads)} leads); 2xx acknowledged ${count(d.acknowledged)}` +
    ` (warm-up + measured), ${count(d.missing)} of them missing; ${count(answeredLate)} more rows from requests` +
    ` cut off in flight when autocannon closed its connections (at most ${count(d.cutOff)}): ${d.pass ? 'PASS' : 'FAIL'}`
  )
}

export function consoleSummary(report: Report): string {
  const v = verdictsOf(report)
  const rows = [resultHeader, ...resultRows(report)]
  const widths = resultHeader.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const table = rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  '),
  )
  return [
    '',
    ...table,
    '',
    `ratio leadrelay/baseline (req/s): ${v.ratio.toFixed(3)}`,
    `durability: ${durabilityLine(report.durability)}`,
    `valid run (no non-2xx, no errors): ${v.valid ? 'yes' : 'NO'}`,
    ...(busyWarning(report.machine) ? [`WARNING: ${busyWarning(report.machine)}`] : []),
    '',
    `target  durable ingest >= ${targets.ratio}x baseline req/s: ${pass(v.ratioPass)} (${v.ratio.toFixed(3)}x)`,
    `target  durable ingest p99 < ${targets.p99Ms} ms: ${pass(v.p99Pass)} (${ms(v.p99)} ms)`,
    '',
  ].join('\n')
}

function markdownTable(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows
  return [
    `| ${header!.join(' | ')} |`,
    `|${header!.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}

export function markdown(report: Report): string {
  const v = verdictsOf(report)
  const m = report.machine
  const baseline = figuresOf(report.baseline)
  const leadrelay = figuresOf(report.leadrelay)
  const title =
    report.store === 'postgres'
      ? 'Benchmarks: PostgreSQL store (`npm run bench -- --store postgres`)'
      : 'Benchmarks: embedded SQLite store (`npm run bench`)'
  return `# ${title}

_Written by \`npm run bench\` (scripts/bench.ts) on ${report.date.toISOString()}. A run replaces this section (between
its \`bench:${report.store}\` markers) and leaves the other store's section and the text outside both as they are._

## What is measured

**Durable ingest**: \`POST /v1/leads\` with an API key, answered 202 only after the lead event is committed to the
${report.store === 'postgres' ? 'PostgreSQL store (an ordinary commit: flushed to the WAL before it returns)' : "embedded SQLite store (WAL; each group commit is fdatasynced before it is answered, the guarantee of `synchronous = FULL`; on `serve`'s ingest thread)"}. Throughput
(requests/s) and latency (p50, p99) at ${report.connections} concurrent connections.

**Baseline**: a bare Fastify 5 server (scripts/bench/bare-server.ts) with the same route, the same 64 KiB body limit
and Fastify's JSON parsing, no logger, no auth, no store, answering 202 \`{}\`. Measured in the same run, on the same
machine, with the same bodies, so the ratio says what authentication, validation, merging and a durable commit cost
relative to the HTTP stack alone.

## How

- Each server is a separate child process; the load generator (autocannon 8, programmatic API) runs in the
  benchmark process. Leadrelay runs as \`node bin/leadrelay.js serve --data <tmpdir> --port 0\` with
  \`LEADRELAY_LOG_LEVEL=warn\` and a fresh store (store: ${report.store}${report.storeNote ? `; ${report.storeNote}` : ''}).
- ${report.connections} connections, no pipelining; a ${report.warmupSeconds} s warm-up, then ${report.durationSeconds} s measured.
  Baseline first, then Leadrelay.
- Bodies: \`{"LeadSource":"AzureMarketplace-INS|contoso.crm-suite","CustomerInfo":{...,"Email":"user<N>@example.com",...}}\`,
  three distinct events (INS, PLT, StartTestDrive) per customer, interleaved 500 requests apart, so about a third of
  the events create a lead and two thirds merge into an existing one. No body repeats, so none is deduplicated.
- req/s is autocannon's mean of its per-second samples. Latencies are the exact per-response times of the 2xx
  responses (autocannon's \`response\` event), so percentiles have sub-millisecond precision.
- Server CPU is the server process's user + system CPU time over the measured phase (100 % = one core), also divided
  by the requests it answered (CPU ms/req: the figure least disturbed by other processes); load-gen CPU is the same
  for the benchmark process.
- Durability: after the run the Leadrelay process is killed with SIGKILL (a crash, no clean shutdown; this run:
  ${report.durability.stoppedWith}), the SQLite file is opened read-only with better-sqlite3, and every event id from a 2xx receipt must be in \`lead_events\`. The row
  count may exceed the 2xx count only by requests that were in flight when autocannon closed its connections at the
  end of a phase (the server commits them, but their answers are never read).

## Machine

| | |
| --- | --- |
| Node | ${m.node} |
| CPUs | ${m.cpus} × ${m.cpuModel} |
| OS | ${m.os} |
| Memory | ${m.memoryGiB.toFixed(1)} GiB |
| Load average (1 min) | ${m.loadAverage[0].toFixed(2)} at the start, ${m.loadAverage[1].toFixed(2)} at the end |
| Date | ${report.date.toISOString()} |

The load generator shares these CPUs with the server under test.${busyWarning(m) ? ` **${busyWarning(m)}**` : ''}

## Results

${markdownTable([resultHeader, ...resultRows(report)])}

Ratio leadrelay / baseline (req/s): **${v.ratio.toFixed(3)}**.

Baseline: ${count(Math.round(baseline.requestsPerSecond))} req/s. Leadrelay: ${count(Math.round(leadrelay.requestsPerSecond))} req/s.

Durability check: ${durabilityLine(report.durability)}.

Run validity (every response 2xx, no connection errors): ${v.valid ? 'valid' : '**not valid**, see non-2xx and errors above'}.

## Targets

| Target | Measured | Result |
| --- | ---: | --- |
| Durable ingest ≥ ${targets.ratio}× baseline requests/s | ${v.ratio.toFixed(3)}× | ${pass(v.ratioPass)} |
| Durable ingest p99 < ${targets.p99Ms} ms | ${ms(v.p99)} ms | ${pass(v.p99Pass)} |
`
}
