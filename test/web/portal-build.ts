/** Builds the portal for browser tests when web/dist is missing or older than its sources (CI builds it first). */

import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const webDir = join(root, 'web')

function newestChange(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))))
}

export function ensurePortalBuilt(): void {
  const built = join(webDir, 'dist', 'index.html')
  const sources = ['src', 'public', 'index.html', 'vite.config.ts']
    .map((name) => join(webDir, name))
    .filter((path) => existsSync(path))
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestChange))) return
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', webDir], {
    cwd: root,
    stdio: 'pipe',
  })
}
