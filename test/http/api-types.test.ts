/**
 * The portal's API types (`web/src/api/generated.ts`) are what openapi-typescript makes of the document the server
 * serves now: a route whose declaration changed without `npm run api-types` fails here (and `npm run check`).
 */

import { readFileSync } from 'node:fs'
import { afterAll, expect, test } from 'vitest'
import { apiTypesFile, apiTypesOf } from '../../scripts/api-types.ts'
import { startTestServer } from '../helpers/test-server.ts'

const t = await startTestServer()
afterAll(() => t.close())

test('the generated portal API types match the served OpenAPI document', async () => {
  const document = (await t.server.app.inject({ method: 'GET', url: '/openapi.json' })).json()
  const generated = await apiTypesOf(document)
  expect(generated).toContain('"/v1/leads"')
  expect(generated).toContain('CheckResult: {')
  expect(readFileSync(apiTypesFile, 'utf8') === generated, 'web/src/api/generated.ts is stale: npm run api-types').toBe(
    true,
  )
})
