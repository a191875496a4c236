/** The ingest use case: a decoded body in, a durable receipt out. Shared by HTTP, imports and the CLI. */

import { AppError } from '../core/errors.ts'
import type { Stage } from '../core/funnel.ts'
import { createActionMeanings } from '../core/funnel.ts'
import type { IdGenerator } from '../core/ids.ts'
import { type InboundFormat, parseInboundLead } from '../core/inbound.ts'
import { maxBodyDepth, nestsDeeperThan } from '../core/json-depth.ts'
import { contentHashOf, interpretLead } from '../core/lead.ts'
import type { Clock } from '../core/ports.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { createGroupCommit } from '../store/group-commit.ts'
import type { IngestItem, IngestOutcome, IngestReceipt, Store } from '../store/types.ts'
import type { IngestSpan, Tracing } from '../tracing/tracing.ts'

export interface IngestRequest {
  readonly tenantId: string
  readonly format: InboundFormat
  readonly body: unknown
  /** From the `Idempotency-Key` header; the body's `eventId` is used when absent. */
  readonly idempotencyKey?: string
  /** Reject (rather than keep with a warning) customer values that cannot be used. Leadrelay's own API is strict. */
  readonly strict?: boolean
}

export interface IngestResponse {
  readonly receipt: IngestReceipt
  /** True when this repeats an earlier send; the receipt is the original one. */
  readonly duplicate: boolean
}

export interface IngestService {
  ingest(request: IngestRequest): Promise<IngestResponse>
  /** Waits for queued commits, for a clean shutdown. */
  drain(): Promise<void>
}

export interface IngestServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly dedupeWindowMs: number
  readonly actionStages?: Readonly<Record<string, Stage>>
  /** Called after a commit that queued deliveries (wakes the delivery worker). */
  readonly onCommitted?: () => void
  /** Counts leads and times ingests and commits when metrics are on. */
  readonly metrics?: Pick<Metrics, 'leadReceived' | 'storeCommit'>
  /** A span per ingest whose context the queued deliveries keep, when traces are on. */
  readonly tracing?: Pick<Tracing, 'startIngest'>
}

const idempotencyKeyPattern = /^[\x21-\x7e]{1,200}$/

export type IngestPreparationDeps = Pick<IngestServiceDeps, 'clock' | 'ids' | 'dedupeWindowMs' | 'actionStages'>

/**
 * Turns requests into the items the store records: the checks and interpretation of every ingest, whichever way
 * it is committed (the ingest service's group commit, or the bulk import's large batches, services/bulk-ingest.ts).
 * Throws the AppError a request is refused with.
 */
export function createIngestPreparation(deps: IngestPreparationDeps): (request: IngestRequest) => IngestItem {
  const actionMeanings = createActionMeanings(deps.actionStages)
  return (request) => {
    // Imports reach here without the HTTP parser's check; nothing below may meet unbounded nesting.
    if (nestsDeeperThan(request.body, maxBodyDepth)) {
      throw new AppError('BODY_TOO_DEEP', `The lead nests objects and arrays more than ${maxBodyDepth} levels deep`, {
        field: '$',
      })
    }
    const incoming = parseInboundLead(request.body, request.format)
    const idempotencyKey = request.idempotencyKey ?? incoming.eventId
    if (idempotencyKey !== undefined && !idempotencyKeyPattern.test(idempotencyKey)) {
      throw new AppError('IDEMPOTENCY_KEY_INVALID', 'Idempotency keys are 1 to 200 printable ASCII characters', {
        field: request.idempotencyKey === undefined ? 'eventId' : 'Idempotency-Key',
      })
    }
    if (request.strict && incoming.unusableTime !== undefined) {
      const { field } = incoming.unusableTime
      throw new AppError(
        'LEAD_INVALID',
        `${field} must be a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (ISO 8601, or whole epoch milliseconds)`,
        { field },
      )
    }
    const draft = interpretLead(incoming, { receivedAt: deps.clock.now(), actionMeanings })
    if (request.strict && draft.invalid.email !== undefined) {
      throw new AppError('LEAD_INVALID', 'customer.email is not a valid email address', { field: 'customer.email' })
    }
    return {
      tenantId: request.tenantId,
      eventId: deps.ids.next('evt'),
      newLeadId: deps.ids.next('lead'),
      newDeliveryId: () => deps.ids.next('dlv'),
      draft,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
      contentHash: contentHashOf(request.format, request.body),
      dedupeWindowMs: deps.dedupeWindowMs,
    }
  }
}

