import { afterEach, expect, test } from 'vitest'
import { printedApiKey, type RunningServe, runCli, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const env = { LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true' }
let serve: RunningServe | undefined
let sink: WebhookSink | undefined
afterEach(async () => {
  if (serve) await stopProcess(serve.child)
  await sink?.close()
})

test('publish, destinations list, replay with progress, and the audit trail, from the CLI', async () => {
  const dir = createTempDir()
  sink = await startWebhookSink({ reply: { status: 400, body: '{"error":"rejected"}' } })
  serve = await startServe(['--data', dir.path, '--print-credentials'], env)
  const apiKey = printedApiKey(serve)
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
  const created = (await (
    await fetch(`${serve.url}/v1/destinations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'webhook', name: 'intake', config: { url: sink.url } }),
    })
  ).json()) as { id: string }
  await fetch(`${serve.url}/v1/offers/contoso.crm-suite`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ title: 'Contoso CRM', destinations: [created.id] }),
  })
  for (let n = 0; n < 3; n++) {
    await fetch(`${serve.url}/v1/leads`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
        CustomerInfo: { Email: `c${n}@example.com` },
      }),
    })
  }
  while (sink.received.length < 3) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 300))
  await stopProcess(serve.child)
  serve = undefined

  // A failing destination: publish says why, and the offer stays in draft (exit code 1).
  const failed = await runCli(['offers', 'publish', 'contoso.crm-suite', '--data', dir.path], env)
  expect(failed.code).toBe(1)
  expect(failed.stdout).toContain('FAILED')
  expect(failed.stdout).toMatch(/400/)
  expect(failed.stdout).toContain('stays in draft')

  sink.respondWith({ status: 200 })
  const published = await runCli(['offers', 'publish', 'contoso.crm-suite', '--data', dir.path], env)
  expect(published.code).toBe(0)
  expect(published.stdout).toContain('passed')
  expect(published.stdout).toContain('is live')
  const testLead = sink.received.at(-1)!.json as {
    type: string
    data: { isTest: boolean; customer: { firstName: string } }
  }
  expect(testLead.type).toBe('lead.test')
  expect(testLead.data.isTest).toBe(true)
  expect(testLead.data.customer.firstName).toMatch(/^LEADRELAY_TEST_\d+$/)

  const listed = await runCli(['destinations', 'list', '--data', dir.path], env)
  expect(listed.stdout).toContain(created.id)
  expect(listed.stdout).toContain('active')

  const replay = await runCli(['deliveries', 'replay', '--state', 'dead', '--data', dir.path], env)
  expect(replay.code).toBe(0)
  expect(JSON.parse(replay.stdout.trim().split('\n').at(-1)!)).toEqual({ replayed: 3, skipped: 0 })
  expect(replay.stderr).toContain('Replaying: 3/3')
  const again = await runCli(['deliveries', 'replay', '--state', 'dead', '--data', dir.path], env)
  expect(again.stdout).toContain('Nothing to replay')

  const before = sink.received.length
  serve = await startServe(['--data', dir.path, '--print-credentials'], env)
  while (sink.received.length < before + 3) await new Promise((resolve) => setTimeout(resolve, 20))
  const audit = (await (await fetch(`${serve.url}/v1/audit`, { headers })).json()) as {
    items: { action: string; actor: string }[]
  }
  const replayEntry = audit.items.find((entry) => entry.action === 'deliveries.replayed')
  expect(replayEntry?.actor).toMatch(/^cli:/)
  expect(audit.items.some((entry) => entry.action === 'offer.published')).toBe(true)
  dir.remove()
}, 90_000)
