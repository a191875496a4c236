/**
 * `npm run check` fails on an import that breaks a layer rule and on an export nothing uses: the project's own
 * dependency-cruiser and knip configurations, run on a small project in a temporary folder laid out like ours.
 */

import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { createTempDir } from './helpers/temp-dir.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string) => join(root, 'node_modules/.bin', name)
const run = promisify(execFile)

interface Outcome {
  readonly exitCode: number
  readonly output: string
}

async function runIn(cwd: string, command: string, args: readonly string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' } })
    return { exitCode: 0, output: stdout + stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { exitCode: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

let removeProject: (() => void) | undefined
afterEach(() => {
  removeProject?.()
  removeProject = undefined
})

/** A temporary project with our configuration files and the given sources. */
function project(files: Readonly<Record<string, string>>, configs: readonly string[]): string {
  const dir = createTempDir('leadrelay-build-rules-')
  removeProject = dir.remove
  for (const config of configs) copyFileSync(join(root, config), join(dir.path, config))
  writeFileSync(join(dir.path, 'package.json'), JSON.stringify({ name: 'layers', type: 'module', private: true }))
  mkdirSync(join(dir.path, 'web/src'), { recursive: true })
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir.path, path)), { recursive: true })
    writeFileSync(join(dir.path, path), text)
  }
  return dir.path
}

const cruise = (cwd: string) =>
  runIn(cwd, bin('depcruise'), ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'src', 'web/src'])

describe('layer rules (npm run check:layers)', () => {
  const layers = ['.dependency-cruiser.cjs', 'tsconfig.json']
  const store = "import { stageOf } from '../core/stage.ts'\nexport const read = () => stageOf()\n"
  const core = "export const stageOf = () => 'trial'\n"

  it('passes a store that imports core', async () => {
    const cwd = project({ 'src/core/stage.ts': core, 'src/store/read.ts': store }, layers)
    const outcome = await cruise(cwd)
    expect(outcome.output).toContain('no dependency violations found (2 modules')
    expect(outcome.exitCode).toBe(0)
  })

  it.each([
    [
      'core-imports-nothing-of-ours',
      'src/core/stage.ts',
      "import '../store/read.ts'\nexport const stageOf = () => 1\n",
    ],
    ['store-only-core', 'src/store/write.ts', "import { serve } from '../http/app.ts'\nexport const write = serve\n"],
    [
      'destinations-never-store-http-delivery-services',
      'src/destinations/webhook/index.ts',
      "import { read } from '../../store/read.ts'\nexport const send = read\n",
    ],
    [
      'delivery-never-http',
      'src/delivery/worker.ts',
      "import { serve } from '../http/app.ts'\nexport const run = serve\n",
    ],
    [
      'web-only-its-own-files',
      'web/src/app.tsx',
      "import { stageOf } from '../../src/core/stage.ts'\nexport const A = stageOf\n",
    ],
  ])('fails on %s', async (rule, path, text) => {
    const cwd = project(
      {
        'src/core/stage.ts': core,
        'src/store/read.ts': store,
        'src/http/app.ts': 'export const serve = () => undefined\n',
        [path]: text,
      },
      layers,
    )
    const outcome = await cruise(cwd)
    expect(outcome.output).toMatch(new RegExp(`error ${rule}: ${path}`))
    expect(outcome.exitCode).not.toBe(0)
  })

  it('fails on an import cycle at run time, not on one made of type imports', async () => {
    const loop = (other: string, typeOnly: boolean) =>
      `import ${typeOnly ? 'type ' : ''}{ ${other} } from './${other}.ts'\nexport const self: typeof ${other} | undefined = undefined\n`
    const runtime = project({ 'src/core/a.ts': loop('b', false), 'src/core/b.ts': loop('a', false) }, layers)
    const outcome = await cruise(runtime)
    expect(outcome.output).toContain('error no-cycles: src/core/a.ts')
    expect(outcome.exitCode).not.toBe(0)

    removeProject?.()
    const typesOnly = project({ 'src/core/a.ts': loop('b', true), 'src/core/b.ts': loop('a', true) }, layers)
    expect((await cruise(typesOnly)).exitCode).toBe(0)
  })
})

describe('unused code (npm run check:unused)', () => {
  const unused = ['knip.jsonc', 'tsconfig.json']
  const entry = "import { stageOf } from '../src/core/stage.ts'\nconsole.log(stageOf())\n"
  const knip = (cwd: string) => runIn(cwd, bin('knip'), ['--no-progress', '--include', 'files,exports,types'])

  it('passes when every export is used, by the product or by a test', async () => {
    const cwd = project(
      {
        'scripts/report.ts': entry,
        'src/core/stage.ts': 'export const stageOf = () => 1\nexport const stageCount = 8\n',
        'test/stage.test.ts': "import { stageCount } from '../src/core/stage.ts'\nconsole.log(stageCount)\n",
      },
      unused,
    )
    const outcome = await knip(cwd)
    expect(outcome.output).not.toMatch(/Unused/)
    expect(outcome.exitCode).toBe(0)
  })

  it('fails on an export nothing uses and on a file nothing imports', async () => {
    const cwd = project(
      {
        'scripts/report.ts': entry,
        'src/core/stage.ts': 'export const stageOf = () => 1\nexport const stageCount = 8\n',
        'src/core/orphan.ts': 'export const orphan = 1\n',
      },
      unused,
    )
    const outcome = await knip(cwd)
    expect(outcome.output).toMatch(/Unused files[\s\S]*src\/core\/orphan\.ts/)
    expect(outcome.output).toMatch(/Unused exports[\s\S]*stageCount\s+src\/core\/stage\.ts/)
    expect(outcome.exitCode).not.toBe(0)
  })
})
