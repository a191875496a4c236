/** One JSON POST to a channel's webhook, failures classified as for destinations (destinations/http-errors.ts). */

import { AppError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient, HttpResponse } from '../../destinations/http-client.ts'
import { toDeliveryError, webhookFailure } from '../../destinations/webhook/errors.ts'
import { version } from '../../version.ts'

export const alertTimeoutMs = 10_000

export async function postJson(
  deps: { readonly http: HttpClient; readonly clock: Clock },
  request: { url: string; body: unknown; signal: AbortSignal; headers?: Readonly<Record<string, string>> },
): Promise<number> {
  let response: HttpResponse
  try {
    response = await deps.http.send({
      method: 'POST',
      url: request.url,
      headers: { 'content-type': 'application/json', 'user-agent': `leadrelay/${version}`, ...request.headers },
      body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
      timeoutMs: alertTimeoutMs,
      signal: request.signal,
    })
  } catch (error) {
    throw toDeliveryError(error)
  }
  const failure = webhookFailure(response, deps.clock.now())
  if (failure) throw failure
  return response.status
}

/** The webhook URL secret: required, https (or http for local receivers the HTTP client allows). */
export function webhookUrlSecret(
  given: Readonly<Record<string, unknown>> | undefined,
  name: string,
  hosts: string,
): Record<string, string> {
  const value = given?.webhookUrl
  if (typeof value !== 'string' || !/^https?:\/\/\S+$/i.test(value.trim())) {
    throw new AppError('VALIDATION_FAILED', `secrets.webhookUrl must be the ${name} webhook URL (${hosts})`, {
      field: 'secrets.webhookUrl',
    })
  }
  return { webhookUrl: value.trim() }
}
