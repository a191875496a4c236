/**
 * Tells a publisher that one of their destinations was paused, disabled, has been failing or rate limited for a
 * while, or recovered: by email (SMTP) and/or an alert webhook. Never throws: a notification failure must never
 * break delivery.
 */

import type { Clock } from '../core/ports.ts'
import { type HttpClient, HttpClientError } from '../destinations/http-client.ts'
import type { Logger } from '../logger.ts'
import { version } from '../version.ts'
import { createMailer } from './mailer.ts'

export interface NotificationContacts {
  readonly emails: readonly string[]
  readonly webhookUrl?: string
}

export type DestinationHealthEventKind =
  | 'destination.paused'
  | 'destination.disabled'
  | 'destination.failing'
  | 'destination.throttled'
  | 'destination.recovered'

export interface DestinationHealthEvent {
  readonly kind: DestinationHealthEventKind
  readonly tenantId: string
  readonly tenantName: string
  readonly destinationId: string
  readonly destinationName: string
  readonly destinationKind: string
  /** Why the destination was paused or disabled (a DeliveryError message: never customer data). */
  readonly reason?: string
  /** Epoch ms of the state change. */
  readonly at: number
  /** Deliveries waiting for this destination. */
  readonly pendingDeliveries?: number
}

export type ChannelOutcome = 'sent' | 'failed' | 'skipped'

export interface NotificationResult {
  readonly email: ChannelOutcome
  readonly webhook: ChannelOutcome
  /** One line per channel that failed or could not be used; free of recipients and webhook URLs. */
  readonly errors: string[]
}

export interface Notifier {
  notify(contacts: NotificationContacts, event: DestinationHealthEvent): Promise<NotificationResult>
}

export interface NotifierDeps {
  readonly http: HttpClient
  /** `smtp://user:pass@host:587`, `smtps://…`; transport options may ride in the query (e.g. `?ignoreTLS=true`). */
  readonly smtp?: { readonly url: string; readonly from: string }
  readonly log: Logger
  readonly clock: Clock
}

const webhookTimeoutMs = 10_000

const verbs: Readonly<Record<DestinationHealthEventKind, string>> = {
  'destination.paused': 'paused',
  'destination.disabled': 'disabled',
  'destination.failing': 'failing',
  'destination.throttled': 'rate limited',
  'destination.recovered': 'recovered',
}

/** Header-safe, single-line text: nodemailer encodes headers, but a newline in a name still has no place there. */
function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

export function emailSubject(event: DestinationHealthEvent): string {
  const base = `[Leadrelay] Destination "${oneLine(event.destinationName, 80)}" ${verbs[event.kind]}`
  return event.kind !== 'destination.recovered' && event.reason ? `${base}: ${oneLine(event.reason, 160)}` : base
}

export function emailBody(event: DestinationHealthEvent): string {
  const when = new Date(event.at).toISOString()
  const where =
    `the destination "${oneLine(event.destinationName, 200)}" (${event.destinationKind}, id ${event.destinationId})` +
    ` of "${oneLine(event.tenantName, 200)}"`
  const lines: string[] = []
  if (event.kind === 'destination.recovered') {
    lines.push(
      `Good news: Leadrelay delivers to ${where} again (since ${when}).`,
      '',
      'Leads that arrived while it was unavailable were kept and are being delivered now; nothing was lost.',
      'There is nothing you need to do.',
    )
  } else if (event.kind === 'destination.failing' || event.kind === 'destination.throttled') {
    const what =
      event.kind === 'destination.failing'
        ? `Deliveries to ${where} have been failing without a single success`
        : `${where} has been rate limiting Leadrelay without a single delivery getting through`
    lines.push(`${what} (noticed at ${when}).`, '')
    if (event.reason) lines.push(`Latest answer: ${event.reason}`, '')
    lines.push(
      'Your leads are safe: Leadrelay keeps them and keeps retrying on its schedule; nothing is lost.',
      event.kind === 'destination.failing'
        ? 'If the failures go on for days, Leadrelay disables the destination and tells you.'
        : "Check the destination's API limits and what else uses them, or lower this destination's rate limit.",
      '',
      `Check the connection: leadrelay destinations verify ${event.destinationId}`,
      `or through the API: POST /v1/destinations/${event.destinationId}/verify`,
    )
  } else {
    lines.push(`Leadrelay ${verbs[event.kind]} delivery to ${where} at ${when}.`, '')
    if (event.reason) lines.push(`Reason: ${event.reason}`, '')
    const waiting =
      event.pendingDeliveries === undefined
        ? 'Leads waiting for this destination are kept'
        : `${event.pendingDeliveries} ${event.pendingDeliveries === 1 ? 'lead is' : 'leads are'} waiting for this destination`
    lines.push(
      'Your leads are safe: Leadrelay keeps receiving and storing new leads.',
      `${waiting} and will be delivered as soon as the problem is fixed; nothing is lost.`,
      '',
      'What to do:',
      `  1. Fix the cause${event.reason ? ' above' : ''}, for example renew expired credentials, restore permissions,`,
      '     or correct the destination settings in Leadrelay.',
      '  2. Check the connection; delivery resumes once the check succeeds:',
      `       leadrelay destinations verify ${event.destinationId}`,
      `     or through the API: POST /v1/destinations/${event.destinationId}/verify`,
    )
  }
  lines.push('', '--', `Leadrelay ${version}. You receive this because you are a notification contact of this account.`)
  return `${lines.join('\n')}\n`
}

