import { Agent, request } from 'node:http'
import { afterEach, expect, test } from 'vitest'
import { printedApiKey, type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const running: RunningServe[] = []
const dirs: Array<{ remove(): void }> = []
let sink: WebhookSink | undefined
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child, 'SIGKILL')
  await sink?.close()
  for (const dir of dirs.splice(0)) dir.remove()
})

const env = { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true' }

async function routedServe(dataDir: string, sinkUrl: string) {
  const serve = await startServe(['--data', dataDir, '--print-credentials'], env)
  running.push(serve)
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${printedApiKey(serve)}` }
  const created = await fetch(`${serve.url}/v1/destinations`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ kind: 'webhook', name: 'sink', config: { url: sinkUrl } }),
  })
  const destination = (await created.json()) as { id: string }
  await fetch(`${serve.url}/v1/routes/default`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ destinations: [destination.id] }),
  })
  return { serve, headers }
}

function exited(serve: RunningServe): Promise<number | null> {
  return new Promise((resolve) => serve.child.once('exit', (code) => resolve(code)))
}

const lead = (email: string) =>
  JSON.stringify({ LeadSource: 'AzureMarketplace-INS|contoso.crm', CustomerInfo: { Email: email } })

test('SIGTERM lets the delivery attempt in flight finish and records it: delivered once, not sent again', async () => {
  const dir = createTempDir()
  dirs.push(dir)
  sink = await startWebhookSink({ reply: { status: 200, delayMs: 2000 } })
  const { serve, headers } = await routedServe(dir.path, sink.url)
  const posted = await fetch(`${serve.url}/v1/leads`, { method: 'POST', headers, body: lead('inflight@contoso.com') })
  expect(posted.status).toBe(202)
  await sink.waitForRequests(1, 20_000)
  const exit = exited(serve)
  serve.child.kill('SIGTERM')
  expect(await exit).toBe(0)

  sink.respondWith({ status: 200 })
  const again = await startServe(['--data', dir.path], env)
  running.push(again)
  const delivered = (await (await fetch(`${again.url}/v1/deliveries?limit=10`, { headers })).json()) as {
    items: Array<{ state: string; attempts: number }>
  }
  expect(delivered.items).toMatchObject([{ state: 'delivered', attempts: 1 }])
  // Nothing left to send again after the restart.
  await new Promise((resolve) => setTimeout(resolve, 500))
  expect(sink.received).toHaveLength(1)
}, 60_000)

test('SIGTERM answers the request in flight, then exits without waiting for its idle connection', async () => {
  const dir = createTempDir()
  dirs.push(dir)
  sink = await startWebhookSink()
  const { serve, headers } = await routedServe(dir.path, sink.url)
  const body = lead('slow-sender@contoso.com')
  const target = new URL(`${serve.url}/v1/leads`)
  let sendRest = () => {}
  const answered = new Promise<{ status: number; at: number }>((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        // A keep-alive agent, as proxies in front of Leadrelay use.
        agent: new Agent({ keepAlive: true }),
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        incoming.resume()
        resolve({ status: incoming.statusCode ?? 0, at: Date.now() })
      },
    )
    outgoing.on('error', reject)
    outgoing.write(body.slice(0, 10))
    sendRest = () => outgoing.end(body.slice(10))
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const exit = exited(serve)
  serve.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 300))
  sendRest()
  const answer = await answered
  expect(answer.status).toBe(202)
  expect(await exit).toBe(0)
  // An idle keep-alive connection held the close for the server's keep-alive timeout (5 s) before.
  expect(Date.now() - answer.at).toBeLessThan(3000)

  const again = await startServe(['--data', dir.path], env)
  running.push(again)
  const leads = (await (await fetch(`${again.url}/v1/leads`, { headers })).json()) as { items: unknown[] }
  expect(leads.items).toHaveLength(1)
}, 60_000)
