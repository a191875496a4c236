/** What the store's shared queries run on: the database itself or one of its transactions. */

import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'

export type Executor = Kysely<Database> | Transaction<Database>

/**
 * Runs a transaction of delivery bookkeeping (claims, attempt outcomes) without waiting for its commit to reach the
 * disk. Losing such a commit to a power failure only sends a delivery again (receivers deduplicate on its stable
 * id); it never loses a lead, whose events are always committed durably.
 */
export type BookkeepingTransaction = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>
