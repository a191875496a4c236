import { afterEach, describe, expect, test } from 'vitest'
import { parseTrustProxy } from '../../src/config.ts'
import { AppError } from '../../src/core/errors.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

const servers: TestServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

/** A server with a route that shows what Fastify made of the request's address and scheme. */
async function serverTrusting(trust: string | undefined): Promise<TestServer> {
  const server = await startTestServer(trust === undefined ? {} : { LEADRELAY_TRUST_PROXY: trust })
  servers.push(server)
  server.server.app.get('/test-probe', async (request) => ({ ip: request.ip, protocol: request.protocol }))
  return server
}

const forwarded = { 'x-forwarded-for': '198.51.100.1, 203.0.113.5', 'x-forwarded-proto': 'https' }

async function probe(server: TestServer, remoteAddress: string) {
  const response = await server.server.app.inject({
    method: 'GET',
    url: '/test-probe',
    remoteAddress,
    headers: forwarded,
  })
  return response.json() as { ip: string; protocol: string }
}

describe('LEADRELAY_TRUST_PROXY', () => {
  test('unset: X-Forwarded-* is ignored, the socket peer is the client', async () => {
    expect(await probe(await serverTrusting(undefined), '10.1.2.3')).toEqual({ ip: '10.1.2.3', protocol: 'http' })
  })

  test('a hop count believes that many proxies: the address the nearest proxy saw, and its scheme', async () => {
    expect(await probe(await serverTrusting('1'), '10.1.2.3')).toEqual({ ip: '203.0.113.5', protocol: 'https' })
  })

  test('a list believes only proxies at those addresses', async () => {
    const server = await serverTrusting('10.0.0.0/8, 127.0.0.1')
    expect(await probe(server, '10.1.2.3')).toEqual({ ip: '203.0.113.5', protocol: 'https' })
    // A sender that is not a listed proxy cannot choose its address or scheme by sending the headers itself.
    expect(await probe(server, '192.0.2.9')).toEqual({ ip: '192.0.2.9', protocol: 'http' })
  })

  test('the failed-authentication brake counts the client behind the proxy, not the proxy', async () => {
    const server = await serverTrusting('loopback')
    const attempt = (client: string) =>
      server.server.app.inject({
        method: 'GET',
        url: '/v1/leads',
        remoteAddress: '127.0.0.1',
        headers: { authorization: 'Bearer lr_unknown_key_0000000000000000', 'x-forwarded-for': client },
      })
    for (let i = 0; i < 20; i++) expect((await attempt('203.0.113.5')).statusCode).toBe(401)
    expect((await attempt('203.0.113.5')).statusCode).toBe(429)
    // Another client through the same proxy is not braked for the first one's failures.
    expect((await attempt('203.0.113.6')).statusCode).toBe(401)
  })

  test('invalid values are refused at start', () => {
    expect(parseTrustProxy('')).toBe(false)
    expect(parseTrustProxy('2')).toBe(2)
    expect(parseTrustProxy('10.0.0.0/8,::1,uniquelocal')).toEqual(['10.0.0.0/8', '::1', 'uniquelocal'])
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', '99']) {
      expect(() => parseTrustProxy(bad), bad).toThrow(AppError)
    }
  })
})
