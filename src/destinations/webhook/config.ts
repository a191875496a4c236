/**
 * The webhook destination's settings (the signing secret and credential headers are secrets, not settings: see
 * signing.ts and secret-headers.ts).
 */

import { z } from 'zod'

export const webhookFormats = ['leadrelay', 'microsoft'] as const

/** Headers Leadrelay sets itself (or that would break the request); a configured header may not replace them. */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return (
    lower.startsWith('webhook-') ||
    ['content-type', 'content-length', 'host', 'transfer-encoding', 'connection'].includes(lower)
  )
}

// RFC 9110 token characters.
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export function isHeaderName(name: string): boolean {
  return headerName.test(name)
}

/** Extra headers in the config, and secret headers, each at most this many. */
export const maxExtraHeaders = 20

const credentialNames = new Set(['authorization', 'proxy-authorization', 'cookie', 'apikey', 'api-key', 'token'])

/**
 * Whether a header name looks like it carries a credential: `Authorization`, `Proxy-Authorization`, `Cookie`,
 * `*-Key`, `*-Token` (or `_key`, `_token`), anything containing `secret`, `password`, `credential` or `api-key`,
 * and `X-Auth*`. Case-insensitive.
 */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase()
  return (
    credentialNames.has(lower) ||
    /[-_](key|token)$/.test(lower) ||
    /secret|password|passwd|credential|api-?key|access-?token/.test(lower) ||
    /^x-auth/.test(lower)
  )
}

const headersSchema = z
  .record(
    z.string(),
    z
      .string()
      .max(4096)
      .refine((value) => !/[\r\n\0]/.test(value), 'Header values may not contain line breaks'),
  )
  .superRefine((headers, context) => {
    const names = Object.keys(headers)
    if (names.length > maxExtraHeaders) {
      context.addIssue({ code: 'custom', message: `At most ${maxExtraHeaders} extra headers` })
    }
    const seen = new Set<string>()
    for (const name of names) {
      const lower = name.toLowerCase()
      if (!headerName.test(name)) {
        context.addIssue({ code: 'custom', path: [name], message: 'Not a valid HTTP header name' })
      } else if (isReservedHeader(name)) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `${lower} is set by Leadrelay and cannot be replaced`,
        })
      } else if (isCredentialHeader(name)) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} looks like a credential: send it in secrets.headers, which are stored encrypted and never shown again`,
        })
      } else if (seen.has(lower)) {
        context.addIssue({ code: 'custom', path: [name], message: `${lower} is given twice` })
      }
      seen.add(lower)
    }
  })

export const webhookConfigSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'Must be an absolute http:// or https:// URL' })
    .max(2048)
    .describe('Where leads are POSTed. Use https: the body carries customer contact details.'),
  format: z
    .enum(webhookFormats)
    .default('leadrelay')
    .describe(
      "Body shape: 'leadrelay' (the merged lead with its history) or 'microsoft' (the marketplace's own HTTPS-endpoint JSON, for existing Power Automate flows).",
    ),
  timeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(30_000)
    .default(15_000)
    .describe('How long one attempt may take, in ms, before it counts as failed and is retried.'),
  headers: headersSchema
    .optional()
    .describe(
      'Extra headers sent with every request, e.g. a tenant id your endpoint expects. Headers carrying credentials (an API key, a token) go in the secret headers instead.',
    ),
})

export type WebhookConfig = z.output<typeof webhookConfigSchema>
