import { type Kysely, sql } from 'kysely'

export const name = 'deferred-indexes'

/**
 * The indexes a large bulk import has set aside (deferred-indexes.ts), each with the statement that built it, written
 * in the same transaction as their drop. Whoever builds them (the import at its end, or the next open of the store
 * after an import that was killed) deletes the row in the transaction that builds the index, so a row here always
 * means an index missing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table deferred_indexes (
      name text primary key,
      definition text not null,
      deferred_at integer not null
    ) strict`.execute(db)
}