/** The answer to a request from what the store did with its item; a reused idempotency key is refused. */
export function ingestResponseOf(
  request: IngestRequest,
  outcome: Exclude<IngestOutcome, { status: 'failed' }>,
): IngestResponse {
  if (outcome.status === 'conflict') {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used with a different body', {
      field: request.idempotencyKey === undefined ? 'eventId' : 'Idempotency-Key',
    })
  }
  return { receipt: outcome.receipt, duplicate: outcome.status === 'duplicate' }
}

/** What a span may tell of a lead: where it came from and what happened, never who the customer is. */
function sourceOf(item: IngestItem): { source?: string; action?: string } {
  return {
    ...(item.draft.source !== undefined && { source: item.draft.source }),
    ...(item.draft.action !== undefined && { action: item.draft.action }),
  }
}

export function createIngestService(deps: IngestServiceDeps): IngestService {
  const prepare = createIngestPreparation(deps)
  const groupCommit = createGroupCommit({ store: deps.store, clock: deps.clock })
  const { metrics, tracing } = deps
  async function record(request: IngestRequest, span: IngestSpan | undefined): Promise<IngestResponse> {
    const startedAt = metrics ? performance.now() : 0
    const prepared = prepare(request)
    const item = span ? { ...prepared, traceParent: span.traceParent } : prepared
    let outcome: Awaited<ReturnType<typeof groupCommit.submit>>
    try {
      const commitStartedAt = metrics ? performance.now() : 0
      outcome = await groupCommit.submit(item)
      if (metrics) metrics.storeCommit((performance.now() - commitStartedAt) / 1000)
    } catch (error) {
      if (!(error instanceof AppError)) span?.end({ outcome: 'failed', errorCode: 'STORE_FAILED', ...sourceOf(item) })
      throw error
    }
    const response = ingestResponseOf(request, outcome)
    span?.end({
      outcome: response.duplicate ? 'duplicate' : 'accepted',
      eventId: response.receipt.eventId,
      leadId: response.receipt.leadId,
      deliveries: response.receipt.deliveries,
      ...sourceOf(item),
    })
    if (outcome.status === 'recorded' && outcome.receipt.deliveries > 0) deps.onCommitted?.()
    if (metrics) {
      const counted = outcome.status === 'duplicate' ? 'duplicate' : 'accepted'
      metrics.leadReceived(item.draft.source, item.draft.action, counted, (performance.now() - startedAt) / 1000)
    }
    return response
  }
  // Decided once: without traces an ingest is the recording alone, with no span to start, carry or end.
  const service: IngestService = {
    ingest: tracing
      ? async (request) => {
          const span = tracing.startIngest({ tenantId: request.tenantId, format: request.format })
          try {
            return await record(request, span)
          } catch (error) {
            // Ended already when the store failed; a refused request (a code from the catalogue) is ended here.
            if (error instanceof AppError) span.end({ outcome: 'rejected', errorCode: error.code })
            throw error
          }
        }
      : (request) => record(request, undefined),
    drain: () => groupCommit.drain(),
  }
  if (!metrics) return service
  return {
    ...service,
    async ingest(request) {
      try {
        return await service.ingest(request)
      } catch (error) {
        if (error instanceof AppError) metrics.leadReceived(undefined, undefined, 'rejected', 0)
        throw error
      }
    },
  }
}
