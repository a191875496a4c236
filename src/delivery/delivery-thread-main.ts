/** The code of the delivery thread (delivery-thread.ts): a delivery worker on its own store connection. */

import { parentPort, workerData } from 'node:worker_threads'
import type { Config } from '../config.ts'
import { createIdGenerator } from '../core/ids.ts'
import { systemClock } from '../core/ports.ts'
import { createLogger } from '../logger.ts'
import { createAttemptBatcher } from '../metrics/attempt-batcher.ts'
import { openStore } from '../store/open-store.ts'
import { adoptWriteTurn } from '../store/sqlite/write-turn.ts'
import { loadTracing } from '../tracing/tracing.ts'
import { version } from '../version.ts'
import { createDeliveryRuntime } from './delivery-runtime.ts'
import { type FromDeliveryThread, type ToDeliveryThread, windowReportIntervalMs } from './delivery-thread.ts'

const port = parentPort
if (!port) throw new Error('delivery-thread-main runs only as a worker thread')
const { config, writeTurn } = workerData as { readonly config: Config; readonly writeTurn?: SharedArrayBuffer }
if (writeTurn) adoptWriteTurn(config.sqliteFile, writeTurn)
// The main thread migrated the store before starting this thread.
const store = await openStore(config)
const log = createLogger(config.logLevel).child({ thread: 'delivery' })
const reply = (message: FromDeliveryThread) => port.postMessage(message)
// Metrics live on the main thread, which serves /metrics; attempts reach it in batches.
const attempts = config.metrics.enabled
  ? createAttemptBatcher((batch) => reply({ type: 'attempts', batch }))
  : undefined
// The thread exports its own spans: OpenTelemetry's exporter lives in one thread's event loop.
const tracing = await loadTracing(config.tracing, version)
const runtime = createDeliveryRuntime({
  config,
  store,
  ...(tracing && { tracing }),
  clock: systemClock,
  ids: createIdGenerator(systemClock),
  log,
  ...(attempts && { onAttempt: attempts.record }),
})
runtime.worker.start()
runtime.alerts.start()
runtime.retention.start()
reply({ type: 'started' })

// The destinations' pages show the window; a message every few seconds, only when it moved, costs nothing under load.
let reported = ''
setInterval(() => {
  const windows = [...runtime.worker.windows()]
  const text = JSON.stringify(windows)
  if (text === reported) return
  reported = text
  reply({ type: 'windows', windows })
}, windowReportIntervalMs).unref()

/**
 * A check for due alerts at most every `alertWakeIntervalMs`: the main thread wakes this one after every commit that
 * queued deliveries, hundreds of times a second under load, and each check is a query for an alert that is rarely
 * there. A wake inside the interval is not lost: it runs when the interval ends.
 */
const alertWakeIntervalMs = 200
let alertsWokenAt = Number.NEGATIVE_INFINITY
let alertWakeTimer: NodeJS.Timeout | undefined
function wakeAlerts(): void {
  if (alertWakeTimer) return
  const wait = alertsWokenAt + alertWakeIntervalMs - performance.now()
  const wake = () => {
    alertWakeTimer = undefined
    alertsWokenAt = performance.now()
    runtime.alerts.wake()
  }
  if (wait <= 0) wake()
  else alertWakeTimer = setTimeout(wake, wait)
}

port.on('message', (message: ToDeliveryThread) => {
  if (message.type === 'wake') {
    runtime.worker.wake()
    wakeAlerts()
  }
  if (message.type === 'stop') {
    clearTimeout(alertWakeTimer)
    runtime.worker
      .stop(config.shutdownGraceMs)
      .then(() => runtime.alerts.stop())
      .then(() => runtime.retention.stop())
      .then(() => store.close())
      .then(() => tracing?.shutdown())
      .catch((error: unknown) => log.error({ err: error }, 'delivery thread did not stop cleanly'))
      .finally(() => {
        attempts?.flush()
        reply({ type: 'stopped' })
        port.close()
      })
  }
})
