/**
 * `npm run api-types`: the portal's API types, generated with openapi-typescript from the OpenAPI document the
 * server serves (every route's own zod declarations) into `web/src/api/generated.ts`. `npm run check` runs it with
 * `--check`, which changes nothing and fails when the file is stale; test/http/api-types.test.ts checks the same.
 */

import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { loadConfig } from '../src/config.ts'
import { createIdGenerator } from '../src/core/ids.ts'
import { createManualClock } from '../src/core/ports.ts'
import { createServer } from '../src/server.ts'
import { createSqliteStore } from '../src/store/sqlite/index.ts'
import { createTempDir } from '../test/helpers/temp-dir.ts'

/** Where the portal imports its API types from. */
export const apiTypesFile = fileURLToPath(new URL('../web/src/api/generated.ts', import.meta.url))

const header = `/**
 * The public API's types, generated from /openapi.json by openapi-typescript (\`npm run api-types\`). Do not edit:
 * change the route's zod declaration in src/http/routes and regenerate. \`npm run check\` fails when this is stale.
 */

`

/** The TypeScript of `document`'s paths, operations and component schemas, as the portal imports it. */
export async function apiTypesOf(document: unknown): Promise<string> {
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], {
    alphabetize: false,
    exportType: false,
    immutable: true,
  })
  return `${header}${astToString(ast)}`
}

/** The document a freshly migrated installation serves (nothing in it depends on stored data). */
async function servedDocument(): Promise<unknown> {
  const dir = createTempDir()
  const config = loadConfig({ data: dir.path }, {})
  const store = createSqliteStore({ filename: config.sqliteFile })
  await store.migrate()
  const clock = createManualClock()
  const server = createServer({ config, store, clock, ids: createIdGenerator(clock), workerPlacement: 'none' })
  try {
    return (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json()
  } finally {
    await server.close()
    await store.close()
    dir.remove()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const types = await apiTypesOf(await servedDocument())
  if (process.argv.includes('--check')) {
    const current = readFileSync(apiTypesFile, 'utf8')
    if (current !== types) {
      process.stderr.write(`${apiTypesFile} is stale: run npm run api-types and commit it\n`)
      process.exit(1)
    }
    process.stdout.write('Portal API types are up to date\n')
  } else {
    writeFileSync(apiTypesFile, types)
    process.stdout.write(`Wrote ${apiTypesFile}\n`)
  }
}
