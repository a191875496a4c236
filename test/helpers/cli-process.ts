/** Runs the real `leadrelay` bin as a child process, the way users and CI call it. */

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const binPath = fileURLToPath(new URL('../../bin/leadrelay.js', import.meta.url))

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [binPath, ...args], {
      env: { ...process.env, ...env },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

export interface RunningServe {
  readonly child: ChildProcess
  readonly url: string
  /** Everything written to stdout so far (the JSON logs and the "listening on" line). */
  output(): string
  /** Everything written to stderr so far: the default tenant's credentials, with `--print-credentials`. */
  errorOutput(): string
}

/** The default tenant's API key, as `serve --print-credentials` prints it on stderr on first start. */
export function printedApiKey(serve: RunningServe): string | undefined {
  return serve.errorOutput().match(/API key:\s+(\S+)/)?.[1]
}

/** Starts `leadrelay serve --port 0` and resolves once it prints where it listens. */
export async function startServe(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  { startTimeoutMs = 20_000 }: { readonly startTimeoutMs?: number } = {},
): Promise<RunningServe> {
  const child = spawn(process.execPath, [binPath, 'serve', '--port', '0', ...args], {
    env: { ...process.env, LEADRELAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk)
  })
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout} ${stderr}`)), startTimeoutMs)
    const check = () => {
      const match = stdout.match(/listening on (http:\/\/\S+)/)
      if (match?.[1]) {
        clearTimeout(timer)
        // serve writes the credentials to stderr before this line to stdout; two pipes may be read in either
        // order, so stderr gets a moment to be read too.
        const url = match[1]
        setTimeout(() => resolve(url), 25)
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}: ${stderr}`))
    })
  })
  return { child, url, output: () => stdout, errorOutput: () => stderr }
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}
