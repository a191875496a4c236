/** Sends one email over the configured SMTP server (the notifier's transport settings), for alerts and digests. */

import { createTransport } from 'nodemailer'

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

/** Same limits as the notifier: nodemailer's defaults would hold a worker for minutes. */
const smtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }

export function createMailer(smtp: { readonly url: string; readonly from: string }): Mailer {
  let transport: ReturnType<typeof createTransport> | undefined
  return {
    async send(message) {
      transport ??= createTransport({ ...smtpTimeouts, url: smtp.url })
      await transport.sendMail({
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
