/**
 * Retention runs (docs/privacy.md): for every tenant, its delivery attempts older than its setting are deleted, the
 * events of its idle leads reduced to their merged lead, and its old audit entries deleted, one small transaction at
 * a time with a pause between two, so ingest always gets the store's write lock between batches. The delivery thread
 * runs the periodic task beside the worker; `leadrelay retention run` runs once.
 */

import type { Clock } from '../core/ports.ts'
import { type RetentionCutoffs, retentionCutoffs } from '../core/retention.ts'
import type { Logger } from '../logger.ts'
import type { IdleLeadCursor } from '../store/retention-queries.ts'
import type { Store } from '../store/types.ts'

export type RetentionStep = 'attempts' | 'events' | 'audit'

export interface RetentionProgress {
  readonly tenantId: string
  readonly step: RetentionStep
  /** Rows deleted (attempts, audit) or leads looked at (events) in this step of this tenant so far. */
  readonly done: number
}

export interface RetentionSummary {
  readonly tenants: number
  readonly attemptsDeleted: number
  readonly idleLeads: number
  readonly eventsDeleted: number
  readonly eventsReduced: number
  readonly auditDeleted: number
  /** False when the run was stopped before it finished. */
  readonly complete: boolean
}

export interface RetentionRunOptions {
  /**
   * The most rows per transaction (attempts, audit); idle leads go a fifth of it at a time, each with its events.
   * The run starts there and halves it while a batch takes longer than `batchBudgetMs`, doubling it back when one
   * takes less than half, so the store's write lock is never held for long whatever the machine's load.
   */
  readonly batchSize?: number
  /** How long one batch may take, in milliseconds (10 unless told). */
  readonly batchBudgetMs?: number
  /** The least pause between two batches, in milliseconds; the pause is also at least thrice the last batch's time. */
  readonly pauseMs?: number
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: RetentionProgress) => void
  /** Only this tenant (the CLI's --tenant). */
  readonly tenantId?: string
}

export const defaultRetentionBatchSize = 500
const defaultPauseMs = 20
const defaultBatchBudgetMs = 10
/** Never below this many rows a batch, however slow the store: the backlog must still shrink. */
const leastBatchSize = 50
/**
 * Retention works at most a tenth of the time: the pause after a batch lasts at least this many times as long. At a
 * quarter (3), ingest p99 on two busy cores rose by 28 to 51 % while it ran (docs/benchmarks.md, retention).
 */
const pauseFactor = 9

