/** What every queue operation runs with: the database and the dialect's ways of committing, locking and waking. */

import type { Kysely } from 'kysely'
import type { BookkeepingTransaction, Executor } from '../executor.ts'
import type { Database } from '../schema.ts'

/** How a dialect keeps concurrent workers apart when claiming; absent where only one worker runs (SQLite). */
export interface ClaimLocking {
  /** Appended to the candidate query, e.g. `for update of d skip locked`: concurrent claims take different rows. */
  readonly rowLock: string
  /** Takes transaction-scoped locks on (destination, lead) pairs; answers those it got (another worker holds the rest). */
  lockPairs(trx: Executor, pairKeys: readonly string[]): Promise<ReadonlySet<string>>
}

export interface QueueQueriesOptions {
  readonly db: Kysely<Database>
  /** The dialect's way to commit bookkeeping without a synchronous flush; a plain transaction by default. */
  readonly bookkeepingTransaction?: BookkeepingTransaction
  readonly claimLocking?: ClaimLocking
  /** Runs inside a transaction that queued work, to wake idle workers when it commits (LISTEN/NOTIFY). */
  readonly notifyWork?: (trx: Executor) => Promise<void>
}

/** The options with the default filled in: what each operation file receives. */
export interface QueueContext extends QueueQueriesOptions {
  readonly bookkeepingTransaction: BookkeepingTransaction
}

export function queueContextOf(options: QueueQueriesOptions): QueueContext {
  const { db } = options
  return {
    ...options,
    bookkeepingTransaction: options.bookkeepingTransaction ?? ((work) => db.transaction().execute(work)),
  }
}
