/**
 * Azurite's table service as a child process: on a free loopback port, in memory, telemetry off, API version
 * check off. The real service's protocol (SharedKey auth, OData, batches), not a fake written for these tests.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { TableClient } from '@azure/data-tables'
import { createTempDir } from './temp-dir.ts'

/** Azurite's well-known development account (public, documented by Microsoft). */
export const devAccountName = 'devstoreaccount1'
export const devAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

export interface Azurite {
  readonly port: number
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly endpoint: string
  readonly connectionString: string
  /** A plain SDK client for one table, as any reader of the table would use. */
  tableClient(table: string): TableClient
  stop(): Promise<void>
}

const mainScript = join(
  dirname(createRequire(import.meta.url).resolve('azurite/package.json')),
  'dist/src/table/main.js',
)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function waitForStart(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 20 s: ${output}`)), 20_000)
    const onData = (chunk: Buffer) => {
      output += String(chunk)
      if (/successfully started/.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Azurite exited with ${code}: ${output}`))
    })
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** The environment without AZURITE_ACCOUNTS, so a developer's own accounts cannot replace the well-known one. */
function azuriteEnv(): NodeJS.ProcessEnv {
  const { AZURITE_ACCOUNTS: _accounts, ...env } = process.env
  return env
}

export async function startAzurite(): Promise<Azurite> {
  const dir = createTempDir('leadrelay-azurite-')
  let lastError: unknown
  // Another process may take the port between our probe and Azurite's bind: try a few.
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort()
    const child = spawn(
      process.execPath,
      [
        mainScript,
        '--tableHost',
        '127.0.0.1',
        '--tablePort',
        String(port),
        '--inMemoryPersistence',
        '--disableTelemetry',
        '--skipApiVersionCheck',
        '--silent',
      ],
      { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'], env: azuriteEnv() },
    )
    const killOnExit = () => child.kill('SIGKILL')
    process.once('exit', killOnExit)
    try {
      await waitForStart(child)
    } catch (error) {
      lastError = error
      process.off('exit', killOnExit)
      await stopChild(child)
      continue
    }
    const endpoint = `http://127.0.0.1:${port}/${devAccountName}`
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=${devAccountName};AccountKey=${devAccountKey};TableEndpoint=${endpoint};`
    return {
      port,
      endpoint,
      connectionString,
      tableClient: (table) =>
        TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true }),
      async stop() {
        process.off('exit', killOnExit)
        await stopChild(child)
        dir.remove()
      },
    }
  }
  dir.remove()
  throw lastError
}
