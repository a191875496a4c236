/**
 * The digest against a local SMTP server (smtp-server) and a manual clock: last week's funnel per offer next to the
 * week before, the leads waiting for a destination, text and HTML parts; sent once per period, even by a restarted
 * scheduler; daily when asked.
 */

import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createDigestScheduler, lastDigestPeriod } from '../../src/alerts/alert-digest.ts'
import { createLogger } from '../../src/logger.ts'
import { createMailer } from '../../src/notifications/mailer.ts'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let smtp: SMTPServer
let smtpUrl: string
let t: TestServer
const mails: { to: string[]; raw: string }[] = []

beforeEach(async () => {
  mails.length = 0
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString() })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}?ignoreTLS=true`
  // The clock starts on Wednesday 2026-11-25 12:00 UTC: last week is Monday 16 to Monday 23 November (2026-W47).
  t = await startTestServer({ LEADRELAY_PUBLIC_URL: 'https://leads.example.com' })
})
afterEach(async () => {
  await t.close()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

/** The body of the MIME part with this content type, quoted-printable soft breaks undone. */
function part(raw: string, contentType: string): string {
  const section = raw.split(/\r?\n--/).find((text) => new RegExp(`Content-Type: ${contentType}`, 'i').test(text))
  if (!section) return ''
  // Quoted-printable escapes are UTF-8 bytes: decoded as bytes, then read as UTF-8; lines end in CRLF on the wire.
  const bytes = section.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => `%${hex}`)
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, '%25')).replace(/\r\n/g, '\n')
}

function scheduler() {
  return createDigestScheduler({
    store: t.store,
    clock: t.clock,
    log: createLogger('silent'),
    mailer: createMailer({ url: smtpUrl, from: 'leadrelay@example.com' }),
    publicUrl: 'https://leads.example.com',
  })
}

async function call(method: 'PUT' | 'POST', url: string, body: unknown) {
  const response = await t.server.app.inject({
    method,
    url,
    headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  })
  expect(response.statusCode).toBeLessThan(300)
}

async function lead(action: string, offer: string, email: string, at: string) {
  await call('POST', '/v1/leads', {
    ...seedLead(`AzureMarketplace-${action}|${offer}`, { ...johnSmith, Email: email }),
    CreatedTime: at,
  })
}

describe('periods', () => {
  test('last whole UTC day, or last ISO week from Monday; across a year end', () => {
    const wednesday = Date.UTC(2026, 10, 25, 12)
    expect(lastDigestPeriod('daily', wednesday)).toMatchObject({
      key: '2026-11-24',
      since: Date.UTC(2026, 10, 24),
      until: Date.UTC(2026, 10, 25),
    })
    const week = lastDigestPeriod('weekly', wednesday)
    expect(week).toEqual({
      key: '2026-W47',
      since: Date.UTC(2026, 10, 16),
      until: Date.UTC(2026, 10, 23),
      previous: { since: Date.UTC(2026, 10, 9), until: Date.UTC(2026, 10, 16) },
    })
    // Monday 00:00 itself starts a new week: the one just ended is reported.
    expect(lastDigestPeriod('weekly', Date.UTC(2026, 10, 23)).key).toBe('2026-W47')
    // 2027-01-04 is the Monday of 2027-W01; the week before it is 2026-W53 (2026 has 53 ISO weeks).
    expect(lastDigestPeriod('weekly', Date.UTC(2027, 0, 5)).key).toBe('2026-W53')
    expect(lastDigestPeriod('weekly', Date.UTC(2027, 0, 12)).key).toBe('2027-W01')
  })
})

test('the weekly digest: funnel per offer against the week before, waiting leads, both parts; sent once', async () => {
  await call('PUT', '/v1/offers/contoso.crm-suite', { title: 'CRM Suite' })
  // Last week: two customers showed interest, one of them went active; the week before: one customer.
  await lead('INS', 'contoso.crm-suite', 'a@contoso.com', '2026-11-17T09:00:00Z')
  await lead('INS', 'contoso.crm-suite', 'b@contoso.com', '2026-11-18T09:00:00Z')
  await lead('PLT', 'contoso.crm-suite', 'b@contoso.com', '2026-11-19T09:00:00Z')
  await lead('INS', 'contoso.crm-suite', 'c@contoso.com', '2026-11-10T09:00:00Z')
  // An offer nobody configured: its lead waits for a destination.
  await lead('INS', 'fabrikam.unknown', 'd@fabrikam.com', '2026-11-20T09:00:00Z')
  await call('PUT', '/v1/alert-digest', { frequency: 'weekly', emails: ['sales@contoso.com'] })

  expect(await scheduler().runDue()).toBe(1)
  expect(mails).toHaveLength(1)
  expect(mails[0]?.to).toEqual(['sales@contoso.com'])
  const text = part(mails[0]!.raw, 'text/plain')
  const html = part(mails[0]!.raw, 'text/html')
  expect(mails[0]?.raw).toMatch(/Subject: Weekly lead digest for contoso: 3 leads, 2026-11-16 to\s+2026-11-22/)
  expect(text).toContain(
    [
      'CRM Suite (contoso.crm-suite)',
      '  Leads: 2 (+1; 1 before)',
      '  Interested: 2 (+1; 1 before)',
      '  Active: 1 (+1; 0 before)',
      '  Customers: 0 (±0; 0 before)',
    ].join('\n'),
  )
  expect(text).toContain('All offers\n  Leads: 3 (+2; 1 before)')
  expect(text).toContain('1 lead waiting for a destination')
  expect(text).toMatch(/fabrikam\.unknown: https:\/\/leads\.example\.com\/leads\/lead_/)
  expect(html).toContain('<td>CRM Suite (contoso.crm-suite)</td><td align="right">2 <small')
  expect(html).toContain('href="https://leads.example.com/funnel"')

  // The same period again, from this scheduler or a restarted one: nothing is sent.
  expect(await scheduler().runDue()).toBe(0)
  t.clock.advance(3 * 86_400_000)
  expect(await scheduler().runDue()).toBe(0)
  expect(mails).toHaveLength(1)
  // Next Monday, the next week.
  t.clock.advance(3 * 86_400_000)
  expect(await scheduler().runDue()).toBe(1)
  expect(mails[1]?.raw).toMatch(/2026-11-23 to\s+2026-11-29/)
})

test('daily digests follow the days; off sends nothing', async () => {
  await call('PUT', '/v1/alert-digest', { frequency: 'daily', emails: ['ops@contoso.com'] })
  const digests = scheduler()
  expect(await digests.runDue()).toBe(1)
  expect(mails[0]?.raw).toContain('Daily lead digest for contoso: 0 leads, 2026-11-24')
  expect(part(mails[0]!.raw, 'text/plain')).toContain('No lead is waiting for a destination.')
  t.clock.advance(86_400_000)
  expect(await digests.runDue()).toBe(1)
  expect(mails[1]?.raw).toContain('2026-11-25')
  await call('PUT', '/v1/alert-digest', { frequency: 'off', emails: [] })
  t.clock.advance(86_400_000)
  expect(await digests.runDue()).toBe(0)
  expect(mails).toHaveLength(2)
})

test('the alert dispatcher of serve and worker sends due digests by itself', async () => {
  const withSmtp = await startTestServer({ LEADRELAY_SMTP_URL: smtpUrl })
  try {
    await withSmtp.store.putDigestSettings(
      withSmtp.tenant.tenant.id,
      { frequency: 'weekly', emails: ['sales@contoso.com'] },
      withSmtp.clock.now(),
    )
    withSmtp.server.alerts.start()
    const deadline = Date.now() + 10_000
    while (mails.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    await withSmtp.server.alerts.stop()
    expect(mails).toHaveLength(1)
    expect(mails[0]?.raw).toContain('Weekly lead digest for contoso')
  } finally {
    await withSmtp.close()
  }
})
