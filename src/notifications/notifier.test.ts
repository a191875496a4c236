import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { SMTPServer } from 'smtp-server'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createManualClock } from '../core/ports.ts'
import { type HttpClient, HttpClientError } from '../destinations/http-client.ts'
import { createLogger } from '../logger.ts'
import { createNotifier, type DestinationHealthEvent, type NotificationContacts } from './notifier.ts'

/** A bare HttpClient over fetch for tests; the real one (SSRF guard) would refuse 127.0.0.1. */
const testHttp: HttpClient = {
  async send(request) {
    try {
      const response = await fetch(request.url, {
        method: request.method,
        ...(request.headers && { headers: request.headers }),
        ...(request.body !== undefined && { body: request.body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(request.timeoutMs ?? 5_000),
      })
      const headers: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        headers[name] = value
      })
      return { status: response.status, headers, body: await response.text(), truncated: false }
    } catch (error) {
      throw new HttpClientError('network', `request to ${request.url} failed`, { cause: error })
    }
  },
}

interface ReceivedMail {
  from: string | undefined
  to: string[]
  raw: string
}

const mails: ReceivedMail[] = []
const rejected = 'blocked@example.org'
let smtpServer: SMTPServer
let smtpPort: number

interface ReceivedHook {
  url: string
  headers: IncomingHttpHeaders
  body: string
}
const hooks: ReceivedHook[] = []
let hookStatus = 204
let hookServer: Server
let hookBase: string

function listen(server: { listen(port: number, host: string, cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
}

beforeAll(async () => {
  smtpServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address === rejected)
        callback(Object.assign(new Error(`No such user ${rejected}`), { responseCode: 550 }))
      else callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await listen(smtpServer)
  smtpPort = (smtpServer.server.address() as AddressInfo).port

  hookServer = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      hooks.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      response.writeHead(hookStatus).end()
    })
  })
  await listen(hookServer)
  hookBase = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => smtpServer.close(() => resolve()))
  await new Promise<void>((resolve) => hookServer.close(() => resolve()))
})

afterEach(() => {
  mails.length = 0
  hooks.length = 0
  hookStatus = 204
})

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await listen(server)
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Headers (unfolded) and the decoded text body of a single-part message. */
function parseMail(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n')
  const headers = new Map<string, string>()
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
  }
  let body = raw.slice(split + 4)
  const encoding = headers.get('content-transfer-encoding')?.toLowerCase()
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    body = Buffer.from(bytes, 'latin1').toString('utf8')
  } else if (encoding === 'base64') {
    body = Buffer.from(body, 'base64').toString('utf8')
  }
  return { headers, text: body.replace(/\r\n/g, '\n') }
}

