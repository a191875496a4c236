/**
 * The benchmark's webhook sink, a child process: answers 200 after an optional delay, and remembers when it first
 * received each lead (by customer email). `GET /stats?since=<ms>` reports counts; `GET /times` the receipt times.
 */

import { createServer } from 'node:http'

const delayMs = Number(process.env.SINK_DELAY_MS ?? '0')
const firstSeen = new Map<string, number>()
let requests = 0

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    const body = request.url?.startsWith('/times')
      ? JSON.stringify(Object.fromEntries(firstSeen))
      : JSON.stringify({ requests, leads: firstSeen.size })
    response.writeHead(200, { 'content-type': 'application/json' }).end(body)
    return
  }
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const at = performance.timeOrigin + performance.now()
    requests++
    try {
      const payload = JSON.parse(Buffer.concat(chunks).toString()) as { data?: { customer?: { email?: string } } }
      const email = payload.data?.customer?.email
      if (email && !firstSeen.has(email)) firstSeen.set(email, at)
    } catch {
      // Not a lead (a ping): counted, not timed.
    }
    const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    if (delayMs > 0) setTimeout(answer, delayMs)
    else answer()
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address && typeof address === 'object')
    process.stdout.write(`sink listening on http://127.0.0.1:${address.port}\n`)
})
