/** Sends invitation links by email over the operator's SMTP server, the one destination notices use. */

import { createTransport } from 'nodemailer'
import type { Logger } from '../logger.ts'
import type { InvitationMailer } from '../services/people.ts'

/** As for notices: nodemailer's defaults (2 min to connect) would hold the admin's request far too long. */
const smtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

export function createInvitationMailer(smtp: { url: string; from: string }, log: Logger): InvitationMailer {
  let transport: ReturnType<typeof createTransport> | undefined
  return async (to, tenant, link, expiresAt) => {
    transport ??= createTransport({ ...smtpTimeouts, url: smtp.url })
    try {
      await transport.sendMail({
        from: smtp.from,
        to,
        subject: `You are invited to ${tenant.name} on Leadrelay`.replace(/[\r\n]+/g, ' '),
        text:
          `You have been invited to see the marketplace leads of ${tenant.name} in Leadrelay.\n\n` +
          `Sign in with this link (it works once, until ${new Date(expiresAt).toISOString()}):\n\n${link}\n`,
        headers: { 'X-Leadrelay-Event': 'person.invited' },
      })
      return true
    } catch (error) {
      // The link is then shown to the admin instead, who can pass it on.
      log.warn({ err: (error as Error).message }, 'invitation email not sent')
      return false
    }
  }
}
