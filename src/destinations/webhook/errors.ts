/** Webhook failures as `DeliveryError`s: the shared HTTP classification, nothing vendor-specific to add. */

import { DeliveryError } from '../../core/errors.ts'
import { HttpClientError, type HttpResponse } from '../http-client.ts'
import { classifyHttpClientError, classifyHttpStatus } from '../http-errors.ts'

/** Undefined for a 2xx, else what the status means for the delivery. */
export function webhookFailure(response: HttpResponse, now: number): DeliveryError | undefined {
  return classifyHttpStatus(response, now)
}

/** Anything a send threw, as the `DeliveryError` the connector contract allows. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error
  if (error instanceof HttpClientError) return classifyHttpClientError(error)
  // A bug of ours, not a verdict on the destination: retry, and keep the cause for the attempt log.
  return new DeliveryError('retryable', 'Sending the webhook failed unexpectedly; will retry.', { cause: error })
}

/** Thrown when the destination has no usable signing secret stored (it never should). */
export function missingSecretError(): DeliveryError {
  return new DeliveryError(
    'misconfigured',
    'This webhook has no valid signing secret. Rotate its secret (or recreate the destination) to generate one.',
  )
}
