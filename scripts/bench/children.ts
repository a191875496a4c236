/** Server child processes for the benchmark: start, wait until listening, sample CPU time, stop, always clean up. */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** Everything the child printed on stdout so far. */
  readonly stdout: () => string
  /** Everything the child printed on stderr so far (`serve --print-credentials` prints the tenant's key there). */
  readonly stderr: () => string
  /** Resolves with the exit code (or signal) once the child is gone. */
  readonly exited: Promise<string>
}

const running = new Set<ChildProcess>()
const temporary = new Set<string>()

function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true })
}

/** Removes `dir` when the benchmark exits, however it exits; `removeNow` does it earlier. */
export function removeOnExit(dir: string): { removeNow(): void } {
  temporary.add(dir)
  return {
    removeNow() {
      temporary.delete(dir)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** True while the child has neither exited nor been killed. */
export function isRunning(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null
}

// However the benchmark ends, no server or temporary store is left behind.
process.once('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}

/** Starts `node <args>` (this Node, or the one at `nodePath`) with its output captured. */
export function startChild(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  nodePath: string = process.execPath,
): Child {
  const child = spawn(nodePath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    // Warnings and errors from the server are worth seeing while the benchmark runs.
    process.stderr.write(`[${name}] ${chunk}`)
  })
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve(signal ?? `exit code ${code}`)
    })
  })
  child.once('error', (error) => {
    stderr += String(error)
  })
  void exited.then((how) => {
    if (stderr && how !== 'SIGKILL' && how !== 'exit code 0') process.stderr.write(`[${name}] exited (${how})\n`)
  })
  return { name, process: child, stdout: () => stdout, stderr: () => stderr, exited }
}

/**
 * Waits until the child's stdout or stderr matches `pattern`; fails if it exits first or takes longer than
 * `timeoutMs`.
 */
export async function waitForOutput(child: Child, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  let gone = false
  void child.exited.then(() => {
    gone = true
  })
  for (;;) {
    const match = child.stdout().match(pattern) ?? child.stderr().match(pattern)
    if (match) return match
    if (gone) throw new Error(`${child.name} exited before it was ready; it printed:\n${child.stdout()}`)
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Stops a child: SIGTERM for a clean shutdown, SIGKILL to simulate a crash. Resolves once it is gone. */
export async function stopChild(child: Child, signal: 'SIGTERM' | 'SIGKILL'): Promise<string> {
  if (isRunning(child)) child.process.kill(signal)
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000)
  try {
    return await child.exited
  } finally {
    clearTimeout(timer)
  }
}

let ticksPerSecond: number | undefined

/** User + system CPU seconds a process has used so far (Linux /proc); undefined elsewhere. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  return cpuSecondsOfStat(`/proc/${pid}/stat`)
}

/** The same for one thread of a process (`/proc/<pid>/task/<tid>/stat` counts that thread alone). */
export function threadCpuSecondsOf(pid: number | undefined, tid: number): number | undefined {
  if (pid === undefined) return undefined
  return cpuSecondsOfStat(`/proc/${pid}/task/${tid}/stat`)
}

function cpuSecondsOfStat(file: string): number | undefined {
  try {
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const stat = readFileSync(file, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return undefined
  }
}
