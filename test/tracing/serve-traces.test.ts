/**
 * `serve` with OTEL_EXPORTER_OTLP_ENDPOINT set exports its traces to an OTLP/HTTP receiver: the ingest span from the
 * main thread, the attempt span from the delivery thread (or from a `leadrelay worker` process on PostgreSQL), linked
 * by the trace context stored with the delivery. The
 * receiver is a plain HTTP server reading the OTLP JSON encoding as the specification writes it
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding: ids as hex strings, attributes as key and
 * AnyValue), so the exporter's own code does not check itself.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { afterEach, expect, test } from 'vitest'
import { binPath, printedApiKey, type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { dropSchema, newSchemaName, postgresSkipReason, postgresUrl, urlWithSchema } from '../helpers/postgres.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

interface AnyValue {
  stringValue?: string
  intValue?: number | string
  boolValue?: boolean
  doubleValue?: number
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: Array<{ key: string; value: AnyValue }>
  links?: Array<{ traceId: string; spanId: string }>
  status?: { code?: number }
}
interface ExportRequest {
  resourceSpans: Array<{
    resource?: { attributes?: Array<{ key: string; value: AnyValue }> }
    scopeSpans: Array<{ scope?: { name?: string }; spans: OtlpSpan[] }>
  }>
}

interface Receiver {
  readonly url: string
  readonly bodies: string[]
  readonly requests: Array<{ path: string; contentType: string; authorization: string }>
  close(): Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  const bodies: string[] = []
  const requests: Receiver['requests'] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'))
      requests.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        authorization: request.headers.authorization ?? '',
      })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function plainValue(value: AnyValue): string | number | boolean | undefined {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  return value.boolValue ?? value.doubleValue
}

function spansOf(bodies: readonly string[]): Array<OtlpSpan & { service: unknown }> {
  return bodies.flatMap((body) =>
    (JSON.parse(body) as ExportRequest).resourceSpans.flatMap((resourceSpans) => {
      const service = resourceSpans.resource?.attributes?.find(({ key }) => key === 'service.name')?.value
      return resourceSpans.scopeSpans.flatMap((scope) =>
        scope.spans.map((span) => ({ ...span, service: service && plainValue(service) })),
      )
    }),
  )
}

function exitOf(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) => child.once('exit', resolve))
}

function attributesOf(span: OtlpSpan): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, plainValue(value)]))
}

let receiver: Receiver | undefined
let sink: WebhookSink | undefined
const running: RunningServe[] = []
const workers: ChildProcess[] = []
const dirs: Array<{ remove(): void }> = []
let schema: string | undefined
afterEach(async () => {
  for (const serve of running.splice(0)) await stopProcess(serve.child, 'SIGKILL')
  for (const worker of workers.splice(0)) await stopProcess(worker, 'SIGKILL')
  if (schema) await dropSchema(schema)
  schema = undefined
  await sink?.close()
  await receiver?.close()
  for (const dir of dirs.splice(0)) dir.remove()
})

const customer = {
  FirstName: 'Ingrid',
  LastName: 'Tracewell',
  Email: 'ingrid.tracewell@contoso.com',
  Phone: '+44 20 7946 0958',
  Company: 'Contoso Tracing',
  Country: 'GB',
  Title: 'Head of Procurement',
}

test('an ingest and the attempt it caused reach an OTLP receiver as linked spans, without personal data', async () => {
  const dir = createTempDir()
  dirs.push(dir)
  receiver = await startReceiver()
  sink = await startWebhookSink()
  const serve = await startServe(['--data', dir.path, '--print-credentials'], {
    LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'leadrelay-under-test',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-token',
  })
  running.push(serve)
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${printedApiKey(serve)}` }
  const created = await fetch(`${serve.url}/v1/destinations`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ kind: 'webhook', name: 'sink', config: { url: sink.url } }),
  })
  const destination = (await created.json()) as { id: string }
  await fetch(`${serve.url}/v1/routes/default`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ destinations: [destination.id] }),
  })
  const posted = await fetch(`${serve.url}/v1/leads`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ LeadSource: 'AzureMarketplace-INS|contoso.crm', CustomerInfo: customer }),
  })
  expect(posted.status).toBe(202)
  const receipt = (await posted.json()) as { eventId: string; leadId: string }
  await sink.waitForRequests(1, 20_000)
  // A refused lead is traced too, with its error code.
  const refused = await fetch(`${serve.url}/v1/leads`, { method: 'POST', headers, body: '{"LeadSource": 7}' })
  expect(refused.status).toBe(400)
  const refusal = (await refused.json()) as { code: string }

  // SIGTERM flushes both threads' buffered spans before the process ends.
  const exited = new Promise((resolve) => serve.child.once('exit', resolve))
  serve.child.kill('SIGTERM')
  await exited

  expect(receiver.requests.length).toBeGreaterThan(0)
  for (const request of receiver.requests) {
    expect(request).toEqual({
      path: '/v1/traces',
      contentType: 'application/json',
      authorization: 'Bearer collector-token',
    })
  }
  const exports = receiver.bodies.map((body) => JSON.parse(body) as ExportRequest)
  for (const exported of exports) {
    for (const resourceSpans of exported.resourceSpans) {
      const resource = Object.fromEntries(
        (resourceSpans.resource?.attributes ?? []).map(({ key, value }) => [key, plainValue(value)]),
      )
      expect(resource['service.name']).toBe('leadrelay-under-test')
    }
  }
  const spans = exports.flatMap((exported) =>
    exported.resourceSpans.flatMap((resourceSpans) => resourceSpans.scopeSpans.flatMap((scope) => scope.spans)),
  )
  const ingests = spans.filter((span) => span.name === 'ingest lead')
  const accepted = ingests.find((span) => attributesOf(span)['leadrelay.ingest.outcome'] === 'accepted')
  expect(accepted).toBeDefined()
  expect(accepted!.kind).toBe(4) // SPAN_KIND_PRODUCER
  expect(attributesOf(accepted!)).toMatchObject({
    'leadrelay.tenant.id': expect.any(String),
    'leadrelay.lead.source': 'AzureMarketplace',
    'leadrelay.lead.action': 'INS',
    'leadrelay.event.id': receipt.eventId,
    'leadrelay.lead.id': receipt.leadId,
    'leadrelay.deliveries.queued': 1,
  })
  const rejected = ingests.find((span) => attributesOf(span)['leadrelay.ingest.outcome'] === 'rejected')
  expect(attributesOf(rejected!)['error.type']).toBe(refusal.code)

  const attempts = spans.filter((span) => span.name === 'deliver lead')
  expect(attempts).toHaveLength(1)
  const attempt = attempts[0]!
  expect(attempt.kind).toBe(3) // SPAN_KIND_CLIENT
  expect(attributesOf(attempt)).toMatchObject({
    'leadrelay.destination.kind': 'webhook',
    'leadrelay.destination.id': destination.id,
    'leadrelay.attempt.number': 1,
    'leadrelay.attempt.outcome': 'delivered',
    'http.response.status_code': 200,
  })
  // Linked to the ingest, not its child: a trace of its own, whose link names the ingest span.
  expect(attempt.links).toEqual([expect.objectContaining({ traceId: accepted!.traceId, spanId: accepted!.spanId })])
  expect(attempt.traceId).not.toBe(accepted!.traceId)
  expect(attempt.parentSpanId ?? '').toBe('')

  // No personal data anywhere in what was exported: not in an attribute, a name, or the resource.
  const everything = receiver.bodies.join('\n').toLowerCase()
  for (const value of Object.values(customer).filter((value) => value.length > 2)) {
    expect(everything).not.toContain(value.toLowerCase())
  }
  expect(everything).not.toContain('7946')
}, 60_000)

test.skipIf(postgresSkipReason !== undefined)(
  'on PostgreSQL, an attempt made by a separate worker process links to the ingest the serve process traced',
  async () => {
    schema = newSchemaName()
    const admin = new pg.Client({ connectionString: postgresUrl })
    await admin.connect()
    await admin.query(`create schema "${schema}"`)
    await admin.end()
    const dir = createTempDir()
    dirs.push(dir)
    receiver = await startReceiver()
    sink = await startWebhookSink()
    const env = {
      DATABASE_URL: urlWithSchema(schema),
      LEADRELAY_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
      LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
    }
    const serve = await startServe(['--data', dir.path, '--print-credentials', '--no-worker'], {
      ...env,
      OTEL_SERVICE_NAME: 'leadrelay-intake',
    })
    running.push(serve)
    const worker = spawn(process.execPath, [binPath, 'worker', '--data', dir.path], {
      env: { ...process.env, LEADRELAY_LOG_LEVEL: 'warn', ...env, OTEL_SERVICE_NAME: 'leadrelay-worker' },
      stdio: 'ignore',
    })
    workers.push(worker)
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${printedApiKey(serve)}` }
    const created = await fetch(`${serve.url}/v1/destinations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'webhook', name: 'sink', config: { url: sink.url } }),
    })
    const destination = (await created.json()) as { id: string }
    await fetch(`${serve.url}/v1/routes/default`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ destinations: [destination.id] }),
    })
    const posted = await fetch(`${serve.url}/v1/leads`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ LeadSource: 'AzureMarketplace-INS|contoso.crm', CustomerInfo: customer }),
    })
    expect(posted.status).toBe(202)
    await sink.waitForRequests(1, 20_000)
    for (const child of [serve.child, worker]) {
      const exited = exitOf(child)
      child.kill('SIGTERM')
      await exited
    }

    const spans = spansOf(receiver.bodies)
    const ingest = spans.find((span) => span.name === 'ingest lead')
    const attempt = spans.find((span) => span.name === 'deliver lead')
    expect(ingest?.service).toBe('leadrelay-intake')
    expect(attempt?.service).toBe('leadrelay-worker')
    expect(attempt!.links).toEqual([expect.objectContaining({ traceId: ingest!.traceId, spanId: ingest!.spanId })])
    expect(attributesOf(attempt!)).toMatchObject({
      'leadrelay.attempt.outcome': 'delivered',
      'leadrelay.attempt.number': 1,
    })
    const everything = receiver.bodies.join('\n').toLowerCase()
    for (const value of Object.values(customer).filter((value) => value.length > 2)) {
      expect(everything).not.toContain(value.toLowerCase())
    }
  },
  60_000,
)
