import type { LookupAddress } from 'node:dns'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { startWebhookSink, type WebhookSink } from '../../test/helpers/webhook-sink.ts'
import { HttpClientError, type HttpClientErrorKind } from './http-client.ts'
import { createGuardedLookup, createNodeHttpClient, isPublicAddress, type NodeHttpClient } from './http-client-node.ts'

describe('isPublicAddress', () => {
  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '[2606:4700::1111]',
    '::ffff:8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '198.20.0.1',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true)
  })

  test.each([
    // IPv4
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.255',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '169.254.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '192.88.99.1',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    // IPv6
    '::',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    'fe80::1',
    'febf::1',
    'fc00::1',
    'fd12:3456::1',
    'FD00::1',
    '2001:db8::1',
    '100::1',
    '2002:7f00:1::1',
    '64:ff9b::7f00:1',
    '64:ff9b:1::1',
    'ff02::1',
    '3fff::1',
    '5f00::1',
    // IPv4-mapped and IPv4-compatible forms of blocked IPv4
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:7f00:1',
    '::FFFF:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '[::ffff:192.168.0.1]',
    '::127.0.0.1',
    // Not an IP literal at all
    'localhost',
    'example.com',
    '',
    'fe80::1%eth0',
    '2130706433',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false)
  })
})

/** A TCP server that answers every connection with hand-written bytes. */
async function rawServer(answer: (socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.resume()
    answer(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<HttpClientError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof HttpClientError) return error
    throw error
  }
  throw new Error('Expected the request to fail')
}

async function expectKind(promise: Promise<unknown>, kind: HttpClientErrorKind): Promise<HttpClientError> {
  const error = await rejectionOf(promise)
  expect(error.kind).toBe(kind)
  return error
}

