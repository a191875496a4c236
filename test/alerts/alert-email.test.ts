/** The email channel against a local SMTP server (smtp-server): one message with a plain-text and an HTML part. */

import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let smtp: SMTPServer
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
  const port = (smtp.server.address() as AddressInfo).port
  t = await startTestServer({
    LEADRELAY_SMTP_URL: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    LEADRELAY_PUBLIC_URL: 'https://leads.example.com',
  })
})
afterEach(async () => {
  await t.close()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

/** The body of the MIME part with this content type, quoted-printable soft breaks undone. */
function part(raw: string, contentType: string): string {
  const sections = raw.split(/\r?\n--/)
  const section = sections.find((text) => new RegExp(`Content-Type: ${contentType}`, 'i').test(text))
  if (!section) return ''
  return section
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

test('an alert email carries the facts and the lead link in both a text and an HTML part', async () => {
  const channelId = 'ach_EMAIL'
  await t.store.putAlertChannel(
    {
      id: channelId,
      tenantId: t.tenant.tenant.id,
      kind: 'email',
      name: 'Sales',
      config: { to: ['sales@contoso.com'] },
    },
    t.clock.now(),
  )
  await t.store.putAlertRule(
    {
      id: 'arl_EMAIL',
      tenantId: t.tenant.tenant.id,
      name: 'Contact me',
      enabled: true,
      channelIds: [channelId],
      criteria: { offers: [], stage: 'active', sources: [], countries: [], includeTest: false },
    },
    t.clock.now(),
  )
  const response = await t.server.app.inject({
    method: 'POST',
    url: '/v1/leads',
    headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
    payload: JSON.stringify({
      ...seedLead('AzureMarketplace-PLT|contoso.crm-suite', { ...johnSmith, Company: 'Fabrikam <Ltd>' }),
      Description: 'Call me about 500 seats',
    }),
  })
  const { leadId } = response.json() as { leadId: string }
  expect(await t.server.alerts.runUntilIdle()).toBe(1)
  expect(mails).toHaveLength(1)
  const mail = mails[0]!
  expect(mail.to).toEqual(['sales@contoso.com'])
  expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/i)
  const text = part(mail.raw, 'text/plain')
  const html = part(mail.raw, 'text/html')
  for (const body of [text, html]) {
    expect(body).toContain('John Smith')
    expect(body).toContain('Call me about 500 seats')
    expect(body).toContain(`https://leads.example.com/leads/${leadId}`)
  }
  expect(text).toContain('Company: Fabrikam <Ltd>')
  expect(html).toContain('Fabrikam &lt;Ltd&gt;')
  expect(html).not.toContain('<Ltd>')
  const [send] = await t.store.listAlertSends(t.tenant.tenant.id, { leadId, limit: 5 })
  expect(send?.state).toBe('delivered')
})
