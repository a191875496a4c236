/**
 * Captures what a connector's call sent and received, without the connector knowing: the HTTP client connectors get
 * is wrapped, and each exchange it carries is noted in the capture that the call runs inside (AsyncLocalStorage
 * follows the call through its awaits, so concurrent calls never see each other's exchanges).
 */

import { AsyncLocalStorage } from 'node:async_hooks'
import { type AttemptExchange, type RawExchange, storableExchange } from '../core/attempt-exchange.ts'
import type { HttpClient } from '../destinations/http-client.ts'

export interface ExchangeRecorder {
  /** The client to give connectors: sends through `http`, noting each exchange in the capture it runs inside. */
  wrap(http: HttpClient): HttpClient
  /**
   * Runs `work` and answers its result with the last exchange made inside it (a token request first, then the
   * upsert: the upsert is what is kept), in the form that may be stored.
   */
  capture<T>(work: () => Promise<T>): Promise<{ result: T; exchange?: AttemptExchange }>
}

interface Capture {
  last?: { raw: RawExchange; responseCut: boolean }
}

export function createExchangeRecorder(): ExchangeRecorder {
  const current = new AsyncLocalStorage<Capture>()
  return {
    wrap(http) {
      return {
        async send(request) {
          const capture = current.getStore()
          if (!capture) return http.send(request)
          // Noted before sending: a call that times out or cannot connect still shows what it tried to send.
          const noted: { raw: RawExchange; responseCut: boolean } = { raw: { request }, responseCut: false }
          capture.last = noted
          const response = await http.send(request)
          noted.raw = { request, response }
          noted.responseCut = response.truncated
          return response
        },
      }
    },
    async capture(work) {
      const capture: Capture = {}
      const result = await current.run(capture, work)
      return capture.last
        ? { result, exchange: storableExchange(capture.last.raw, capture.last.responseCut) }
        : { result }
    },
  }
}
