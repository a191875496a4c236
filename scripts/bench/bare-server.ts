/**
 * The benchmark's baseline: a bare Fastify server with Leadrelay's body limit and JSON parsing, no logger, no auth
 * and no store. It answers `POST /v1/leads` with 202 `{}`, so Leadrelay's figures can be read relative to what
 * Fastify alone does on this machine. Run as its own process: `node --import tsx scripts/bench/bare-server.ts`.
 */

import Fastify from 'fastify'

const port = Number(process.env.BENCH_PORT ?? '0')
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 })

app.post('/v1/leads', async (request, reply) => {
  // Touch the parsed body so the parse cannot be skipped; Fastify's default JSON parser already ran.
  if (typeof request.body !== 'object' || request.body === null) return reply.code(400).send({})
  return reply.code(202).send({})
})

const address = await app.listen({ host: '127.0.0.1', port })
process.stdout.write(`Bare server listening on ${address}\n`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0))
  })
}
