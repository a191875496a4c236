/**
 * The OpenTelemetry side of tracing.ts: spans exported as OTLP/HTTP JSON in batches. Loaded only by `loadTracing`,
 * dynamically, when the configuration asks for traces.
 */

import { type Link, type SpanContext, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions'
import type { TracingConfig } from '../config.ts'
import type { Tracing } from './tracing.ts'

/**
 * How long one export, and a stop's last flush, may take. A receiver that does not answer must not hold up SIGTERM
 * (its pending request would keep the process alive); a collector beside Leadrelay answers in milliseconds.
 */
const exportTimeoutMs = 3000

const traceParentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** The W3C `traceparent` of a span context (version 00). */
export function traceParentOf(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`
}

/** The span context a stored `traceparent` names, or undefined when it is not one. */
export function spanContextOf(traceParent: string): SpanContext | undefined {
  const match = traceParentPattern.exec(traceParent)
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined
  return {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  }
}

export function createOtelTracing(config: TracingConfig, version: string): Tracing {
  const exporter = new OTLPTraceExporter({
    url: config.url,
    headers: { ...config.headers },
    timeoutMillis: exportTimeoutMs,
  })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }),
    // Given rather than left to the SDK, which would read OTEL_TRACES_SAMPLER and OTEL_BSP_* itself (config.ts reads
    // the environment): every ingest and attempt, sent every 5 s or 512 spans, at most 2048 waiting.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: 5000,
        maxExportBatchSize: 512,
        maxQueueSize: 2048,
        exportTimeoutMillis: exportTimeoutMs,
      }),
    ],
  })
  const tracer = provider.getTracer('leadrelay', version)

  return {
    startIngest({ tenantId, format }) {
      // A producer span: the deliveries it queues are its messages, attempted later by a consumer of the queue.
      const span = tracer.startSpan('ingest lead', {
        kind: SpanKind.PRODUCER,
        attributes: { 'leadrelay.tenant.id': tenantId, 'leadrelay.lead.format': format },
      })
      return {
        traceParent: traceParentOf(span.spanContext()),
        end(result) {
          span.setAttribute('leadrelay.ingest.outcome', result.outcome)
          if (result.source !== undefined) span.setAttribute('leadrelay.lead.source', result.source)
          if ('errorCode' in result) {
            span.setAttribute(ATTR_ERROR_TYPE, result.errorCode)
            // A refused lead is the client's error, not ours: only a failure to record marks the span as failed.
            if (result.outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR })
          } else {
            if (result.action !== undefined) span.setAttribute('leadrelay.lead.action', result.action)
            span.setAttributes({
              'leadrelay.event.id': result.eventId,
              'leadrelay.lead.id': result.leadId,
              'leadrelay.deliveries.queued': result.deliveries,
            })
          }
          span.end()
        },
      }
    },

    traceAttempts(events) {
      return events.on('attempted', ({ destination, deliveries, outcomes, seconds }) => {
        const endTime = Date.now()
        const startTime = endTime - seconds * 1000
        for (const [index, delivery] of deliveries.entries()) {
          const outcome = outcomes[index]
          if (!outcome) continue
          const ingest = delivery.traceParent === undefined ? undefined : spanContextOf(delivery.traceParent)
          const links: Link[] = ingest ? [{ context: ingest }] : []
          const span = tracer.startSpan('deliver lead', {
            kind: SpanKind.CLIENT,
            startTime,
            links,
            attributes: {
              'leadrelay.tenant.id': delivery.tenantId,
              'leadrelay.destination.id': destination.id,
              'leadrelay.destination.kind': destination.kind,
              'leadrelay.delivery.id': delivery.id,
              'leadrelay.delivery.operation': delivery.operation,
              'leadrelay.attempt.number': delivery.attemptCount + 1,
              'leadrelay.attempt.outcome': outcome.kind === 'delivered' ? 'delivered' : outcome.failure,
              'leadrelay.batch.size': deliveries.length,
              ...(outcome.status !== undefined && { [ATTR_HTTP_RESPONSE_STATUS_CODE]: outcome.status }),
            },
          })
          if (outcome.kind === 'failed') {
            span.setAttribute(ATTR_ERROR_TYPE, outcome.failure)
            span.setStatus({ code: SpanStatusCode.ERROR })
          }
          span.end(endTime)
        }
      })
    },

    async shutdown() {
      let timer: NodeJS.Timeout | undefined
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, exportTimeoutMs)
        timer.unref()
      })
      await Promise.race([provider.shutdown().catch(() => undefined), waited])
      clearTimeout(timer)
    },
  }
}
