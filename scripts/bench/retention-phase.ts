/**
 * `npm run bench -- --retention`: ingest p99 with and without a retention run going on (docs/privacy.md). One `serve`
 * on a fresh SQLite store gets a retention backlog written straight into its file (delivery attempts, audit entries
 * and idle leads with several events each, all three years old), then the same load twice: once alone, once while
 * retention works through the backlog. The target: retention raises ingest p99 by no more than 20 %.
 *
 * Retention runs where it runs in production (`worker`): in `serve`'s delivery thread, which starts it a minute after
 * `serve` starts, taking turns at the write lock with the ingest thread; the load without it is measured before that
 * minute, and the load with it once the backlog starts shrinking. Or (`cli`) as `leadrelay retention run` from
 * another process, started after the first load, which can only poll for SQLite's lock against `serve`'s threads.
 * The backlog is counted before and after each phase, so a run that came early shows up as a failed phase.
 */

import os from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { type Child, removeOnExit, startChild, stopChild, waitForOutput } from './children.ts'
import { type Acknowledged, type LoadTarget, type PhaseResult, percentile, runPhase } from './load.ts'

export interface RetentionPhaseOptions {
  readonly root: string
  readonly dataDir: string
  readonly connections: number
  readonly warmupSeconds: number
  readonly durationSeconds: number
  /** Backlog sizes. */
  readonly attempts: number
  readonly auditEntries: number
  readonly idleLeads: number
  readonly eventsPerIdleLead: number
  /** Where retention runs: `serve`'s own worker, or `leadrelay retention run` in another process. */
  readonly runner: RetentionRunner
  readonly say: (line: string) => void
}

export const retentionRunners = ['worker', 'cli'] as const
export type RetentionRunner = (typeof retentionRunners)[number]

export interface RetentionPhaseResult {
  readonly without: { readonly requestsPerSecond: number; readonly p50: number; readonly p99: number }
  readonly with: { readonly requestsPerSecond: number; readonly p50: number; readonly p99: number }
  /** p99 with retention over p99 without, minus one (0.2 = 20 % higher). */
  readonly p99Increase: number
  /** Backlog rows (attempts + audit entries + events) retention removed while the load ran. */
  readonly removedDuringLoad: number
  /** True when retention was still working when the load phase ended (it ran under load the whole phase). */
  readonly retentionBusyThroughout: boolean
  readonly retentionSummary: string
  readonly backlog: number
}

const yearMs = 365 * 24 * 60 * 60 * 1000

function figures(phase: PhaseResult) {
  return {
    requestsPerSecond: phase.result.requests.average,
    p50: percentile(phase.latencies, 0.5),
    p99: percentile(phase.latencies, 0.99),
  }
}

/** Writes the backlog into the store `serve` created, in one transaction; answers the rows written. */
function seedBacklog(file: string, options: RetentionPhaseOptions): number {
  const database = new SQLite(file)
  try {
    database.pragma('busy_timeout = 10000')
    database.pragma('foreign_keys = OFF')
    const tenantId = (database.prepare('select id from tenants limit 1').get() as { id: string }).id
    const old = Date.now() - 3 * yearMs
    const insertLead = database.prepare(
      `insert into leads (id, tenant_id, offer_key, offer_id, merge_key, stage, do_not_contact, is_test, first_name,
        last_name, email, phone, phone_digits, country, company, title, source, action, event_count, first_event_at,
        last_event_at, created_at, updated_at, version, name_key, last_name_key, company_key, email_domain)
       values (?, ?, 'contoso.crm-suite', null, ?, 'active', 0, 0, 'Old', 'Customer', ?, '+1 425 555 0100',
        '14255550100', 'US', 'Contoso', 'CTO', 'AzureMarketplace', 'PLT', ?, ?, ?, ?, ?, ?, 'old customer',
        'customer', 'contoso', 'example.com')`,
    )
    const insertEvent = database.prepare(
      `insert into lead_events (id, tenant_id, lead_id, format, received_at, occurred_at, lead_source, source, action,
        stage, offer_ref, offer_title, description, customer, invalid, extra, is_test, idempotency_key, content_hash,
        result)
       values (?, ?, ?, 'api', ?, ?, ?, 'AzureMarketplace', ?, ?, 'contoso.crm-suite', null, 'seeded for the
        retention benchmark', ?, null, null, 0, null, ?, '{}')`,
    )
    const insertAttempt = database.prepare(
      `insert into delivery_attempts (id, delivery_id, tenant_id, destination_id, number, lead_version, started_at,
        duration_ms, outcome, status, vendor_code, error)
       values (?, ?, ?, 'dst_seed', 1, 1, ?, 20, 'delivered', 200, null, null)`,
    )
    const insertAudit = database.prepare(
      `insert into audit_log (id, tenant_id, actor, action, target, detail, at) values (?, ?, 'system', 'seed', null,
        null, ?)`,
    )
    let rows = 0
    // Foreign keys are off on this connection (set above): attempts name deliveries that were never written, which
    // no reader of this benchmark follows.
    database.transaction(() => {
      for (let lead = 0; lead < options.idleLeads; lead++) {
        const id = `lead_seed${lead}`
        const email = `old${lead}@example.com`
        const first = old + lead * 1000
        const last = first + (options.eventsPerIdleLead - 1) * 60_000
        insertLead.run(id, tenantId, `email:${email}`, email, options.eventsPerIdleLead, first, last, first, last, 1)
        for (let event = 0; event < options.eventsPerIdleLead; event++) {
          const at = first + event * 60_000
          const [action, stage] = event % 2 === 0 ? ['INS', 'initial_interest'] : ['PLT', 'active']
          insertEvent.run(
            `evt_seed${lead}_${event}`,
            tenantId,
            id,
            at,
            at,
            `AzureMarketplace-${action}|contoso.crm-suite`,
            action,
            stage,
            JSON.stringify({ firstName: 'Old', lastName: `Customer ${event}`, email }),
            `seed${lead}_${event}`,
          )
          rows += 1
        }
      }
      for (let n = 0; n < options.attempts; n++) {
        insertAttempt.run(`att_seed${n}`, `dlv_seed${n % 10_000}`, tenantId, old + n)
        rows += 1
      }
      for (let n = 0; n < options.auditEntries; n++) {
        insertAudit.run(`aud_seed${n}`, tenantId, old + n)
        rows += 1
      }
    })()
    return rows
  } finally {
    database.close()
  }
}

