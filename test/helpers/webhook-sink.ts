/**
 * A scriptable HTTP receiver on 127.0.0.1 for delivery tests: records every request and answers as told, e.g.
 * `sink.respondWith([{ status: 503 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 200 }])`.
 */

import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SinkRequest {
  readonly method: string
  /** Path and query. */
  readonly path: string
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown
}

/** An answer, or `{ hang: true }` to keep the request open until the client gives up or the sink closes. */
export type SinkReply =
  | {
      readonly status: number
      readonly headers?: Readonly<Record<string, string | readonly string[]>>
      readonly body?: string
      /** Wait this long before answering. */
      readonly delayMs?: number
    }
  | { readonly hang: true }

/** Decides the answer to one request; `index` counts requests from 0. */
export type SinkResponder = (request: SinkRequest, index: number) => SinkReply | Promise<SinkReply>

export interface WebhookSink {
  /** `http://127.0.0.1:<port>/hook`. */
  readonly url: string
  readonly port: number
  /** Every request so far, in arrival order (hung requests included). */
  readonly received: SinkRequest[]
  /** TCP connections accepted so far: proves that a refused request never even connected. */
  readonly connections: number
  /**
   * Sets how the following requests are answered: one reply for all, a function, or a sequence (one reply per
   * request, the last one repeating).
   */
  respondWith(reply: SinkReply | readonly SinkReply[] | SinkResponder): void
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<SinkRequest[]>
  close(): Promise<void>
}

export interface WebhookSinkOptions {
  /** The first answer (default `{ status: 200 }`). */
  readonly reply?: SinkReply | readonly SinkReply[] | SinkResponder
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(', ')
  }
  return headers
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function toResponder(reply: SinkReply | readonly SinkReply[] | SinkResponder): SinkResponder {
  if (typeof reply === 'function') return reply
  if (Array.isArray(reply)) {
    const sequence = reply as readonly SinkReply[]
    let next = 0
    return () => {
      const chosen = sequence[Math.min(next, sequence.length - 1)] ?? { status: 200 }
      next++
      return chosen
    }
  }
  const single = reply as SinkReply
  return () => single
}

export async function startWebhookSink(options: WebhookSinkOptions = {}): Promise<WebhookSink> {
  const received: SinkRequest[] = []
  const waiters: Array<() => void> = []
  let responder = toResponder(options.reply ?? { status: 200 })
  let connections = 0

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const recorded: SinkRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: headersOf(request),
        body,
        json: parseJson(body),
      }
      const index = received.length
      received.push(recorded)
      for (const wake of waiters.splice(0)) wake()
      let reply: SinkReply
      try {
        reply = await responder(recorded, index)
      } catch (error) {
        reply = { status: 500, body: `The sink's responder threw: ${String(error)}` }
      }
      if ('hang' in reply) return
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs))
      if (response.destroyed) return
      response.writeHead(reply.status, reply.headers as Record<string, string | string[]> | undefined)
      response.end(reply.body ?? '')
    })
  })
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    get connections() {
      return connections
    },
    respondWith(reply) {
      responder = toResponder(reply)
    },
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`The sink got ${received.length} requests, expected ${count}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return received.slice(0, count)
    },
    async close() {
      // Hung requests and keep-alive sockets would otherwise hold `close` open.
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
