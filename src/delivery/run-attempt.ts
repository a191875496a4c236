/** The one place in the delivery path that catches: whatever a connector does, the worker gets an AttemptOutcome. */

import type { AttemptOutcome } from '../core/delivery-state.ts'
import { DeliveryError } from '../core/errors.ts'
import type { Connector, DeliveryAttempt, LeadSnapshot } from '../destinations/types.ts'
import type { Logger } from '../logger.ts'

export async function runAttempt(
  connector: Connector,
  snapshot: LeadSnapshot,
  attempt: Omit<DeliveryAttempt, 'signal'>,
  options: { timeoutMs: number; stopSignal: AbortSignal; log: Logger },
): Promise<AttemptOutcome> {
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.stopSignal])
  try {
    const receipt = await connector.deliver(snapshot, { ...attempt, signal })
    return {
      kind: 'delivered',
      ...(receipt.status !== undefined && { status: receipt.status }),
      ...(receipt.externalId !== undefined && { externalId: receipt.externalId }),
    }
  } catch (error) {
    if (error instanceof DeliveryError) {
      return {
        kind: 'failed',
        failure: error.kind,
        message: error.message,
        ...(error.details.status !== undefined && { status: error.details.status }),
        ...(error.details.vendorCode !== undefined && { vendorCode: error.details.vendorCode }),
        ...(error.details.retryAfterMs !== undefined && { retryAfterMs: error.details.retryAfterMs }),
      }
    }
    // A bug or an unexpected library error: retry, and keep the stack for whoever reads the log.
    options.log.error(
      { err: error, deliveryId: attempt.deliveryId },
      'connector threw something other than DeliveryError',
    )
    return {
      kind: 'failed',
      failure: 'retryable',
      message: `Unexpected error: ${(error as Error).message ?? String(error)}`,
    }
  }
}
