/** Sends invitation links by email over the operator's SMTP server, the one destination notices use. */

import type { Logger } from '../logger.ts'
import type { InvitationMailer } from '../services/people.ts'
import { createMailer } from './mailer.ts'

export function createInvitationMailer(smtp: { url: string; from: string }, log: Logger): InvitationMailer {
  const mailer = createMailer(smtp)
  return async (to, tenant, link, expiresAt) => {
    try {
      await mailer.send({
        to: [to],
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
