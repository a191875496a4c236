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

export function createIngestService(deps: IngestServiceDeps): IngestService {
  const prepare = createIngestPreparation(deps)
  const groupCommit = createGroupCommit({ store: deps.store, clock: deps.clock })
  const { metrics } = deps
  const service: IngestService = {
    async ingest(request) {
      const startedAt = metrics ? performance.now() : 0
      const item = prepare(request)
      const commitStartedAt = metrics ? performance.now() : 0
      const outcome = await groupCommit.submit(item)
      const response = ingestResponseOf(request, outcome)
      if (outcome.status === 'recorded' && outcome.receipt.deliveries > 0) deps.onCommitted?.()
      if (metrics) {
        const now = performance.now()
        metrics.storeCommit((now - commitStartedAt) / 1000)
        const counted = outcome.status === 'duplicate' ? 'duplicate' : 'accepted'
        metrics.leadReceived(item.draft.source, item.draft.action, counted, (now - startedAt) / 1000)
      }
      return response
    },
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