/** One pass over every tenant (or one); resolves when all is done or `signal` aborted it between two batches. */
export async function runRetention(
  deps: { readonly store: Store; readonly clock: Clock },
  options: RetentionRunOptions = {},
): Promise<RetentionSummary> {
  const { store, clock } = deps
  const largest = options.batchSize ?? defaultRetentionBatchSize
  const least = Math.min(largest, leastBatchSize)
  const budgetMs = options.batchBudgetMs ?? defaultBatchBudgetMs
  const pauseMs = options.pauseMs ?? defaultPauseMs
  const stopped = () => options.signal?.aborted === true
  const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
  let size = largest
  const leadBatchSize = () => Math.max(1, Math.floor(size / 5))
  const totals = { tenants: 0, attemptsDeleted: 0, idleLeads: 0, eventsDeleted: 0, eventsReduced: 0, auditDeleted: 0 }

  /** Calls `batch` until it reports less than the batch it was asked for; answers false when stopped first. */
  async function repeat(step: RetentionStep, tenantId: string, batch: () => Promise<{ count: number; full: boolean }>) {
    let done = 0
    for (;;) {
      if (stopped()) return false
      const started = performance.now()
      const { count, full } = await batch()
      const elapsed = performance.now() - started
      done += count
      options.onProgress?.({ tenantId, step, done })
      if (!full) return true
      if (elapsed > budgetMs) size = Math.max(least, Math.floor(size / 2))
      else if (elapsed < budgetMs / 2) size = Math.min(largest, size * 2)
      await pause(Math.max(pauseMs, elapsed * pauseFactor))
    }
  }

  const plan = (await store.listRetentionPlan()).filter(
    (entry) => options.tenantId === undefined || entry.tenantId === options.tenantId,
  )
  for (const { tenantId, settings } of plan) {
    const cutoffs: RetentionCutoffs = retentionCutoffs(settings, clock.now())
    const attemptsDone = await repeat('attempts', tenantId, async () => {
      const asked = size
      const deleted = await store.deleteAttemptsBefore(tenantId, cutoffs.attemptsBefore, asked)
      totals.attemptsDeleted += deleted
      return { count: deleted, full: deleted === asked }
    })
    let cursor: IdleLeadCursor | undefined
    const eventsDone =
      attemptsDone &&
      (await repeat('events', tenantId, async () => {
        const batch = await store.reduceIdleLeadEvents(tenantId, cutoffs.idleBefore, leadBatchSize(), cursor)
        totals.idleLeads += batch.leads
        totals.eventsDeleted += batch.eventsDeleted
        totals.eventsReduced += batch.eventsReduced
        cursor = batch.nextCursor
        return { count: batch.leads, full: cursor !== undefined }
      }))
    const auditDone =
      eventsDone &&
      (await repeat('audit', tenantId, async () => {
        const asked = size
        const deleted = await store.deleteAuditBefore(tenantId, cutoffs.auditBefore, asked)
        totals.auditDeleted += deleted
        return { count: deleted, full: deleted === asked }
      }))
    if (!auditDone) return { ...totals, complete: false }
    totals.tenants += 1
  }
  return { ...totals, complete: true }
}

export interface RetentionTaskDeps {
  readonly store: Store
  readonly clock: Clock
  readonly log: Logger
  /** Between the end of one run and the start of the next; an hour unless told. */
  readonly intervalMs?: number
  /** Before the first run, so a restart does not start with a sweep. */
  readonly firstRunAfterMs?: number
  readonly batchSize?: number
  readonly pauseMs?: number
}

export interface RetentionTask {
  start(): void
  /** Stops between two batches and waits for the batch in progress. */
  stop(): Promise<void>
}

/** Runs `runRetention` now and then, beside the delivery worker, until stopped. */
export function createRetentionTask(deps: RetentionTaskDeps): RetentionTask {
  const intervalMs = deps.intervalMs ?? 60 * 60 * 1000
  const firstRunAfterMs = deps.firstRunAfterMs ?? 60 * 1000
  let controller: AbortController | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined

  function schedule(afterMs: number) {
    timer = setTimeout(() => {
      timer = undefined
      running = runOnce().finally(() => {
        running = undefined
        if (controller && !controller.signal.aborted) schedule(intervalMs)
      })
    }, afterMs)
    timer.unref?.()
  }

  async function runOnce(): Promise<void> {
    const signal = controller?.signal
    try {
      const summary = await runRetention(deps, {
        ...(deps.batchSize !== undefined && { batchSize: deps.batchSize }),
        ...(deps.pauseMs !== undefined && { pauseMs: deps.pauseMs }),
        ...(signal && { signal }),
      })
      const { attemptsDeleted, eventsDeleted, eventsReduced, auditDeleted } = summary
      if (attemptsDeleted + eventsDeleted + eventsReduced + auditDeleted > 0) deps.log.info(summary, 'retention run')
    } catch (error) {
      deps.log.warn({ err: error }, 'retention run failed; trying again at the next one')
    }
  }

  return {
    start() {
      if (controller) return
      controller = new AbortController()
      schedule(firstRunAfterMs)
    },
    async stop() {
      controller?.abort()
      controller = undefined
      if (timer) clearTimeout(timer)
      timer = undefined
      await running
    },
  }
}