describe('createNodeHttpClient', () => {
  let sink: WebhookSink
  const clients: NodeHttpClient[] = []
  const client = (options: Partial<Parameters<typeof createNodeHttpClient>[0]> = {}) => {
    const created = createNodeHttpClient({ allowPrivateNetworks: true, ...options })
    clients.push(created)
    return created
  }

  beforeEach(async () => {
    sink = await startWebhookSink()
  })
  afterEach(async () => {
    for (const created of clients.splice(0)) created.close()
    await sink.close()
  })

  test('sends the request and returns status, lower-cased headers and body', async () => {
    sink.respondWith({
      status: 201,
      headers: { 'X-Request-Id': 'r-1', 'Set-Cookie': ['a=1', 'b=2'], 'content-type': 'application/json' },
      body: '{"id":"42"}',
    })
    const response = await client().send({
      method: 'POST',
      url: `${sink.url}?q=1`,
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' },
      body: '{"hello":"wörld"}',
    })
    expect(response).toEqual({
      status: 201,
      headers: expect.objectContaining({ 'x-request-id': 'r-1', 'set-cookie': 'a=1, b=2' }),
      body: '{"id":"42"}',
      truncated: false,
    })
    const [received] = sink.received
    expect(received?.method).toBe('POST')
    expect(received?.path).toBe('/hook?q=1')
    expect(received?.body).toBe('{"hello":"wörld"}')
    expect(received?.headers).toMatchObject({
      'content-type': 'application/json',
      'x-custom': 'yes',
      'content-length': `${Buffer.byteLength('{"hello":"wörld"}')}`,
      'user-agent': 'Leadrelay',
    })
  })

  test('sends the configured user agent unless the request sets one', async () => {
    const http = client({ userAgent: 'Leadrelay/9' })
    await http.send({ method: 'GET', url: sink.url })
    await http.send({ method: 'GET', url: sink.url, headers: { 'User-Agent': 'Mine/1' } })
    expect(sink.received.map((request) => request.headers['user-agent'])).toEqual(['Leadrelay/9', 'Mine/1'])
  })

  test('does not follow redirects', async () => {
    sink.respondWith({ status: 302, headers: { location: `${sink.url}/elsewhere` } })
    const response = await client().send({ method: 'POST', url: sink.url, body: '{}' })
    expect(response.status).toBe(302)
    expect(response.headers.location).toBe(`${sink.url}/elsewhere`)
    expect(sink.received).toHaveLength(1)
  })

  test('cuts a body longer than the cap and still reports the status', async () => {
    sink.respondWith({ status: 500, body: 'x'.repeat(300_000) })
    const response = await client({ maxResponseBytes: 1024 }).send({ method: 'GET', url: sink.url })
    expect(response.status).toBe(500)
    expect(response.truncated).toBe(true)
    expect(response.body).toHaveLength(1024)
  })

  test('a request may raise the cap for itself (metadata reads)', async () => {
    sink.respondWith({ status: 200, body: 'm'.repeat(200_000) })
    const big = await client({ maxResponseBytes: 1024 }).send({
      method: 'GET',
      url: sink.url,
      maxResponseBytes: 1_000_000,
    })
    expect(big).toMatchObject({ truncated: false })
    expect(big.body).toHaveLength(200_000)
  })

  test('a body of exactly the cap is not truncated', async () => {
    sink.respondWith({ status: 200, body: 'y'.repeat(1024) })
    const response = await client({ maxResponseBytes: 1024 }).send({ method: 'GET', url: sink.url })
    expect(response).toMatchObject({ truncated: false, body: 'y'.repeat(1024) })
  })

  test('the default cap is 64 KiB', async () => {
    sink.respondWith({ status: 200, body: 'z'.repeat(100_000) })
    const response = await client().send({ method: 'GET', url: sink.url })
    expect(response.body).toHaveLength(64 * 1024)
    expect(response.truncated).toBe(true)
  })

  test('times out a server that never answers', async () => {
    sink.respondWith({ hang: true })
    const started = Date.now()
    await expectKind(client().send({ method: 'POST', url: sink.url, body: '{}', timeoutMs: 200 }), 'timeout')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  test('the timeout covers a body that trickles in', async () => {
    const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc'))
    try {
      await expectKind(client().send({ method: 'GET', url: server.url, timeoutMs: 200 }), 'timeout')
    } finally {
      await server.close()
    }
  })

  test('uses the default timeout when the request names none', async () => {
    sink.respondWith({ hang: true })
    await expectKind(client({ defaultTimeoutMs: 150 }).send({ method: 'GET', url: sink.url }), 'timeout')
  })

  test('an aborted signal ends the request', async () => {
    sink.respondWith({ hang: true })
    const controller = new AbortController()
    const pending = client().send({ method: 'GET', url: sink.url, signal: controller.signal })
    await sink.waitForRequests(1)
    controller.abort()
    await expectKind(pending, 'aborted')
  })

  test('a signal aborted beforehand sends nothing', async () => {
    await expectKind(client().send({ method: 'GET', url: sink.url, signal: AbortSignal.abort() }), 'aborted')
    expect(sink.connections).toBe(0)
  })

  test('a refused connection is a network error', async () => {
    const port = sink.port
    await sink.close()
    sink = await startWebhookSink()
    await expectKind(client().send({ method: 'GET', url: `http://127.0.0.1:${port}/` }), 'network')
  })

  test('a connection closed mid-body is a network error', async () => {
    const server = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc'))
    try {
      await expectKind(client().send({ method: 'GET', url: server.url }), 'network')
    } finally {
      await server.close()
    }
  })

  test.each(['ftp://example.com/', 'file:///etc/passwd', 'not a url', 'javascript:alert(1)', ''])(
    '%j is an invalid URL',
    async (url) => {
      await expectKind(client().send({ method: 'GET', url }), 'invalid_url')
    },
  )

  describe('SSRF guard', () => {
    const guarded = (resolve?: (host: string) => LookupAddress[]) =>
      client({ allowPrivateNetworks: false, ...(resolve && { resolve: async (host: string) => resolve(host) }) })

    test.each([
      'http://127.0.0.1:PORT/hook',
      'http://10.0.0.1:PORT/hook',
      'http://169.254.169.254:PORT/latest/meta-data/',
      'http://[::1]:PORT/hook',
      'http://[::ffff:127.0.0.1]:PORT/hook',
      'http://[::ffff:7f00:1]:PORT/hook',
      'http://2130706433:PORT/hook',
      'http://0x7f.1:PORT/hook',
      'http://0177.0.0.1:PORT/hook',
      'http://localhost:PORT/hook',
      'http://127.0.0.1.:PORT/hook',
      'http://127.1:PORT/hook',
      'http://0:PORT/hook',
      'https://127.0.0.1:PORT/hook',
    ])('refuses %s before connecting', async (url) => {
      const target = url.replace('PORT', `${sink.port}`)
      await expectKind(guarded().send({ method: 'POST', url: target, body: '{}' }), 'blocked_address')
      expect(sink.received).toHaveLength(0)
      expect(sink.connections).toBe(0)
    })

    test('refuses a name when any of its addresses is private', async () => {
      const http = guarded(() => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ])
      const error = await expectKind(http.send({ method: 'GET', url: 'http://mixed.example.test/' }), 'blocked_address')
      expect(error.message).toContain('10.0.0.1')
    })

    test('refuses a name that resolves to an IPv4-mapped loopback', async () => {
      const http = guarded(() => [{ address: '::ffff:127.0.0.1', family: 6 }])
      await expectKind(http.send({ method: 'GET', url: `http://rebind.example.test:${sink.port}/` }), 'blocked_address')
      expect(sink.connections).toBe(0)
    })

    test('a name that does not resolve is a network error', async () => {
      const http = guarded(() => [])
      await expectKind(http.send({ method: 'GET', url: 'http://nowhere.example.test/' }), 'network')
    })

    test('the guarded lookup passes public addresses through', async () => {
      const lookup = createGuardedLookup(async () => [
        { address: '8.8.8.8', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ])
      const all = await new Promise((resolve, reject) =>
        lookup('dns.example.test', { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
      )
      expect(all).toEqual([
        { address: '8.8.8.8', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ])
      const one = await new Promise((resolve, reject) =>
        lookup('dns.example.test', {}, (error, address, family) =>
          error ? reject(error) : resolve([address, family]),
        ),
      )
      expect(one).toEqual(['8.8.8.8', 4])
    })

    test('with allowPrivateNetworks the sink receives the request', async () => {
      const http = client({ allowPrivateNetworks: true })
      expect((await http.send({ method: 'POST', url: sink.url, body: '{}' })).status).toBe(200)
      expect((await http.send({ method: 'POST', url: `http://localhost:${sink.port}/hook`, body: '{}' })).status).toBe(
        200,
      )
      expect(sink.received).toHaveLength(2)
    })

    test('with allowPrivateNetworks a test resolver still answers', async () => {
      const http = client({ allowPrivateNetworks: true, resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
      const response = await http.send({ method: 'GET', url: `http://sink.example.test:${sink.port}/hook` })
      expect(response.status).toBe(200)
      expect(sink.received[0]?.headers.host).toBe(`sink.example.test:${sink.port}`)
    })
  })
})
