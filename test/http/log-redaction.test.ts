import { Writable } from 'node:stream'
import { afterEach, expect, test } from 'vitest'
import { createLogger } from '../../src/logger.ts'
import { microsoftExample } from '../helpers/leads.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer | undefined
afterEach(async () => {
  await t?.close()
})

test('no log line carries an ingest token, whatever the letter case or encoding of the path', async () => {
  let logged = ''
  const log = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk)
        done()
      },
    }),
  )
  t = await startTestServer({}, { log })
  const token = t.tenant.ingestToken
  const paths = [
    `/ingest/microsoft/${token}`,
    `/INGEST/microsoft/${token}`,
    `/Ingest/Microsoft/${token}`,
    `/ingest%2Fmicrosoft%2F${token}`,
    `/ingest/microsoft%2F${token}`,
    `/%69ngest/microsoft/${token}`,
  ]
  const statuses: number[] = []
  for (const url of paths) {
    const response = await t.server.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(microsoftExample),
    })
    statuses.push(response.statusCode)
    expect(response.body).not.toContain(token)
  }
  // The router is case-sensitive: other spellings are answered 404, and their request lines are logged all the same.
  expect(statuses[0]).toBe(202)
  expect(statuses.slice(1, 5)).toEqual([404, 404, 404, 404])
  expect(logged.split('\n').filter((line) => line.includes('"url"')).length).toBeGreaterThanOrEqual(paths.length)
  expect(logged).toContain('[redacted]')
  expect(logged).not.toContain(token)
})
