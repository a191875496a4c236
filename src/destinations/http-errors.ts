/**
 * What an HTTP answer or an `HttpClientError` means for a delivery, shared by every HTTP connector. Connectors
 * that know their vendor's error bodies classify those first and fall back to these.
 */

import { STATUS_CODES } from 'node:http'
import { DeliveryError } from '../core/errors.ts'
import type { HttpClientError, HttpResponse } from './http-client.ts'

/** The longest piece of a response body an error message quotes. */
const excerptLength = 200

/**
 * `Retry-After` in ms from `now`: delta-seconds or an HTTP date (a date in the past means 0). Undefined when the
 * header is absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  // Date.parse reads `1.5` or `2024` as dates too: an HTTP date always names its day or month.
  if (!/[a-z]{3}/i.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

function statusText(status: number): string {
  const reason = STATUS_CODES[status]
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`
}

/**
 * A short quote of the response body for the attempt log. Bodies may echo what we sent, so email addresses and
 * long digit runs (phone numbers) are masked, and HTML error pages are left out as noise.
 */
export function responseExcerpt(response: HttpResponse): string {
  if (/html/i.test(response.headers['content-type'] ?? '')) return ''
  const text = response.body
    .slice(0, excerptLength * 4)
    .replace(/\s+/g, ' ')
    .replace(/[^\s"'<>(),;:]+@[^\s"'<>(),;:]+/g, '[email]')
    .replace(/\+?\d[\d ().-]{5,}\d/g, '[number]')
    .trim()
  if (text === '') return ''
  return text.length > excerptLength ? `${text.slice(0, excerptLength)}…` : text
}

function withExcerpt(message: string, response: HttpResponse): string {
  const excerpt = responseExcerpt(response)
  return excerpt ? `${message} The destination said: "${excerpt}"` : message
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`
}

/** The redirect target without its query, which may carry a token. */
function locationOf(response: HttpResponse): string {
  const location = response.headers.location
  if (!location) return ''
  try {
    const url = new URL(location)
    return ` (to ${url.origin}${url.pathname})`
  } catch {
    return ''
  }
}

/**
 * Undefined for a 2xx; otherwise the `DeliveryError` the answer calls for. `now` (epoch ms) anchors a
 * `Retry-After` given as a date.
 */
export function classifyHttpStatus(response: HttpResponse, now: number): DeliveryError | undefined {
  const { status } = response
  if (status >= 200 && status <= 299) return undefined
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now)
  const details = { status, ...(retryAfterMs !== undefined && { retryAfterMs }) }
  const what = statusText(status)
  const later = retryAfterMs === undefined ? 'will retry later' : `will retry in ${seconds(retryAfterMs)} as asked`

  // Only 429 is a rate limit. A 503 is a failure even when it names a time: Retry-After sets when to try again, and
  // the failure still counts toward the destination's health.
  if (status === 429) {
    return new DeliveryError('rate_limited', `The destination is throttling us (${what}); ${later}.`, details)
  }
  if (status === 408 || status === 425 || (status >= 500 && status <= 599)) {
    return new DeliveryError('retryable', withExcerpt(`The destination failed (${what}); ${later}.`, response), details)
  }
  if (status === 410) {
    return new DeliveryError(
      'gone',
      `The destination answered ${what}: the endpoint no longer exists. Deliveries to it stop; update its URL or remove the destination.`,
      details,
    )
  }
  if (status === 401 || status === 403) {
    return new DeliveryError(
      'auth',
      withExcerpt(
        `The destination refused our credentials (${what}). Check the credentials or authorization headers configured for this destination, then retry.`,
        response,
      ),
      details,
    )
  }
  if (status >= 300 && status <= 399) {
    return new DeliveryError(
      'rejected',
      `The destination answered with a redirect (${what})${locationOf(response)}: redirects are not followed; point the destination at the final URL.`,
      details,
    )
  }
  if (status >= 400 && status <= 499) {
    const hint = status === 404 ? ' Check the destination URL.' : ''
    return new DeliveryError(
      'rejected',
      withExcerpt(
        `The destination rejected the request (${what}); it is not retried automatically.${hint} Fix the destination or its configuration, then replay the delivery.`,
        response,
      ),
      details,
    )
  }
  // 1xx as a final answer, or a number outside HTTP: a broken proxy more likely than a verdict on the lead.
  return new DeliveryError('retryable', `The destination answered with an unexpected ${what}; ${later}.`, details)
}

/** What a failure below HTTP (no usable answer at all) means for a delivery. */
export function classifyHttpClientError(error: HttpClientError): DeliveryError {
  switch (error.kind) {
    case 'timeout':
      return new DeliveryError('retryable', `The destination did not answer in time (${error.message}); will retry.`, {
        cause: error,
      })
    case 'network':
      return new DeliveryError('retryable', `Could not reach the destination (${error.message}); will retry.`, {
        cause: error,
      })
    case 'aborted':
      return new DeliveryError(
        'retryable',
        'The attempt was cancelled before the destination answered (the worker stopped or the attempt ran out of time); will retry.',
        { cause: error },
      )
    case 'blocked_address':
      return new DeliveryError(
        'misconfigured',
        `${error.message}. Leadrelay only delivers to public addresses, to keep destinations from reaching its own network. Use a public URL, or set LEADRELAY_ALLOW_PRIVATE_NETWORKS=true if this installation is meant to deliver inside a private network.`,
        { cause: error },
      )
    case 'invalid_url':
      return new DeliveryError(
        'misconfigured',
        `${error.message}. Fix the destination URL (an absolute http:// or https:// URL). Private addresses additionally need LEADRELAY_ALLOW_PRIVATE_NETWORKS=true.`,
        { cause: error },
      )
  }
}
