/** One signed webhook POST. */

import type { HttpClient, HttpResponse } from '../http-client.ts'
import { signWebhook } from './signing.ts'

export const webhookUserAgent = 'Leadrelay-Webhook/1'

export interface WebhookPost {
  readonly url: string
  /** The `webhook-id`: the delivery id, so every retry of one delivery carries the same id. */
  readonly id: string
  /** Unix seconds of this attempt (changes per retry). */
  readonly timestampSeconds: number
  readonly body: string
  /** Secrets that sign, newest first. */
  readonly secrets: readonly string[]
  readonly timeoutMs: number
  readonly signal: AbortSignal
  /** Extra headers from the destination's config; never the reserved ones (the schema refuses those). */
  readonly headers?: Readonly<Record<string, string>>
}

export function webhookHeaders(post: Omit<WebhookPost, 'url' | 'timeoutMs' | 'signal'>): Record<string, string> {
  return {
    'user-agent': webhookUserAgent,
    ...post.headers,
    'content-type': 'application/json',
    'webhook-id': post.id,
    'webhook-timestamp': `${post.timestampSeconds}`,
    'webhook-signature': signWebhook({
      secrets: post.secrets,
      id: post.id,
      timestampSeconds: post.timestampSeconds,
      body: post.body,
    }),
  }
}

/** Sends the POST; rejects only with `HttpClientError` (any HTTP status resolves). */
export function postWebhook(http: HttpClient, post: WebhookPost): Promise<HttpResponse> {
  return http.send({
    method: 'POST',
    url: post.url,
    headers: webhookHeaders(post),
    body: post.body,
    timeoutMs: post.timeoutMs,
    signal: post.signal,
  })
}
