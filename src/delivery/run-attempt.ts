/** The one place in the delivery path that catches: whatever a connector does, the worker gets an AttemptOutcome. */

import type { AttemptOutcome } from '../core/delivery-state.ts'
import { DeliveryError } from '../core/errors.ts'
import type { BatchItem, Connector, DeliveryAttempt, ErasureRequest, LeadSnapshot } from '../destinations/types.ts'
import type { Logger } from '../logger.ts'

export interface RunOptions {
  readonly timeoutMs: number
  readonly stopSignal: AbortSignal
  readonly log: Logger
}

function outcomeOf(error: unknown, log: Logger, context: Record<string, unknown>): AttemptOutcome {
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
  log.error({ err: error, ...context }, 'connector threw something other than DeliveryError')
  const message = error instanceof Error ? error.message : String(error)
  return { kind: 'failed', failure: 'retryable', message: `Unexpected error: ${message}` }
}

/**
 * The signal one attempt runs under: its deadline or the worker stopping, whichever comes first. A plain controller
 * and timer rather than `AbortSignal.any([AbortSignal.timeout(…), stop])`, which on Node 20 costs a timer object and
 * a dependant registered on the long-lived stop signal for every attempt.
 */
function attemptSignal(timeoutMs: number, stopSignal: AbortSignal): { signal: AbortSignal; done(): void } {
  const controller = new AbortController()
  const onStop = () => controller.abort(stopSignal.reason)
  if (stopSignal.aborted) onStop()
  else stopSignal.addEventListener('abort', onStop, { once: true })
  const timer = setTimeout(
    () => controller.abort(new DOMException(`The attempt took longer than ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  )
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer)
      stopSignal.removeEventListener('abort', onStop)
    },
  }
}

export async function runAttempt(
  connector: Connector,
  snapshot: LeadSnapshot,
  attempt: Omit<DeliveryAttempt, 'signal'>,
  options: RunOptions,
): Promise<AttemptOutcome> {
  const { signal, done } = attemptSignal(options.timeoutMs, options.stopSignal)
  try {
    const receipt = await connector.deliver(snapshot, { ...attempt, signal })
    return {
      kind: 'delivered',
      ...(receipt.status !== undefined && { status: receipt.status }),
      ...(receipt.externalId !== undefined && { externalId: receipt.externalId }),
    }
  } catch (error) {
    return outcomeOf(error, options.log, { deliveryId: attempt.deliveryId })
  } finally {
    done()
  }
}

/** One erasure call (an `erase` delivery); a connector without `erase` gets a rejection that says so. */
export async function runErasure(
  connector: Connector,
  request: ErasureRequest,
  attempt: Omit<DeliveryAttempt, 'signal'>,
  options: RunOptions,
): Promise<AttemptOutcome> {
  if (!connector.erase) {
    return {
      kind: 'failed',
      failure: 'rejected',
      message: 'This destination has no API to delete a record; delete the customer there by hand',
    }
  }
  const { signal, done } = attemptSignal(options.timeoutMs, options.stopSignal)
  try {
    const receipt = await connector.erase(request, { ...attempt, signal })
    return { kind: 'delivered', ...(receipt.status !== undefined && { status: receipt.status }) }
  } catch (error) {
    return outcomeOf(error, options.log, { deliveryId: attempt.deliveryId })
  } finally {
    done()
  }
}

/** One vendor batch call; every item gets its own outcome, or all share the call's failure. */
export async function runBatch(
  connector: Connector,
  items: readonly BatchItem[],
  options: RunOptions,
): Promise<AttemptOutcome[]> {
  const { signal, done } = attemptSignal(options.timeoutMs, options.stopSignal)
  try {
    const results = await connector.deliverBatch!(items, signal)
    return items.map((item, index): AttemptOutcome => {
      const result = results[index]
      if (!result)
        return { kind: 'failed', failure: 'retryable', message: 'The batch answer had no result for this lead' }
      if (!result.ok) return outcomeOf(result.error, options.log, { deliveryId: item.attempt.deliveryId })
      return {
        kind: 'delivered',
        ...(result.receipt.status !== undefined && { status: result.receipt.status }),
        ...(result.receipt.externalId !== undefined && { externalId: result.receipt.externalId }),
      }
    })
  } catch (error) {
    const outcome = outcomeOf(error, options.log, { batch: items.length })
    return items.map(() => outcome)
  } finally {
    done()
  }
}
