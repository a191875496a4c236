import { getEventListeners } from 'node:events'
import { describe, expect, test } from 'vitest'
import { lead } from '../../test/helpers/sample-lead.ts'
import { DeliveryError } from '../core/errors.ts'
import type { Connector } from '../destinations/types.ts'
import { createLogger } from '../logger.ts'
import { runAttempt } from './run-attempt.ts'

const log = createLogger('silent')
const snapshot = { lead, events: [] }
const attempt = { deliveryId: 'dlv_1', number: 1 }

/** A connector that never answers by itself: it ends only when its signal aborts, saying why. */
const waitsForAbort: Pick<Connector, 'deliver'> = {
  async deliver(_snapshot, { signal }) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
    const reason = signal.reason as Error
    throw new DeliveryError('retryable', `aborted: ${reason.name}: ${reason.message}`)
  },
}

describe('runAttempt', () => {
  test('aborts the connector at the attempt deadline', async () => {
    const stop = new AbortController()
    const outcome = await runAttempt(waitsForAbort as Connector, snapshot, attempt, {
      timeoutMs: 20,
      stopSignal: stop.signal,
      log,
    })
    expect(outcome).toMatchObject({ kind: 'failed', failure: 'retryable' })
    expect(outcome.kind === 'failed' && outcome.message).toMatch(/^aborted: TimeoutError: .*20 ms/)
  })

  test('aborts the connector when the worker stops, with the stop reason', async () => {
    const stop = new AbortController()
    const running = runAttempt(waitsForAbort as Connector, snapshot, attempt, {
      timeoutMs: 60_000,
      stopSignal: stop.signal,
      log,
    })
    stop.abort(new Error('worker stopping'))
    const outcome = await running
    expect(outcome.kind === 'failed' && outcome.message).toBe('aborted: Error: worker stopping')
  })

  test('leaves nothing registered on the long-lived stop signal after each attempt', async () => {
    const stop = new AbortController()
    const answers = { deliver: async () => ({ status: 200 }) } as unknown as Connector
    for (let n = 0; n < 50; n++) {
      expect(await runAttempt(answers, snapshot, attempt, { timeoutMs: 1000, stopSignal: stop.signal, log })).toEqual({
        kind: 'delivered',
        status: 200,
      })
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0)
  })
})
