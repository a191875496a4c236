/** Starting a worker thread on one of Leadrelay's own modules, from a checkout (TypeScript) or from the build. */

import { Worker } from 'node:worker_threads'

/**
 * Starts `<name>.ts` beside `base` when `base` is TypeScript source (a checkout run through tsx), `<name>.js` when it
 * is the build. `base` is the caller's `import.meta.url`.
 */
export function spawnThread(base: string, name: string, workerData: unknown): Worker {
  const fromSource = base.endsWith('.ts')
  const entry = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base)
  if (!fromSource) return new Worker(entry, { workerData })
  // A worker thread does not inherit the main thread's module hooks, so it registers tsx itself.
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(bootstrap, { eval: true, workerData })
}
