/**
 * Traces of ingest and delivery, as the rest of Leadrelay sees them: no OpenTelemetry type here. The exporter behind
 * this contract (otel-tracing.ts) is imported only when the configuration asks for traces, so an installation without
 * them loads none of OpenTelemetry (docs/decisions/0012-trace-context-of-deliveries.md).
 */

import type { TracingConfig } from '../config.ts'
import type { WorkerEvents } from '../delivery/worker-events.ts'

/** How an ingest ended, as its span tells it: never the customer, only ids, the source and the outcome. */
export type IngestSpanResult =
  | {
      readonly outcome: 'accepted' | 'duplicate'
      readonly eventId: string
      readonly leadId: string
      readonly deliveries: number
      readonly source?: string
      readonly action?: string
    }
  | { readonly outcome: 'rejected' | 'failed'; readonly errorCode: string; readonly source?: string }

/** One ingest's span, started before the event is recorded so the deliveries it queues can carry its context. */
export interface IngestSpan {
  /** The span's W3C `traceparent`, stored with each delivery the ingest queues. */
  readonly traceParent: string
  end(result: IngestSpanResult): void
}

export interface Tracing {
  startIngest(attributes: { readonly tenantId: string; readonly format: string }): IngestSpan
  /** One span per delivery attempt the worker makes, linked to the ingest that queued the delivery. */
  traceAttempts(events: WorkerEvents): () => void
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>
}

/** The exporter the configuration asks for, or undefined (and nothing of OpenTelemetry loaded) when it asks for none. */
export async function loadTracing(config: TracingConfig | undefined, version: string): Promise<Tracing | undefined> {
  if (config === undefined) return undefined
  const { createOtelTracing } = await import('./otel-tracing.ts')
  return createOtelTracing(config, version)
}
