import { describe, expect, test } from 'vitest'
import type { FailureKind } from '../core/errors.ts'
import { HttpClientError, type HttpClientErrorKind, type HttpResponse } from './http-client.ts'
import { classifyHttpClientError, classifyHttpStatus, parseRetryAfter, responseExcerpt } from './http-errors.ts'

const now = Date.UTC(2026, 0, 1, 12, 0, 0)

function response(status: number, headers: Record<string, string> = {}, body = ''): HttpResponse {
  return { status, headers, body, truncated: false }
}

describe('classifyHttpStatus', () => {
  test.each<[number, FailureKind | undefined]>([
    [200, undefined],
    [201, undefined],
    [202, undefined],
    [204, undefined],
    [299, undefined],
    [301, 'rejected'],
    [302, 'rejected'],
    [307, 'rejected'],
    [308, 'rejected'],
    [400, 'rejected'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'rejected'],
    [405, 'rejected'],
    [408, 'retryable'],
    [409, 'rejected'],
    [410, 'gone'],
    [413, 'rejected'],
    [422, 'rejected'],
    [425, 'retryable'],
    [429, 'rate_limited'],
    [500, 'retryable'],
    [501, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
    [599, 'retryable'],
    [101, 'retryable'],
    [0, 'retryable'],
  ])('%i → %s', (status, kind) => {
    const error = classifyHttpStatus(response(status), now)
    expect(error?.kind).toBe(kind)
    if (error) expect(error.details.status).toBe(status)
  })

  test('429 with Retry-After in seconds', () => {
    const error = classifyHttpStatus(response(429, { 'retry-after': '7' }), now)
    expect(error?.kind).toBe('rate_limited')
    expect(error?.details.retryAfterMs).toBe(7000)
    expect(error?.message).toContain('7 s')
  })

  test('429 with Retry-After as an HTTP date', () => {
    const at = new Date(now + 90_000).toUTCString()
    const error = classifyHttpStatus(response(429, { 'retry-after': at }), now)
    expect(error?.kind).toBe('rate_limited')
    expect(error?.details.retryAfterMs).toBe(90_000)
  })

  test('429 without Retry-After', () => {
    const error = classifyHttpStatus(response(429), now)
    expect(error?.kind).toBe('rate_limited')
    expect(error?.details.retryAfterMs).toBeUndefined()
  })

  test('503 is a failure with or without Retry-After, which only sets when to try again', () => {
    expect(classifyHttpStatus(response(503, { 'retry-after': '120' }), now)).toMatchObject({
      kind: 'retryable',
      details: { status: 503, retryAfterMs: 120_000 },
    })
    expect(classifyHttpStatus(response(503), now)?.kind).toBe('retryable')
  })

  test('a Retry-After on another 5xx is kept as a hint', () => {
    expect(classifyHttpStatus(response(502, { 'retry-after': '3' }), now)).toMatchObject({
      kind: 'retryable',
      details: { retryAfterMs: 3000 },
    })
  })

  test('a redirect names the target without its query and says what to do', () => {
    const error = classifyHttpStatus(
      response(301, { location: 'https://new.example.com/hooks/leads?token=secret' }),
      now,
    )
    expect(error?.message).toContain('https://new.example.com/hooks/leads')
    expect(error?.message).not.toContain('secret')
    expect(error?.message).toContain('redirects are not followed; point the destination at the final URL')
  })

  test.each([
    [401, 'credentials'],
    [404, 'Check the destination URL'],
    [410, 'update its URL or remove the destination'],
    [422, 'replay'],
    [500, 'will retry'],
  ])('the %i message says what to do', (status, advice) => {
    expect(classifyHttpStatus(response(status), now)?.message).toContain(advice)
  })

  test('messages quote at most a short, masked excerpt of the body', () => {
    const body = `{"error":"invalid lead","email":"jane.doe@contoso.com","phone":"+1 (617) 555-5555","more":"${'x'.repeat(5000)}"}`
    const error = classifyHttpStatus(response(422, { 'content-type': 'application/json' }, body), now)
    expect(error?.message).toContain('invalid lead')
    expect(error?.message).not.toContain('jane.doe')
    expect(error?.message).not.toContain('555-5555')
    expect(error?.message.length).toBeLessThan(500)
  })

  test('HTML error pages are not quoted', () => {
    const error = classifyHttpStatus(
      response(502, { 'content-type': 'text/html; charset=utf-8' }, '<html><body>Bad gateway</body></html>'),
      now,
    )
    expect(error?.message).not.toContain('<html>')
  })

  test('a truncated body is classified by its status', () => {
    const error = classifyHttpStatus({ status: 500, headers: {}, body: 'y'.repeat(65_536), truncated: true }, now)
    expect(error?.kind).toBe('retryable')
    expect(error?.message.length).toBeLessThan(400)
  })
})

describe('parseRetryAfter', () => {
  test.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['7', 7000],
    [' 30 ', 30_000],
    ['1.5', 1500],
    [new Date(now + 5000).toUTCString(), 5000],
    ['Thu, 01 Jan 2026 12:01:00 GMT', 60_000],
    // A date in the past means now.
    ['Wed, 31 Dec 2025 00:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['2026', 2_026_000],
    ['2026-01-01', undefined],
  ])('%j → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
})

describe('responseExcerpt', () => {
  test('collapses whitespace and cuts long bodies', () => {
    const excerpt = responseExcerpt(response(400, {}, `bad\n\n   request ${'z'.repeat(1000)}`))
    expect(excerpt.startsWith('bad request z')).toBe(true)
    expect(excerpt.length).toBeLessThanOrEqual(201)
  })

  test('an empty body gives nothing', () => {
    expect(responseExcerpt(response(400))).toBe('')
  })
})

describe('classifyHttpClientError', () => {
  test.each<[HttpClientErrorKind, FailureKind]>([
    ['timeout', 'retryable'],
    ['network', 'retryable'],
    ['aborted', 'retryable'],
    ['blocked_address', 'misconfigured'],
    ['invalid_url', 'misconfigured'],
  ])('%s → %s', (kind, expected) => {
    const cause = new HttpClientError(kind, 'something happened')
    const error = classifyHttpClientError(cause)
    expect(error.kind).toBe(expected)
    expect(error.cause).toBe(cause)
  })

  test('a refused address names the setting that allows private networks', () => {
    const error = classifyHttpClientError(
      new HttpClientError('blocked_address', 'Refused to connect to 10.0.0.1: not a public address'),
    )
    expect(error.message).toContain('10.0.0.1')
    expect(error.message).toContain('LEADRELAY_ALLOW_PRIVATE_NETWORKS')
  })

  test('an invalid URL says to fix the URL', () => {
    const error = classifyHttpClientError(new HttpClientError('invalid_url', 'The destination URL is not a valid URL'))
    expect(error.message).toContain('Fix the destination URL')
    expect(error.message).toContain('LEADRELAY_ALLOW_PRIVATE_NETWORKS')
  })
})
