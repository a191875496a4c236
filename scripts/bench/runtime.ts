/**
 * The runtime an operator gets: `serve` started from the packed package (compiled JavaScript) next to the checkout
 * (TypeScript through tsx). Start-up until `/healthz` answers, resident memory when idle, and the wall time of
 * `leadrelay leads list` on an empty store. Targets for the package: 1 s, 150 MB, 0.5 s.
 */

import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { installPackage, packPackage, plainEnv } from '../package-install.ts'
import { removeOnExit, startChild, stopChild } from './children.ts'

const run = promisify(execFile)

export const runtimeTargets = { startupMs: 1000, idleRssMb: 150, leadsListMs: 500 } as const

export interface RuntimeFigures {
  /** Spawn to the first 200 from /healthz, on a store that exists (median of the restarts). */
  readonly startupMs: number
  /** The same on a fresh data directory: creates and migrates the store, makes the key file and default tenant. */
  readonly firstStartupMs: number
  readonly idleRssMb: number
  /** Wall time of `leadrelay leads list` on the empty store (median). */
  readonly leadsListMs: number
}

export interface RuntimeResult {
  readonly package: RuntimeFigures
  readonly checkout: RuntimeFigures
  readonly loadAverage: readonly [number, number]
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function rssMbOf(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? Number.NaN) / 1024
}

/** Starts `serve`, returns the time until /healthz answered and the process, still running. */
async function timedStart(bin: string, dataDir: string, cwd: string) {
  const port = await freePort()
  const startedAt = performance.now()
  const child = startChild(
    'serve',
    [bin, 'serve', '--port', String(port), '--data', dataDir],
    plainEnv({ LEADRELAY_LOG_LEVEL: 'warn' }),
    cwd,
  )
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break
    } catch {
      // Not listening yet.
    }
    if (performance.now() - startedAt > 60_000) throw new Error(`serve from ${bin} did not answer within 60 s`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return { ms: performance.now() - startedAt, child }
}

async function measure(
  bin: string,
  cwd: string,
  restarts: number,
  say: (line: string) => void,
): Promise<RuntimeFigures> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'leadrelay-runtime-'))
  const cleanup = removeOnExit(dataDir)
  try {
    const first = await timedStart(bin, dataDir, cwd)
    await stopChild(first.child, 'SIGTERM')
    const starts: number[] = []
    let idleRssMb = 0
    for (let i = 0; i < restarts; i++) {
      const started = await timedStart(bin, dataDir, cwd)
      starts.push(started.ms)
      if (i === 0) {
        // Idle: nothing arrives; the delivery thread polls.
        await new Promise((resolve) => setTimeout(resolve, 3000))
        idleRssMb = rssMbOf(started.child.process.pid)
      }
      await stopChild(started.child, 'SIGTERM')
    }
    const lists: number[] = []
    for (let i = 0; i < 3; i++) {
      const startedAt = performance.now()
      await run(process.execPath, [bin, 'leads', 'list', '--data', dataDir], { cwd, env: plainEnv() })
      lists.push(performance.now() - startedAt)
    }
    const figures = {
      startupMs: median(starts),
      firstStartupMs: first.ms,
      idleRssMb,
      leadsListMs: median(lists),
    }
    say(
      `  start ${Math.round(figures.startupMs)} ms (first ${Math.round(figures.firstStartupMs)} ms), idle ` +
        `${figures.idleRssMb.toFixed(0)} MB, leads list ${Math.round(figures.leadsListMs)} ms`,
    )
    return figures
  } finally {
    cleanup.removeNow()
  }
}

export async function runRuntime(options: {
  readonly root: string
  readonly restarts?: number
  readonly say: (line: string) => void
}): Promise<RuntimeResult> {
  const { root, say } = options
  const loadBefore = os.loadavg()[0]!
  const work = mkdtempSync(join(os.tmpdir(), 'leadrelay-runtime-package-'))
  const cleanup = removeOnExit(work)
  try {
    say('Runtime: packing and installing the package with --omit=dev')
    const bin = await installPackage(root, await packPackage(root, work), join(work, 'app'))
    say('Runtime: the installed package')
    const packaged = await measure(bin, join(work, 'app'), options.restarts ?? 3, say)
    say('Runtime: the checkout (tsx)')
    const checkout = await measure(join(root, 'bin', 'leadrelay.js'), root, options.restarts ?? 3, say)
    return { package: packaged, checkout, loadAverage: [loadBefore, os.loadavg()[0]!] }
  } finally {
    cleanup.removeNow()
  }
}

function verdict(value: number, target: number): string {
  return value <= target ? 'PASS' : 'MISS'
}

export function runtimeSummary(result: RuntimeResult): string {
  const p = result.package
  return [
    `Runtime (load average ${result.loadAverage[0].toFixed(2)} → ${result.loadAverage[1].toFixed(2)}):`,
    `  package: start ${Math.round(p.startupMs)} ms ${verdict(p.startupMs, runtimeTargets.startupMs)} (≤ 1 s), ` +
      `idle ${p.idleRssMb.toFixed(0)} MB ${verdict(p.idleRssMb, runtimeTargets.idleRssMb)} (≤ 150 MB), ` +
      `leads list ${Math.round(p.leadsListMs)} ms ${verdict(p.leadsListMs, runtimeTargets.leadsListMs)} (≤ 0.5 s)`,
    `  checkout: start ${Math.round(result.checkout.startupMs)} ms, idle ${result.checkout.idleRssMb.toFixed(0)} MB, ` +
      `leads list ${Math.round(result.checkout.leadsListMs)} ms`,
    '',
  ].join('\n')
}

export function runtimeMarkdown(result: RuntimeResult): string {
  const row = (name: string, figures: RuntimeFigures, targets: boolean) =>
    `| ${name} | ${Math.round(figures.startupMs)} ms${targets ? ` ${verdict(figures.startupMs, runtimeTargets.startupMs)}` : ''} | ` +
    `${Math.round(figures.firstStartupMs)} ms | ${figures.idleRssMb.toFixed(0)} MB${targets ? ` ${verdict(figures.idleRssMb, runtimeTargets.idleRssMb)}` : ''} | ` +
    `${Math.round(figures.leadsListMs)} ms${targets ? ` ${verdict(figures.leadsListMs, runtimeTargets.leadsListMs)}` : ''} |`
  return [
    '### Runtime: the package next to the checkout',
    '',
    '`serve` from the package installed with `npm install --omit=dev` (compiled JavaScript) and from the checkout',
    '(TypeScript through tsx): spawn until `/healthz` answers on an existing store (median of three restarts) and on a',
    'fresh one, resident memory after 3 s idle, and `leadrelay leads list` on the empty store (median of three).',
    `Targets for the package: 1 s, 150 MB, 0.5 s. Load average ${result.loadAverage[0].toFixed(2)} at the start of`,
    `this phase, ${result.loadAverage[1].toFixed(2)} at its end.`,
    '',
    '| runtime | start (existing store) | first start | idle RSS | leads list |',
    '| ------- | ---------------------- | ----------- | -------- | ---------- |',
    row('package', result.package, true),
    row('checkout (tsx)', result.checkout, false),
    '',
  ].join('\n')
}