/** Decodes RFC 2047 encoded words, in case the subject needed them. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_match, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : Buffer.from(
            data
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    )
}

function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'))
      callback()
    },
  })
  return { log: createLogger('info', stream), lines }
}

const clock = createManualClock(Date.UTC(2026, 2, 4, 9, 30))

const paused: DestinationHealthEvent = {
  kind: 'destination.paused',
  tenantId: 'ten_1',
  tenantName: 'Contoso Apps',
  destinationId: 'dst_1',
  destinationName: 'Salesforce prod',
  destinationKind: 'salesforce',
  reason: 'Salesforce rejected the credentials (INVALID_SESSION_ID)',
  at: Date.UTC(2026, 2, 4, 9, 29),
  pendingDeliveries: 12,
}

const secretHookPath = '/hooks/T000/B000/s3cr3t-hook-token'

function notifier(options: { smtpPort?: number; smtp?: false; http?: HttpClient } = {}) {
  const { log, lines } = capture()
  const smtp =
    options.smtp === false
      ? undefined
      : {
          url: `smtp://127.0.0.1:${options.smtpPort ?? smtpPort}?ignoreTLS=true`,
          from: 'Leadrelay <alerts@leadrelay.test>',
        }
  return { notifier: createNotifier({ http: options.http ?? testHttp, ...(smtp && { smtp }), log, clock }), lines }
}

describe('createNotifier', () => {
  it('emails the contacts and posts the event to the alert webhook', async () => {
    const { notifier: n, lines } = notifier()
    const contacts: NotificationContacts = {
      emails: ['ops@contoso.example', 'sales@contoso.example'],
      webhookUrl: `${hookBase}${secretHookPath}`,
    }
    const result = await n.notify(contacts, paused)
    expect(result).toEqual({ email: 'sent', webhook: 'sent', errors: [] })

    expect(mails).toHaveLength(1)
    const mail = mails[0]!
    expect(mail.from).toBe('alerts@leadrelay.test')
    expect(mail.to).toEqual(['ops@contoso.example', 'sales@contoso.example'])
    const { headers, text } = parseMail(mail.raw)
    expect(decodeHeader(headers.get('subject')!)).toBe(
      '[Leadrelay] Destination "Salesforce prod" paused: Salesforce rejected the credentials (INVALID_SESSION_ID)',
    )
    expect(headers.get('x-leadrelay-event')).toBe('destination.paused')
    expect(text).toContain('paused delivery to the destination "Salesforce prod" (salesforce, id dst_1)')
    expect(text).toContain('2026-03-04T09:29:00.000Z')
    expect(text).toContain('Reason: Salesforce rejected the credentials (INVALID_SESSION_ID)')
    expect(text).toContain('12 leads are waiting for this destination and will be delivered')
    expect(text).toContain('Leadrelay keeps receiving and storing new leads')
    expect(text).toContain('leadrelay destinations verify dst_1')
    expect(text).toContain('POST /v1/destinations/dst_1/verify')

    expect(hooks).toHaveLength(1)
    const hook = hooks[0]!
    expect(hook.url).toBe(secretHookPath)
    expect(hook.headers['content-type']).toBe('application/json')
    expect(hook.headers['user-agent']).toMatch(/^leadrelay\//)
    expect(JSON.parse(hook.body)).toEqual({
      type: 'destination.paused',
      timestamp: '2026-03-04T09:30:00.000Z',
      data: paused,
    })

    const log = lines.join('')
    expect(log).toContain('notification sent')
    expect(log).not.toContain('contoso.example')
    expect(log).not.toContain('s3cr3t-hook-token')
  })

  it('words a recovery without a reason and without asking for action', async () => {
    const { notifier: n } = notifier()
    const result = await n.notify(
      { emails: ['ops@contoso.example'] },
      { ...paused, kind: 'destination.recovered', reason: undefined, pendingDeliveries: undefined },
    )
    expect(result).toEqual({ email: 'sent', webhook: 'skipped', errors: [] })
    const { headers, text } = parseMail(mails[0]!.raw)
    expect(decodeHeader(headers.get('subject')!)).toBe('[Leadrelay] Destination "Salesforce prod" recovered')
    expect(text).toContain('nothing was lost')
    expect(text).not.toContain('What to do')
  })

  it('keeps a newline in a name out of the subject', async () => {
    const { notifier: n } = notifier()
    await n.notify(
      { emails: ['ops@contoso.example'] },
      { ...paused, kind: 'destination.disabled', destinationName: 'CRM\r\nBcc: evil@example.com', reason: 'HTTP 410' },
    )
    expect(mails[0]!.to).toEqual(['ops@contoso.example'])
    const { headers } = parseMail(mails[0]!.raw)
    expect(headers.has('bcc')).toBe(false)
    expect(decodeHeader(headers.get('subject')!)).toBe(
      '[Leadrelay] Destination "CRM Bcc: evil@example.com" disabled: HTTP 410',
    )
  })

  it('reports a down SMTP server as failed, without throwing, and still calls the webhook', async () => {
    const { notifier: n, lines } = notifier({ smtpPort: await closedPort() })
    const result = await n.notify({ emails: ['ops@contoso.example'], webhookUrl: `${hookBase}/alerts` }, paused)
    expect(result.email).toBe('failed')
    expect(result.webhook).toBe('sent')
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toMatch(/^email: /)
    expect(result.errors[0]).not.toContain('contoso.example')
    expect(hooks).toHaveLength(1)
    const log = lines.join('')
    expect(log).toContain('notification not sent')
    expect(log).not.toContain('contoso.example')
  })

  it('reports a rejected recipient without naming the address', async () => {
    const { notifier: n, lines } = notifier()
    const result = await n.notify({ emails: [rejected] }, paused)
    expect(result.email).toBe('failed')
    expect(result.errors[0]).toMatch(/^email: EENVELOPE/)
    expect(result.errors.join(' ')).not.toContain(rejected)
    expect(lines.join('')).not.toContain(rejected)
  })

  it('reports a failing or unreachable webhook as failed, without the URL', async () => {
    hookStatus = 500
    const failing = await notifier().notifier.notify({ emails: [], webhookUrl: `${hookBase}${secretHookPath}` }, paused)
    expect(failing).toEqual({ email: 'skipped', webhook: 'failed', errors: ['webhook: answered HTTP 500'] })

    const { notifier: n, lines } = notifier()
    const url = `http://127.0.0.1:${await closedPort()}${secretHookPath}`
    const down = await n.notify({ emails: [], webhookUrl: url }, paused)
    expect(down.webhook).toBe('failed')
    expect(down.errors[0]).toMatch(/^webhook: network/)
    expect(down.errors[0]).not.toContain('s3cr3t-hook-token')
    expect(lines.join('')).not.toContain('s3cr3t-hook-token')
  })

  it('survives an HttpClient that throws something unexpected', async () => {
    const http: HttpClient = { send: () => Promise.reject(new TypeError('boom')) }
    const result = await notifier({ http }).notifier.notify({ emails: [], webhookUrl: `${hookBase}/x` }, paused)
    expect(result).toEqual({ email: 'skipped', webhook: 'failed', errors: ['webhook: unexpected TypeError'] })
  })

  it('skips both channels when there are no contacts', async () => {
    const send = vi.fn<HttpClient['send']>()
    const result = await notifier({ http: { send } }).notifier.notify({ emails: [' ', ''] }, paused)
    expect(result).toEqual({ email: 'skipped', webhook: 'skipped', errors: [] })
    expect(send).not.toHaveBeenCalled()
    expect(mails).toHaveLength(0)
  })

  it('skips email and says so when SMTP is not configured', async () => {
    const result = await notifier({ smtp: false }).notifier.notify({ emails: ['ops@contoso.example'] }, paused)
    expect(result.email).toBe('skipped')
    expect(result.errors).toEqual(['email: not sent to 1 recipient(s), SMTP is not configured'])
  })
})
