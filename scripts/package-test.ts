/**
 * `npm run test:package`: the package as a publisher installs it. Packs Leadrelay (`prepack` builds it), installs the
 * tarball with `--omit=dev` into an empty folder, starts `leadrelay serve` from there, has a Microsoft lead delivered
 * to a local webhook, stops it with SIGTERM while a delivery attempt and an ingest request are in flight, and checks
 * after a restart that nothing was lost or sent twice. The Dockerfile runs the same install steps.
 *
 * `LEADRELAY_PACKAGE_TARBALL=<file>` reuses a packed tarball instead of packing again.
 */

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startWebhookSink, type WebhookSink } from '../test/helpers/webhook-sink.ts'
import { installPackage, packPackage, plainEnv } from './package-install.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const startedAt = Date.now()

function step(text: string): void {
  process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(1)} s] ${text}\n`)
}

const metricsToken = 'package-test-metrics-token'

/** Scrapes /metrics until `name{labels}` reaches `value`: the delivery thread reports its attempts once a second. */
async function waitForMetric(base: string, sample: string, value: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text()
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `))
    if (line !== undefined && Number(line.slice(sample.length + 1)) === value) return
    assert.ok(Date.now() < deadline, `/metrics never showed ${sample} ${value}:\n${line ?? 'no such sample'}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

interface Serve {
  readonly child: ChildProcess
  readonly url: string
  readonly stderr: () => string
}

async function startServe(appDir: string, dataDir: string): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      join(appDir, 'node_modules', '.bin', 'leadrelay'),
      'serve',
      '--port',
      '0',
      '--data',
      dataDir,
      '--print-credentials',
    ],
    {
      cwd: appDir,
      env: plainEnv({
        LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
        LEADRELAY_LOG_LEVEL: 'warn',
        LEADRELAY_METRICS_TOKEN: metricsToken,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout} ${stderr}`)), 30_000)
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk)
      const match = stdout.match(/listening on (http:\/\/\S+)/)
      if (match?.[1]) {
        clearTimeout(timer)
        setTimeout(() => resolve(match[1] as string), 50)
      }
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
  return { child, url, stderr: () => stderr }
}

async function stopWithSigterm(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  child.kill('SIGTERM')
  const [code] = await exited
  return code
}

/** A POST whose body arrives in two parts, so the request is in flight while the process is told to stop. */
function slowPost(
  url: string,
  body: string,
): { sendRest(): void; response: Promise<{ status: number; body: string }> } {
  const half = Math.floor(body.length / 2)
  const target = new URL(url)
  let sendRest = () => {}
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        let text = ''
        incoming.on('data', (chunk) => {
          text += String(chunk)
        })
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text }))
      },
    )
    outgoing.on('error', reject)
    outgoing.write(body.slice(0, half))
    sendRest = () => outgoing.end(body.slice(half))
  })
  return { sendRest: () => sendRest(), response }
}

