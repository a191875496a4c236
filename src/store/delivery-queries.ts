/** Moved to executor.ts; kept while the ingest files still import from here. */
export type { BookkeepingTransaction, Executor } from './executor.ts'
