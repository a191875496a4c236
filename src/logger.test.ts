import { Writable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { createLogger, redactUrl } from './logger.ts'

const token = 'Zq3v9TqkR2a7LwX0pN5sY8bC'

describe('redactUrl', () => {
  test.each([
    [`/ingest/microsoft/${token}`, '/ingest/microsoft/[redacted]'],
    [`/ingest/microsoft/${token}/`, '/ingest/microsoft/[redacted]'],
    [`/INGEST/microsoft/${token}`, '/INGEST/microsoft/[redacted]'],
    [`/Ingest/Microsoft/${token}?source=pc`, '/Ingest/Microsoft/[redacted]'],
    [`/ingest%2Fmicrosoft%2F${token}`, '/ingest/microsoft/[redacted]'],
    [`/ingest/microsoft%2f${token}`, '/ingest/microsoft/[redacted]'],
    [`/%49NGEST/microsoft/${token}`, '/INGEST/microsoft/[redacted]'],
    [`/ingest%252Fmicrosoft%252F${token}`, '/ingest/microsoft/[redacted]'],
    [`/ingest//microsoft//${token}`, '/ingest//microsoft//[redacted]'],
    [`/ingest\\microsoft\\${token}`, '/ingest\\microsoft\\[redacted]'],
    [`/ingest/${token}`, '/ingest/[redacted]'],
    [`/ingest/microsoft/%ZZ${token}`, '/ingest/microsoft/[redacted]'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected)
    expect(redactUrl(url)).not.toContain(token.slice(0, 8))
  })

  test.each(['/v1/leads?offer=contoso.crm&limit=50', '/v1/destinations/dst_01', '/ingestion/report', '/'])(
    'leaves %s as it is',
    (url) => {
      expect(redactUrl(url)).toBe(url)
    },
  )
})

test('a request line logged for any spelling of the ingest path carries no token', () => {
  let written = ''
  const log = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk)
        done()
      },
    }),
  )
  for (const url of [`/INGEST/MICROSOFT/${token}`, `/ingest%2Fmicrosoft%2F${token}`]) {
    log.info({ req: { id: 'req-1', method: 'POST', url } }, 'incoming request')
  }
  expect(written).toContain('[redacted]')
  expect(written).not.toContain(token)
})