function microsoftLead(template: Record<string, unknown>, email: string): string {
  const details = template.UserDetails as Record<string, unknown>
  return JSON.stringify({ ...template, UserDetails: { ...details, Email: email } })
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'leadrelay-package-'))
  const appDir = join(work, 'app')
  const dataDir = join(work, 'data')
  mkdirSync(appDir)
  let sink: WebhookSink | undefined
  const children: ChildProcess[] = []
  try {
    step('packing (prepack builds the package)')
    const tarball = await packPackage(root, work)
    step(`installing ${tarball} with --omit=dev into an empty folder`)
    await installPackage(root, tarball, appDir)
    const installed = join(appDir, 'node_modules')
    for (const devOnly of ['tsx', 'typescript', 'vite', 'vitest', 'esbuild', '@biomejs/biome']) {
      assert.ok(!existsSync(join(installed, devOnly)), `${devOnly} was installed with --omit=dev`)
    }
    assert.ok(!existsSync(join(installed, 'leadrelay', 'src')), 'the package carries TypeScript sources')
    assert.ok(existsSync(join(installed, 'leadrelay', 'dist', 'cli', 'run.js')), 'the package has no build')
    assert.ok(existsSync(join(installed, 'leadrelay', 'web', 'dist', 'index.html')), 'the package has no portal')
    assert.ok(existsSync(join(installed, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')))

    sink = await startWebhookSink()
    step('starting leadrelay serve from the installed package')
    const first = await startServe(appDir, dataDir)
    children.push(first.child)
    const apiKey = first.stderr().match(/API key:\s+(\S+)/)?.[1]
    const ingestUrl = first.stderr().match(/Ingest URL:\s+(\S+)/)?.[1]
    assert.ok(apiKey && ingestUrl, `serve printed no credentials: ${first.stderr()}`)
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }

    const health = await fetch(`${first.url}/healthz`)
    assert.equal(health.status, 200)
    const portal = await fetch(`${first.url}/`)
    assert.equal(portal.status, 200)
    assert.match(await portal.text(), /<div id="root">/)

    const created = await fetch(`${first.url}/v1/destinations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'webhook', name: 'local sink', config: { url: sink.url } }),
    })
    assert.equal(created.status, 201, await created.clone().text())
    const destination = (await created.json()) as { id: string }
    const routed = await fetch(`${first.url}/v1/routes/default`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ destinations: [destination.id] }),
    })
    assert.equal(routed.status, 200, await routed.clone().text())

    // The example the package ships is Microsoft's documented lead format.
    const template = JSON.parse(
      readFileSync(join(installed, 'leadrelay', 'examples', 'microsoft-lead.json'), 'utf8'),
    ) as Record<string, unknown>
    step('ingesting a Microsoft lead at the ingest URL')
    const ingested = await fetch(ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: microsoftLead(template, 'first@contoso.com'),
    })
    assert.equal(ingested.status, 202, await ingested.clone().text())
    const [delivered] = await sink.waitForRequests(1, 20_000)
    assert.match(delivered?.body ?? '', /first@contoso\.com/)
    await waitForMetric(
      first.url,
      'leadrelay_leads_received_total{source="AzureMarketplace",action="INS",outcome="accepted"}',
      1,
    )
    // Counted on the delivery thread, reported to the main thread that serves /metrics.
    await waitForMetric(first.url, 'leadrelay_deliveries_total{destination_kind="webhook",outcome="delivered"}', 1)

    step('SIGTERM with a delivery attempt and an ingest request in flight')
    sink.respondWith({ status: 200, delayMs: 4000 })
    const second = await fetch(ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: microsoftLead(template, 'second@contoso.com'),
    })
    assert.equal(second.status, 202)
    await sink.waitForRequests(2, 20_000)
    const third = slowPost(ingestUrl, microsoftLead(template, 'third@contoso.com'))
    await new Promise((resolve) => setTimeout(resolve, 200))
    const stopped = stopWithSigterm(first.child)
    await new Promise((resolve) => setTimeout(resolve, 300))
    third.sendRest()
    const thirdAnswer = await third.response
    assert.equal(thirdAnswer.status, 202, `the request in flight at SIGTERM was answered ${thirdAnswer.status}`)
    assert.equal(await stopped, 0, 'serve did not exit cleanly on SIGTERM')
    step(`serve exited; the webhook had ${sink.received.length} requests`)

    step('restarting: every lead stored, each delivered exactly once')
    sink.respondWith({ status: 200 })
    const again = await startServe(appDir, dataDir)
    children.push(again.child)
    const leads = (await (await fetch(`${again.url}/v1/leads?limit=50`, { headers })).json()) as {
      items: Array<{ id: string }>
    }
    assert.equal(leads.items.length, 3)
    const deadline = Date.now() + 20_000
    for (;;) {
      const page = (await (await fetch(`${again.url}/v1/deliveries?state=delivered&limit=50`, { headers })).json()) as {
        items: Array<{ leadId: string; attempts: number }>
      }
      if (page.items.length === 3) {
        // The attempt in flight at SIGTERM finished and was recorded: one attempt each, none sent again.
        for (const delivery of page.items) assert.equal(delivery.attempts, 1)
        break
      }
      assert.ok(Date.now() < deadline, `only ${page.items.length} of 3 deliveries delivered`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const emails = sink.received.map((received) => received.body.match(/(\w+)@contoso\.com/)?.[1])
    assert.deepEqual(emails.sort(), ['first', 'second', 'third'])
    assert.equal(await stopWithSigterm(again.child), 0)
    step('the installed package passed')
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await sink?.close()
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`package test failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`)
  process.exitCode = 1
})
