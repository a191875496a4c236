/**
 * How an attempt's request and response appear in the API (an attempt in a delivery's attemptLog, and in a
 * destination's delivery log): declared once in zod, presented by `presentExchange`.
 */

import { z } from 'zod'
import type { ExchangeRequest, ExchangeResponse } from '../core/attempt-exchange.ts'
import type { AttemptRecord } from '../core/delivery.ts'

const headers = z
  .record(z.string(), z.string())
  .describe('Lower-case names. Values of headers that can carry a credential read "[redacted]".')
const body = z
  .string()
  .nullable()
  .describe('At most 8 KiB of UTF-8; secret JSON and form fields read "[redacted]". Null when there was none.')
const bodyTruncated = z.boolean().describe('The body was longer and is cut here.')

export const exchangeRequestSchema = z
  .object({
    method: z.string(),
    url: z.string().describe('Without user info; secret query values (tokens, signatures) read "[redacted]".'),
    headers,
    body,
    bodyTruncated,
  })
  .describe("The last request the attempt's call made (after any token request): what was sent.")

export const exchangeResponseSchema = z
  .object({ status: z.int(), headers, body, bodyTruncated })
  .describe('What the destination answered to that request.')

export const attemptExchangeFields = {
  request: exchangeRequestSchema
    .nullable()
    .describe('Null for attempts that sent nothing, made before it was kept, or erased.'),
  response: exchangeResponseSchema.nullable().describe('Null when no answer came (a timeout, a refused connection).'),
}

function presentRequest(request: ExchangeRequest) {
  return {
    method: request.method,
    url: request.url,
    headers: { ...request.headers },
    body: request.body ?? null,
    bodyTruncated: request.bodyTruncated ?? false,
  }
}

function presentResponse(response: ExchangeResponse) {
  return {
    status: response.status,
    headers: { ...response.headers },
    body: response.body ?? null,
    bodyTruncated: response.bodyTruncated ?? false,
  }
}

/** The `request` and `response` fields of an attempt as the API answers them. */
export function presentExchange(attempt: Pick<AttemptRecord, 'request' | 'response'>) {
  return {
    request: attempt.request ? presentRequest(attempt.request) : null,
    response: attempt.response ? presentResponse(attempt.response) : null,
  }
}
