/**
 * Packing Leadrelay and installing the package as a publisher does (`npm install --omit=dev` into a folder whose
 * package.json approves better-sqlite3's install script): shared by `npm run test:package` and `npm run bench`.
 */

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The environment without the TypeScript loader the calling script runs under. */
export function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _nodeOptions, ...env } = process.env
  return { ...env, ...extra }
}

/** `npm pack` (its `prepack` builds); `LEADRELAY_PACKAGE_TARBALL=<file>` reuses a packed tarball instead. */
export async function packPackage(root: string, into: string): Promise<string> {
  if (process.env.LEADRELAY_PACKAGE_TARBALL) return process.env.LEADRELAY_PACKAGE_TARBALL
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', into], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  })
  // The prepack build prints to the same stdout (coloured where CI forces colour), so the report is the array that
  // starts on a line of its own, the last thing npm prints.
  const reportStart = stdout.lastIndexOf('\n[\n')
  const report = reportStart >= 0 ? stdout.slice(reportStart + 1) : stdout.slice(stdout.indexOf('[\n'))
  const [packed] = JSON.parse(report) as Array<{ filename: string }>
  assert.ok(packed, 'npm pack printed no file')
  return join(into, packed.filename)
}

/**
 * better-sqlite3's install script (prebuild-install) downloads a prebuilt binary from GitHub, or compiles SQLite for
 * minutes when it cannot. Here it finds the binary this checkout already built, as a local prebuild under the name
 * it would download (prebuild-install's documented `local-prebuilds` setting), so its install script still runs.
 */
async function localPrebuilds(root: string, into: string): Promise<NodeJS.ProcessEnv> {
  const moduleDir = join(root, 'node_modules', 'better-sqlite3')
  const binary = join(moduleDir, 'build', 'Release', 'better_sqlite3.node')
  if (process.platform !== 'linux' || !existsSync(binary)) return {}
  const { version } = JSON.parse(readFileSync(join(moduleDir, 'package.json'), 'utf8')) as { version: string }
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    ?.glibcVersionRuntime
  const libc = glibc ? '' : 'musl'
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-linux${libc}-${process.arch}.tar.gz`
  mkdirSync(into, { recursive: true })
  await run('tar', ['-czf', join(into, name), '-C', moduleDir, 'build/Release/better_sqlite3.node'])
  return { npm_config_better_sqlite3_local_prebuilds: into }
}

/** Installs `tarball` into the new folder `appDir`; returns the installed `leadrelay` bin. */
export async function installPackage(root: string, tarball: string, appDir: string): Promise<string> {
  mkdirSync(appDir, { recursive: true })
  const prebuildEnv = await localPrebuilds(root, join(appDir, '..', 'prebuilds'))
  // As the deployment guides and the Dockerfile do: the folder approves better-sqlite3's install script.
  writeFileSync(
    join(appDir, 'package.json'),
    JSON.stringify({ private: true, allowScripts: { 'better-sqlite3': true } }, null, 2),
  )
  await run(
    'npm',
    ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball],
    { cwd: appDir, env: plainEnv(prebuildEnv), maxBuffer: 64 * 1024 * 1024 },
  )
  return join(appDir, 'node_modules', '.bin', 'leadrelay')
}
