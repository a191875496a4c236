/** Fills the normalised search columns of leads stored before they existed; shared by both dialects' migrations. */

import { type Kysely, sql } from 'kysely'
import { searchColumnsOf } from '../core/lead-search.ts'

const batchSize = 500

/**
 * Reads the leads in id order, a batch at a time, and writes their keys with one statement per batch. The keys are
 * computed in JavaScript, exactly as ingest computes them (SQLite's `lower()` would miss every non-ASCII letter).
 */
export async function backfillLeadSearchColumns(db: Kysely<any>): Promise<void> {
  let after = ''
  for (;;) {
    const rows = (await db
      .selectFrom('leads')
      .select(['id', 'first_name', 'last_name', 'email', 'company'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(batchSize)
      .execute()) as {
      id: string
      first_name: string | null
      last_name: string | null
      email: string | null
      company: string | null
    }[]
    if (rows.length === 0) return
    after = rows.at(-1)!.id
    const values = rows.map((row) => {
      const keys = searchColumnsOf({
        ...(row.first_name !== null && { firstName: row.first_name }),
        ...(row.last_name !== null && { lastName: row.last_name }),
        ...(row.email !== null && { email: row.email }),
        ...(row.company !== null && { company: row.company }),
      })
      return sql`(${row.id}, ${keys.name_key}, ${keys.last_name_key}, ${keys.company_key}, ${keys.email_domain})`
    })
    await sql`
      with keyed (id, name_key, last_name_key, company_key, email_domain) as (values ${sql.join(values)})
      update leads set name_key = keyed.name_key, last_name_key = keyed.last_name_key,
        company_key = keyed.company_key, email_domain = keyed.email_domain
      from keyed where leads.id = keyed.id`.execute(db)
  }
}