/** Addresses can appear in SMTP replies; they are not for logs or results. */
function withoutAddresses(text: string): string {
  return text.replace(/[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+/g, '[address]')
}

function describeSmtpError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error'
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown }
  const tags = [
    typeof code === 'string' ? code : undefined,
    typeof responseCode === 'number' ? `SMTP ${responseCode}` : undefined,
  ]
    .filter(Boolean)
    .join(', ')
  const message = oneLine(withoutAddresses(error.message), 300)
  return tags ? `${tags}: ${message}` : message
}

/** The webhook URL may carry a secret token (Slack, Teams): only its origin is ever logged. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const { http, smtp, log, clock } = deps
  const mailer = smtp && createMailer(smtp)

  async function sendEmail(emails: readonly string[], event: DestinationHealthEvent): Promise<string | undefined> {
    if (!mailer) return `email: not sent to ${emails.length} recipient(s), SMTP is not configured`
    try {
      await mailer.send({
        to: emails,
        subject: emailSubject(event),
        text: emailBody(event),
        headers: { 'X-Leadrelay-Event': event.kind },
      })
      return undefined
    } catch (error) {
      return `email: ${describeSmtpError(error)}`
    }
  }

  async function sendWebhook(url: string, event: DestinationHealthEvent): Promise<string | undefined> {
    const body = JSON.stringify({
      type: event.kind,
      timestamp: new Date(clock.now()).toISOString(),
      data: { ...event },
    })
    try {
      const response = await http.send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'user-agent': `leadrelay/${version}` },
        body,
        timeoutMs: webhookTimeoutMs,
      })
      if (response.status >= 200 && response.status < 300) return undefined
      return `webhook: answered HTTP ${response.status}`
    } catch (error) {
      if (error instanceof HttpClientError) {
        return `webhook: ${error.kind}: ${oneLine(error.message.split(url).join('[webhook url]'), 300)}`
      }
      return `webhook: unexpected ${error instanceof Error ? error.name : 'error'}`
    }
  }

  return {
    async notify(contacts, event) {
      const context = { tenantId: event.tenantId, destinationId: event.destinationId, event: event.kind }
      const errors: string[] = []
      let email: ChannelOutcome = 'skipped'
      let webhook: ChannelOutcome = 'skipped'
      try {
        const emails = [
          ...new Set(contacts.emails.map((address) => address.trim()).filter((address) => address !== '')),
        ]
        const webhookUrl = contacts.webhookUrl?.trim() || undefined
        const [emailError, webhookError] = await Promise.all([
          emails.length > 0 ? sendEmail(emails, event) : undefined,
          webhookUrl ? sendWebhook(webhookUrl, event) : undefined,
        ])
        if (emails.length > 0) {
          email = emailError === undefined ? 'sent' : smtp ? 'failed' : 'skipped'
          if (emailError === undefined)
            log.info({ ...context, channel: 'email', recipients: emails.length }, 'notification sent')
          else {
            errors.push(emailError)
            log.warn(
              { ...context, channel: 'email', recipients: emails.length, error: emailError },
              'notification not sent',
            )
          }
        }
        if (webhookUrl) {
          const origin = originOf(webhookUrl)
          webhook = webhookError === undefined ? 'sent' : 'failed'
          if (webhookError === undefined) log.info({ ...context, channel: 'webhook', origin }, 'notification sent')
          else {
            errors.push(webhookError)
            log.warn({ ...context, channel: 'webhook', origin, error: webhookError }, 'notification not sent')
          }
        }
      } catch (error) {
        // Only a bug gets here (each channel catches its own errors); still, delivery must go on.
        const name = error instanceof Error ? error.name : 'error'
        errors.push(`notifier: unexpected ${name}`)
        log.error({ ...context, errorName: name }, 'notifier failed')
      }
      return { email, webhook, errors }
    },
  }
}
