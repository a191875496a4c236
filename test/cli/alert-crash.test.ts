/**
 * Alerts through real processes: `serve` killed with SIGKILL after the lead's commit and before the channel answered
 * still gets the alert out exactly once after a restart (queued in the lead's transaction, leased, sent again under
 * the same id); and the CLI lists rules and sends a rule's test alert.
 */

import { afterEach, expect, test } from 'vitest'
import { verifyWebhook } from '../../src/destinations/webhook/signing.ts'
import { printedApiKey, type RunningServe, runCli, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const running: RunningServe[] = []
let sink: WebhookSink | undefined
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child, 'SIGKILL')
  await sink?.close()
})

const env = {
  LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
  // A short lease, so the alert the killed process held comes back within the test.
  LEADRELAY_ATTEMPT_TIMEOUT: '2s',
  LEADRELAY_LEASE: '6s',
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('kill -9 between the commit and the send: after a restart the alert arrives exactly once', async () => {
  const dir = createTempDir()
  // The receiver holds the first request open (the alert is on the wire when serve dies), then accepts.
  sink = await startWebhookSink({ reply: (_request, index) => (index === 0 ? { hang: true } : { status: 202 }) })
  const first = await startServe(['--data', dir.path, '--print-credentials'], env)
  running.push(first)
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${printedApiKey(first)}` }
  const post = async (base: string, path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
    return { status: response.status, body: (await response.json()) as any }
  }
  const secret = `whsec_${Buffer.from('alert-crash-test-signing-secret-0123456789').toString('base64')}`
  const channel = await post(first.url, '/v1/alert-channels', {
    kind: 'webhook',
    name: 'Sales desk',
    config: { url: sink.url },
    secrets: { signingSecret: secret },
  })
  expect(channel.status).toBe(201)
  const rule = await post(first.url, '/v1/alert-rules', {
    name: 'Contact me on CRM Suite',
    criteria: { stage: 'initial_interest', offers: ['contoso.crm-suite'] },
    channelIds: [channel.body.id],
  })
  expect(rule.status).toBe(201)
  // The rules cache of ingest reloads within 2 s of a change (docs/decisions/0007-alerts.md).
  await sleep(2100)
  const lead = await post(first.url, '/v1/leads', {
    LeadSource: 'AzureMarketplace-INS|contoso.crm-suite',
    CustomerInfo: { Email: 'ada@contoso.com', FirstName: 'Ada', Company: 'Contoso' },
  })
  expect(lead.status).toBe(202)
  await sink.waitForRequests(1, 15_000)
  first.child.kill('SIGKILL')
  await new Promise((resolve) => first.child.once('exit', resolve))
  running.splice(running.indexOf(first), 1)

  const second = await startServe(['--data', dir.path], env)
  running.push(second)
  await sink.waitForRequests(2, 30_000)
  // Time for a third send, if one were coming.
  await sleep(1500)
  expect(sink.received).toHaveLength(2)
  const [held, accepted] = sink.received
  expect(held?.headers['webhook-id']).toBe(accepted?.headers['webhook-id'])
  const check = verifyWebhook({
    secret,
    body: accepted!.body,
    headers: accepted!.headers,
    now: Date.now(),
    toleranceSeconds: 600,
  })
  expect(check.ok).toBe(true)
  expect(JSON.stringify(accepted?.json)).toContain('ada@contoso.com')

  const alerts = (await (await fetch(`${second.url}/v1/leads/${lead.body.leadId}/alerts`, { headers })).json()) as {
    items: { id: string; state: string; ruleName: string }[]
  }
  expect(alerts.items).toHaveLength(1)
  expect(alerts.items[0]).toMatchObject({ state: 'delivered', ruleName: 'Contact me on CRM Suite' })
  const send = (await (await fetch(`${second.url}/v1/alert-sends/${alerts.items[0]!.id}`, { headers })).json()) as {
    attemptLog: { outcome: string }[]
  }
  // The killed attempt left no record; the one after the restart did.
  expect(send.attemptLog.map((attempt) => attempt.outcome)).toEqual(['delivered'])
  await stopProcess(second.child)
  running.splice(running.indexOf(second), 1)

  // The CLI, against the same store.
  const listed = await runCli(['alerts', 'list', '--data', dir.path], env)
  expect(listed.code).toBe(0)
  expect(listed.stdout).toContain('Contact me on CRM Suite')
  expect(listed.stdout).toContain('reaches initial_interest; offers contoso.crm-suite')
  expect(listed.stdout).toContain('Sales desk')

  const tested = await runCli(['alerts', 'test', 'contact me on crm suite', '--data', dir.path], env)
  expect(tested.stdout).toBe('Sales desk [webhook]: sent (HTTP 202).\n')
  expect(tested.code).toBe(0)
  expect(sink.received).toHaveLength(3)
  expect(JSON.stringify(sink.received[2]?.json)).toContain('Contact me on CRM Suite')

  sink.respondWith({ status: 410 })
  const failed = await runCli(['alerts', 'test', rule.body.id, '--data', dir.path], env)
  expect(failed.code).toBe(1)
  expect(failed.stdout).toMatch(/^Sales desk \[webhook\]: FAILED \(HTTP 410\): /)

  const unknown = await runCli(['alerts', 'test', 'nope', '--data', dir.path], env)
  expect(unknown.code).not.toBe(0)
  expect(unknown.stderr).toContain('Contact me on CRM Suite')
  const help = await runCli(['alerts', 'test', '--help'])
  expect(help.stdout).toContain('leadrelay alerts test <rule id or name>')
  dir.remove()
}, 120_000)
