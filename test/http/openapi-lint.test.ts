/**
 * The API document as served, read by an OpenAPI linter nobody here wrote: Redocly's `recommended` rules. Errors and
 * warnings fail the test, except the few listed below, each with the reason.
 */

import { createConfig, lintFromString } from '@redocly/openapi-core'
import { afterAll, expect, test } from 'vitest'
import { startTestServer } from '../helpers/test-server.ts'

const t = await startTestServer()
afterAll(() => t.close())

/**
 * Findings we keep, by rule and place. Readiness and the sign-in options take no input and need no credential, so
 * they have no 4xx answer to describe (readiness answers 503 when the store is down).
 */
const accepted = [
  'operation-4xx-response #/paths/~1healthz/get/responses',
  'operation-4xx-response #/paths/~1auth~1config/get/responses',
]

test("the served document passes Redocly's recommended rules", async () => {
  const served = await t.server.app.inject({ method: 'GET', url: '/openapi.json' })
  expect(served.statusCode).toBe(200)
  const config = await createConfig({ extends: ['recommended'] })
  const problems = await lintFromString({ source: served.body, absoluteRef: '/openapi.json', config })
  const found = problems.map((problem) => ({
    key: `${problem.ruleId} ${problem.location[0]?.pointer ?? ''}`,
    text: `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? ''}`,
  }))
  expect(found.filter((problem) => !accepted.includes(problem.key)).map((problem) => problem.text)).toEqual([])
  // The accepted findings are still there: when one goes, so does its entry above.
  expect(found.map((problem) => problem.key).sort()).toEqual([...accepted].sort())
})
