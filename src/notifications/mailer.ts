/** Sends one email over the configured SMTP server: alerts, digests, destination notices and invitations. */

import type { Transporter } from 'nodemailer'

export interface MailMessage {
  readonly to: readonly string[]
  readonly subject: string
  readonly text: string
  readonly html?: string
  readonly headers?: Readonly<Record<string, string>>
}

export interface Mailer {
  /** Rejects when the SMTP server refused the message or could not be reached. */
  send(message: MailMessage): Promise<void>
}

/** nodemailer's defaults (2 min to connect) would hold a worker or an admin's request for minutes. */
const smtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

/**
 * nodemailer loads on the first message, not at import: it costs ~15 MB in every thread that loads it, and most
 * installations send mail rarely or never.
 */
export function createMailer(smtp: { readonly url: string; readonly from: string }): Mailer {
  let transport: Promise<Transporter> | undefined
  const openTransport = async () => (await import('nodemailer')).createTransport({ ...smtpTimeouts, url: smtp.url })
  return {
    async send(message) {
      transport ??= openTransport().catch((error: unknown) => {
        transport = undefined
        throw error
      })
      await (await transport).sendMail({
        from: smtp.from,
        to: [...message.to],
        subject: message.subject,
        text: message.text,
        ...(message.html !== undefined && { html: message.html }),
        ...(message.headers && { headers: { ...message.headers } }),
      })
    },
  }
}
