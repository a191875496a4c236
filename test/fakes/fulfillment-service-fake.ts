/**
 * A publisher's own SaaS fulfillment webhook, as Microsoft's "Implementing a webhook on the SaaS service" page asks it
 * to behave: it answers 200 once it has taken a call, and it takes each operation (the body's `id`) once, since
 * Microsoft itself may send one operation more than once. It can be taken down (503) to play an outage.
 */

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FulfillmentCall {
  readonly body: string
  readonly authorization: string | undefined
  readonly contentType: string | undefined
}

export interface FulfillmentServiceFake {
  readonly url: string
  /** Every request that reached the service, including those it answered 503. */
  readonly received: FulfillmentCall[]
  /** The operations it acted on, in order, each once. */
  readonly applied: FulfillmentCall[]
  /** While true, every call is answered 503 and not acted on. */
  down: boolean
  /** While true, calls are received and never answered (a service that hangs, or a call on the wire). */
  hang: boolean
  close(): Promise<void>
}

export async function startFulfillmentServiceFake(): Promise<FulfillmentServiceFake> {
  const seen = new Set<string>()
  const fake: FulfillmentServiceFake = {
    url: '',
    received: [],
    applied: [],
    down: false,
    hang: false,
    close: async () => {},
  }
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const call = {
        body: Buffer.concat(chunks).toString('utf8'),
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
      }
      fake.received.push(call)
      if (fake.hang) return
      if (fake.down) {
        response.writeHead(503, { 'retry-after': '1' }).end()
        return
      }
      const operationId = (JSON.parse(call.body) as { id?: string }).id ?? call.body
      if (!seen.has(operationId)) {
        seen.add(operationId)
        fake.applied.push(call)
      }
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}/saas/webhook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}
