/**
 * An HTTP proxy for "the vendor committed, but the answer never came back": it forwards every request to the target,
 * and for requests that match an armed rule it waits for the target's full answer, then drops the client's
 * connection without replying. A connector sees a network failure after the write happened, and must not duplicate
 * the record when the delivery is retried.
 */

import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface DroppedRequest {
  readonly method: string
  readonly path: string
  /** The status the target answered with, which the client never saw. */
  readonly status: number
}

export interface CommitThenDropProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the target's base URL. */
  readonly url: string
  /** Requests whose answers were dropped so far. */
  readonly dropped: DroppedRequest[]
  /** Drops the answers to the next `count` requests that match (default: any POST, PUT, PATCH or MERGE). */
  dropNext(count?: number, matches?: (method: string, path: string) => boolean): void
  close(): Promise<void>
}

const isWrite = (method: string) => ['POST', 'PUT', 'PATCH', 'MERGE'].includes(method)

export async function startCommitThenDropProxy(target: string): Promise<CommitThenDropProxy> {
  const upstream = new URL(target)
  const dropped: DroppedRequest[] = []
  let armed = 0
  let rule: (method: string, path: string) => boolean = isWrite

  const server = createServer((client: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    client.on('data', (chunk: Buffer) => chunks.push(chunk))
    client.on('end', () => {
      const method = client.method ?? 'GET'
      const path = client.url ?? '/'
      const drop = armed > 0 && rule(method, path)
      if (drop) armed--
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path,
          headers: { ...client.headers, host: upstream.host },
        },
        (answer) => {
          const body: Buffer[] = []
          answer.on('data', (chunk: Buffer) => body.push(chunk))
          answer.on('end', () => {
            if (drop) {
              dropped.push({ method, path, status: answer.statusCode ?? 0 })
              client.socket.destroy()
              return
            }
            response.writeHead(answer.statusCode ?? 502, answer.headers)
            response.end(Buffer.concat(body))
          })
        },
      )
      forwarded.on('error', () => client.socket.destroy())
      forwarded.end(Buffer.concat(chunks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    dropped,
    dropNext(count = 1, matches = isWrite) {
      armed = count
      rule = matches
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
