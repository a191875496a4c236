/** Email over the configured SMTP server: a plain-text and an HTML part with the same facts and links. */

import { z } from 'zod'
import { DeliveryError } from '../../core/errors.ts'
import { type AlertMessage, alertFacts, alertTitle } from '../alert-message.ts'
import type { AlertChannel } from './types.ts'

export const emailConfigSchema = z
  .object({ to: z.array(z.email()).min(1).max(20).describe('Who gets the alert') })
  .strict()
export type EmailConfig = z.infer<typeof emailConfigSchema>

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character)
}

/** Header-safe subject: one line. */
function subjectOf(message: AlertMessage): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = alertTitle(message).replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat
}

export function emailPayload(message: AlertMessage): { subject: string; text: string; html: string } {
  const facts = alertFacts(message)
  const links = [{ label: 'Open in Leadrelay', url: message.leadUrl }]
  if (message.crm) links.push({ label: `Open in ${message.crm.name}`, url: message.crm.url })
  const text = [
    alertTitle(message),
    `Rule: ${message.ruleName}`,
    '',
    ...facts.map((fact) => `${fact.label}: ${fact.value}`),
    ...(message.description ? ['', 'What they asked:', message.description] : []),
    '',
    ...links.map((link) => `${link.label}: ${link.url}`),
  ].join('\n')
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escapeHtml(alertTitle(message))}</h2>
<p style="color:#555">Rule: ${escapeHtml(message.ruleName)}</p>
<table>${facts.map((fact) => `<tr><th align="left">${escapeHtml(fact.label)}</th><td>${escapeHtml(fact.value)}</td></tr>`).join('')}</table>
${message.description ? `<h3>What they asked</h3><p style="white-space:pre-wrap">${escapeHtml(message.description)}</p>` : ''}
<p>${links.map((link) => `<a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a>`).join(' · ')}</p>
</body></html>`
  return { subject: subjectOf(message), text, html }
}

export const emailChannel: AlertChannel<EmailConfig> = {
  kind: 'email',
  displayName: 'Email',
  configSchema: emailConfigSchema,
  secretFields: [],
  prepareSecrets: () => ({}),
  payload: emailPayload,
  connect(config, _secrets, deps) {
    return {
      async send(message) {
        if (!deps.mailer) {
          throw new DeliveryError(
            'misconfigured',
            'SMTP is not configured (LEADRELAY_SMTP_URL); will retry once it is.',
          )
        }
        const mail = emailPayload(message)
        try {
          await deps.mailer.send({ to: config.to, ...mail, headers: { 'X-Leadrelay-Alert': message.id } })
        } catch (error) {
          const code = (error as { responseCode?: number }).responseCode
          // A permanent 5xx refusal of this message (not of the server) will not change on a retry.
          if (code !== undefined && code >= 550 && code <= 554) {
            throw new DeliveryError('rejected', `The SMTP server refused the message (${code}).`, { cause: error })
          }
          throw new DeliveryError('retryable', 'Sending the email failed; will retry.', { cause: error })
        }
        return {}
      },
    }
  },
}