/** Rows of the backlog still in the store. */
function backlogLeft(file: string): number {
  const database = new SQLite(file, { readonly: true })
  try {
    database.pragma('busy_timeout = 10000')
    const count = (sql: string) => (database.prepare(sql).get() as { count: number }).count
    return (
      count("select count(*) as count from delivery_attempts where id like 'att_seed%'") +
      count("select count(*) as count from audit_log where id like 'aud_seed%'") +
      count("select count(*) as count from lead_events where id like 'evt_seed%'")
    )
  } finally {
    database.close()
  }
}

export async function runRetentionPhase(options: RetentionPhaseOptions): Promise<RetentionPhaseResult> {
  const { root, dataDir, say } = options
  const temporary = removeOnExit(dataDir)
  const file = join(dataDir, 'leadrelay.db')
  const env = { ...process.env, LEADRELAY_LOG_LEVEL: 'warn' }
  const server = startChild(
    'leadrelay',
    [join(root, 'bin/leadrelay.js'), 'serve', '--data', dataDir, '--port', '0', '--print-credentials'],
    env,
    root,
  )
  const startedAt = Date.now()
  let retention: Child | undefined
  try {
    const [, url] = await waitForOutput(server, /Leadrelay listening on (\S+)/)
    const [, apiKey] = await waitForOutput(server, /API key:\s+(\S+)/, 5000)
    const target: LoadTarget = { url: url!, headers: { authorization: `Bearer ${apiKey}` } }
    const seeded = seedBacklog(file, options)
    say(`retention: backlog of ${seeded} rows written (${options.idleLeads} idle leads)`)
    const sequence = { next: 0 }
    const acknowledged: Acknowledged = []
    const load = { connections: options.connections, seconds: options.durationSeconds }
    await runPhase(target, { ...load, seconds: options.warmupSeconds }, sequence, acknowledged)
    say(`retention: measuring ${options.durationSeconds} s without retention ...`)
    const without = await runPhase(target, load, sequence, acknowledged)
    const before = backlogLeft(file)
    if (before !== seeded) throw new Error(`retention ran before its phase (backlog ${before} of ${seeded})`)

    if (options.runner === 'cli') {
      retention = startChild(
        'retention',
        [join(root, 'bin/leadrelay.js'), 'retention', 'run', '--data', dataDir],
        env,
        root,
      )
      // The CLI's own start-up (tsx, opening the store) is not retention: the load starts once it reports progress.
      await waitForOutput(retention, /delivery attempts deleted/, 60_000)
    } else {
      say("retention: waiting for serve's own retention run (a minute after it started) ...")
      const deadline = Date.now() + 120_000
      while (backlogLeft(file) === seeded) {
        if (Date.now() > deadline) throw new Error("serve's retention did not start within two minutes")
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      // The same warm-up as before the first phase: the load's connections were idle meanwhile.
      await runPhase(target, { ...load, seconds: options.warmupSeconds }, sequence, acknowledged)
    }
    say(`retention: measuring ${options.durationSeconds} s with retention running ...`)
    const withRetention = await runPhase(target, load, sequence, acknowledged)
    const after = backlogLeft(file)
    const busy = retention ? retention.process.exitCode === null : after > 0
    if (retention && Date.now() - startedAt > 60_000)
      say('retention: note: the phases took longer than a minute, when serve starts its own retention run')
    // Only the part under load matters: a run still going stops between two batches and prints what it did.
    if (retention) await stopChild(retention, 'SIGTERM')
    const summary = retention ? retention.stdout().trim() : `serve's worker: ${before - after} backlog rows removed`
    const withoutFigures = figures(without)
    const withFigures = figures(withRetention)
    return {
      without: withoutFigures,
      with: withFigures,
      p99Increase: withFigures.p99 / withoutFigures.p99 - 1,
      removedDuringLoad: before - after,
      retentionBusyThroughout: busy,
      retentionSummary: summary,
      backlog: seeded,
    }
  } finally {
    if (retention) await stopChild(retention, 'SIGTERM')
    await stopChild(server, 'SIGKILL')
    temporary.removeNow()
  }
}

export function retentionSummary(result: RetentionPhaseResult): string {
  const row = (label: string, figures: RetentionPhaseResult['with']) =>
    `  ${label.padEnd(22)} ${Math.round(figures.requestsPerSecond).toString().padStart(7)} req/s   p50 ${figures.p50.toFixed(1)} ms   p99 ${figures.p99.toFixed(1)} ms\n`
  const increase = result.p99Increase * 100
  return (
    '\nIngest with and without retention (SQLite)\n' +
    row('without retention', result.without) +
    row('with retention', result.with) +
    `  p99 ${increase >= 0 ? '+' : ''}${increase.toFixed(1)} % (target: at most +20 %) ${increase <= 20 ? 'PASS' : 'MISS'}\n` +
    `  retention removed ${result.removedDuringLoad} of ${result.backlog} backlog rows during the load` +
    `${result.retentionBusyThroughout ? ' and was still working when it ended' : ' and finished before it ended'}\n` +
    `  ${result.retentionSummary}\n`
  )
}

/** One retention phase with the machine's load average before and after it. */
export interface RetentionRun {
  readonly runner: RetentionRunner
  readonly result: RetentionPhaseResult
  readonly load: readonly [number, number]
}

/** The section of docs/benchmarks.md: each run, and the verdict on the median p99 increase. */
export function retentionMarkdown(runs: readonly RetentionRun[]): string {
  // Judged where retention runs in production; the other runner's figures are shown beside.
  const judged = runs.filter((run) => run.runner === 'worker')
  const increases = (judged.length > 0 ? judged : runs).map((run) => run.result.p99Increase).sort((a, b) => a - b)
  const median = increases[Math.floor((increases.length - 1) / 2)] ?? Number.NaN
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`
  const lines = [
    '# Benchmarks: retention under ingest load (`npm run bench -- --retention`)',
    '',
    `_Written by \`npm run bench -- --retention\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs._`,
    '',
    'One `serve` on a fresh SQLite store gets a retention backlog written into its file (delivery attempts and audit',
    'entries past their retention, idle leads with several events each); ingest runs at 50 connections for the',
    'measured seconds without retention, then again while retention works through the backlog: `worker` is',
    "`serve`'s own delivery thread (where retention runs in production, taking turns at the write lock with the",
    'ingest thread), `cli` is `leadrelay retention run` from another process. Each run uses a fresh store.',
    '',
    '| run | retention in | without: req/s | p99 | with retention: req/s | p99 | p99 change | backlog rows removed meanwhile | load average |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...runs.map(
      ({ result, load, runner }, index) =>
        `| ${index + 1} | ${runner} | ${Math.round(result.without.requestsPerSecond).toLocaleString('en-US')} | ${result.without.p99.toFixed(1)} ms | ${Math.round(result.with.requestsPerSecond).toLocaleString('en-US')} | ${result.with.p99.toFixed(1)} ms | ${percent(result.p99Increase)} | ${result.removedDuringLoad.toLocaleString('en-US')} of ${result.backlog.toLocaleString('en-US')} | ${load[0].toFixed(2)} → ${load[1].toFixed(2)} |`,
    ),
    '',
    '| Target | Measured (median run) | Result |',
    '| --- | ---: | --- |',
    `| retention (${judged.length > 0 ? 'worker' : runs[0]?.runner}) raises ingest p99 by at most 20 % | ${percent(median)} | ${median <= 0.2 ? 'PASS' : 'MISS'} |`,
  ]
  return lines.join('\n')
}
