/**
 * The benchmark's webhook sink, a child process: answers 200 after an optional delay, and remembers when it first
 * received each lead (by customer email). `GET /stats?since=<ms>` reports counts; `GET /times` the receipt times.
 * It also keeps a key per lead event that reached it, whoever sent it: the event ids in Leadrelay's body, or
 * `<email>|<LeadSource>` of Microsoft's body as a peer forwards it; `GET /keys` lists them, `GET /reset` forgets all.
 */

import { createServer } from 'node:http'

const delayMs = Number(process.env.SINK_DELAY_MS ?? '0')
const firstSeen = new Map<string, number>()
const keys = new Set<string>()
let requests = 0

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    if (request.url?.startsWith('/reset')) {
      firstSeen.clear()
      keys.clear()
      requests = 0
    }
    const body = request.url?.startsWith('/times')
      ? JSON.stringify(Object.fromEntries(firstSeen))
      : request.url?.startsWith('/keys')
        ? JSON.stringify([...keys])
        : JSON.stringify({ requests, leads: firstSeen.size, keys: keys.size })
    response.writeHead(200, { 'content-type': 'application/json' }).end(body)
    return
  }
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const at = performance.timeOrigin + performance.now()
    requests++
    try {
      const payload = JSON.parse(Buffer.concat(chunks).toString()) as {
        data?: { customer?: { email?: string }; events?: { id?: string }[] }
        LeadSource?: string
        CustomerInfo?: { Email?: string }
      }
      const email = payload.data?.customer?.email ?? payload.CustomerInfo?.Email
      if (email && !firstSeen.has(email)) firstSeen.set(email, at)
      for (const event of payload.data?.events ?? []) if (event.id) keys.add(event.id)
      if (payload.CustomerInfo?.Email && payload.LeadSource)
        keys.add(`${payload.CustomerInfo.Email}|${payload.LeadSource}`)
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
