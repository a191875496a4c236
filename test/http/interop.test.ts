/**
 * Microsoft-format leads sent over a real socket the way real senders send them: .NET's HttpClient puts
 * `application/json; charset=utf-8` on JSON and streams bodies of unknown length with chunked transfer encoding;
 * clients that send large bodies ask `Expect: 100-continue` first (RFC 9110 §10.1.1); Windows tools write a UTF-8
 * byte order mark; a URL pasted into Partner Center may gain a trailing slash. Every one must be answered 202 and
 * stored exactly once, a resend included. The requests are written byte for byte on a TCP socket, so nothing in
 * between (no HTTP client library, no `inject`) smooths the framing.
 */

import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bearer, ingestPath, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer
let port: number

beforeAll(async () => {
  t = await startTestServer()
  await t.server.app.listen({ host: '127.0.0.1', port: 0 })
  const address = t.server.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the server has no port')
  port = address.port
})
afterAll(async () => {
  await t.close()
})

/** The README's Microsoft lead (examples/microsoft-lead.json), for one customer of its own. */
function microsoftLead(email: string): Buffer {
  const example = JSON.parse(readFileSync(new URL('../../examples/microsoft-lead.json', import.meta.url), 'utf8'))
  return Buffer.from(JSON.stringify({ ...example, UserDetails: { ...example.UserDetails, Email: email } }), 'utf8')
}

interface RawResponse {
  readonly interim: readonly number[]
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

interface RawRequest {
  readonly path: string
  readonly headers: ReadonlyArray<[string, string]>
  /** Written one after another; with `chunked`, each becomes one chunk. */
  readonly body: readonly Buffer[]
  readonly chunked?: boolean
  /** Sends `Expect: 100-continue` and holds the body back until the server answers 100. */
  readonly expectContinue?: boolean
}

/** One request on a fresh connection, written by hand; resolves with the final response (and any 1xx before it). */
function send(request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = Buffer.alloc(0)
    let bodySent = false
    const total = request.body.reduce((sum, part) => sum + part.length, 0)
    const head = [
      `POST ${request.path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      ...request.headers.map(([name, value]) => `${name}: ${value}`),
      request.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`,
      ...(request.expectContinue ? ['Expect: 100-continue'] : []),
      'Connection: close',
      '',
      '',
    ].join('\r\n')

    const writeBody = () => {
      bodySent = true
      for (const part of request.body) {
        if (request.chunked) socket.write(`${part.length.toString(16)}\r\n`)
        socket.write(part)
        if (request.chunked) socket.write('\r\n')
      }
      if (request.chunked) socket.write('0\r\n\r\n')
    }

    socket.on('connect', () => {
      socket.write(head)
      if (!request.expectContinue) writeBody()
    })
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data])
      if (request.expectContinue && !bodySent && /^HTTP\/1\.1 100 /.test(received.toString('latin1'))) writeBody()
    })
    socket.on('error', reject)
    socket.on('end', () => {
      try {
        resolve(parseResponses(received.toString('utf8')))
      } catch (error) {
        reject(error)
      }
    })
  })
}

function parseResponses(text: string): RawResponse {
  const interim: number[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) throw new Error(`no complete response in ${JSON.stringify(text.slice(0, 200))}`)
    const [statusLine = '', ...headerLines] = rest.slice(0, end).split('\r\n')
    const status = Number(statusLine.split(' ')[1])
    rest = rest.slice(end + 4)
    if (status >= 100 && status < 200) {
      interim.push(status)
      continue
    }
    const headers = Object.fromEntries(
      headerLines.map((line) => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
      }),
    )
    return { interim, status, headers, body: rest }
  }
}

async function storedLeadsOf(email: string) {
  const response = await t.server.app.inject({
    method: 'GET',
    url: `/v1/leads?email=${encodeURIComponent(email)}`,
    headers: bearer(t.tenant),
  })
  expect(response.statusCode).toBe(200)
  return response.json().items as Array<{ id: string; eventCount: number; customer: Record<string, string> }>
}

const bom = Buffer.from([0xef, 0xbb, 0xbf])
const dotnetJson: [string, string] = ['Content-Type', 'application/json; charset=utf-8']

interface SenderCase {
  readonly name: string
  readonly request: (path: string, body: Buffer) => RawRequest
  readonly trailingSlash?: boolean
}

const senders: SenderCase[] = [
  {
    name: "HttpClient's content type: application/json; charset=utf-8",
    request: (path, body) => ({ path, headers: [dotnetJson], body: [body] }),
  },
  {
    name: 'chunked transfer encoding, the body split mid-token',
    request: (path, body) => ({
      path,
      headers: [dotnetJson],
      body: [body.subarray(0, 7), body.subarray(7, 50), body.subarray(50)],
      chunked: true,
    }),
  },
  {
    name: 'Expect: 100-continue, the body sent after the interim 100',
    request: (path, body) => ({ path, headers: [dotnetJson], body: [body], expectContinue: true }),
  },
  {
    name: 'a UTF-8 byte order mark before the JSON',
    request: (path, body) => ({ path, headers: [dotnetJson], body: [Buffer.concat([bom, body])] }),
  },
  {
    name: 'the ingest URL with a trailing slash',
    request: (path, body) => ({ path: `${path}/`, headers: [['Content-Type', 'application/json']], body: [body] }),
  },
  {
    name: 'all at once: trailing slash, charset, 100-continue, chunked, byte order mark',
    request: (path, body) => ({
      path: `${path}/`,
      headers: [['content-type', 'Application/JSON; Charset=UTF-8']],
      body: [bom, body.subarray(0, 1), body.subarray(1)],
      chunked: true,
      expectContinue: true,
    }),
  },
]

describe('Microsoft-format leads as real senders send them', () => {
  test.each(senders)('$name: 202, stored exactly once, a resend too', async (sender) => {
    const email = `interop-${senders.indexOf(sender)}@contoso.com`
    const eventsBefore = await t.store.countLeadEvents(t.tenant.tenant.id)

    const first = await send(sender.request(ingestPath(t.tenant), microsoftLead(email)))
    expect(first.status, first.body).toBe(202)
    expect(first.headers['content-type']).toContain('application/json')
    expect(first.headers['idempotent-replayed']).toBe('false')
    if (sender.request('', Buffer.alloc(0)).expectContinue) expect(first.interim).toEqual([100])
    const receipt = JSON.parse(first.body)
    expect(receipt).toMatchObject({ newLead: true, stage: 'initial_interest' })

    // Microsoft resends when it does not see the answer in time: the same lead, not a second one.
    const resent = await send(sender.request(ingestPath(t.tenant), microsoftLead(email)))
    expect(resent.status).toBe(202)
    expect(resent.headers['idempotent-replayed']).toBe('true')
    expect(JSON.parse(resent.body).leadId).toBe(receipt.leadId)

    expect(await t.store.countLeadEvents(t.tenant.tenant.id)).toBe(eventsBefore + 1)
    const stored = await storedLeadsOf(email)
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({
      id: receipt.leadId,
      eventCount: 1,
      customer: { firstName: 'Some', lastName: 'One', email, company: 'Contoso' },
    })
  })

  test('a charset other than UTF-8 is refused over the wire too, and nothing is stored', async () => {
    const email = 'interop-latin1@contoso.com'
    const response = await send({
      path: ingestPath(t.tenant),
      headers: [['Content-Type', 'application/json; charset=iso-8859-1']],
      body: [microsoftLead(email)],
    })
    expect(response.status).toBe(415)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(JSON.parse(response.body)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' })
    expect(await storedLeadsOf(email)).toHaveLength(0)
  })
})
