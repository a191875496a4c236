/**
 * The leads list: every filter, the sort and the count run in the database, each served by an index of migration
 * 0005 (SQLite) / 0006 (PostgreSQL). Paging is by keyset (the sort value and the id of the last lead shown), so a
 * page costs the same on the thousandth page as on the first. docs/leads-list.md describes the choices.
 */

import { type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely'
import { AppError } from '../core/errors.ts'
import { prefixUpperBound, searchKeyOf } from '../core/lead-search.ts'
import { offerKeyOf } from '../core/lead-source.ts'
import type { Database } from './schema.ts'
import {
  defaultLeadSort,
  type LeadCount,
  type LeadFilter,
  type LeadSort,
  type LeadSortField,
  leadSortFields,
  type StoreCapabilities,
} from './types.ts'

type LeadQuery<O> = SelectQueryBuilder<Database, 'leads', O>

const sortColumns = {
  lastActivity: 'last_event_at',
  createdAt: 'created_at',
  name: 'name_key',
  company: 'company_key',
} as const satisfies Record<LeadSortField, keyof Database['leads']>

const numericSorts: ReadonlySet<LeadSortField> = new Set(['lastActivity', 'createdAt'])

/** A keyset position: the sort it belongs to, the last lead's sort value and its id. */
type Position = readonly [sort: string, value: string | number, id: string]

const sortName = (sort: LeadSort) => `${sort.by}.${sort.direction}`

export function encodeLeadCursor(sort: LeadSort, value: string | number, id: string): string {
  const position: Position = [sortName(sort), value, id]
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

/** A cursor's position, or the bare lead id earlier versions used as a cursor (id order). */
export type LeadCursor = { readonly value: string | number; readonly id: string } | { readonly afterLead: string }

const leadIdPattern = /^lead_[0-9A-Z]{26}$/

export function decodeLeadCursor(cursor: string, sort: LeadSort): LeadCursor {
  const invalid = (why: string) => new AppError('VALIDATION_FAILED', `cursor is not valid: ${why}`, { field: 'cursor' })
  const text = Buffer.from(cursor, 'base64url').toString()
  if (leadIdPattern.test(text)) return { afterLead: text }
  let position: unknown
  try {
    position = JSON.parse(text)
  } catch {
    throw invalid('not a cursor this API gave out')
  }
  if (!Array.isArray(position) || position.length !== 3) throw invalid('not a cursor this API gave out')
  const [name, value, id] = position as unknown[]
  if (name !== sortName(sort)) throw invalid(`it continues the order ${String(name)}, not ${sortName(sort)}`)
  const valueFits = numericSorts.has(sort.by) ? Number.isSafeInteger(value) : typeof value === 'string'
  if (!valueFits || typeof id !== 'string' || !leadIdPattern.test(id)) throw invalid('not a cursor this API gave out')
  return { value: value as string | number, id }
}

export function isLeadSortField(value: string): value is LeadSortField {
  return (leadSortFields as readonly string[]).includes(value)
}

/**
 * How a search finds its leads: through its keys' indexes, sorting the matches (`index`), or by reading the leads in
 * the page's order and keeping those that match (`order`).
 */
export type SearchReading = 'index' | 'order'

/**
 * Above this many matches (on SQLite, which keeps no statistics) a search reads in the page's order: sorting every
 * match of a common name grows with the store (40,000 lead rows for "müller" at 1,000,000 events), while in order a
 * page stops after `limit` matches, and with this many of them those come within a bounded walk on average.
 */
export const orderedSearchAbove = 2_000

export interface LeadListQueriesOptions {
  readonly db: Kysely<Database>
  readonly capabilities: Pick<StoreCapabilities, 'plannerStatistics' | 'prefixCollation'>
  /** Matches above which a search reads in the page's order (default `orderedSearchAbove`; a test sets it low). */
  readonly orderedSearchAbove?: number
}

export function createLeadListQueries({
  db,
  capabilities,
  orderedSearchAbove: denseSearch = orderedSearchAbove,
}: LeadListQueriesOptions) {
  // The email's prefix index compares in the prefix collation, so the prefix range must too.
  const email =
    capabilities.prefixCollation === undefined
      ? sql<string>`email`
      : sql<string>`(email collate ${sql.id(capabilities.prefixCollation)})`

  /** Leads of a configured offer carry its id; leads of one not configured yet carry its normalised name. */
  async function offerKeyFor(tenantId: string, offer: string): Promise<string> {
    const known = await db
      .selectFrom('offers')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', offer)
      .executeTakeFirst()
    return known ? offer : offerKeyOf(offer)
  }

  /** An earlier version's cursor (a lead id) continues after that lead in the order asked for now. */
  async function positionOf(
    tenantId: string,
    cursor: LeadCursor,
    column: (typeof sortColumns)[LeadSortField],
  ): Promise<{ value: string | number; id: string }> {
    if (!('afterLead' in cursor)) return cursor
    const row = await db
      .selectFrom('leads')
      .select(['id', column])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', cursor.afterLead)
      .executeTakeFirst()
    if (!row)
      throw new AppError('VALIDATION_FAILED', 'cursor is not valid: no such lead', {
        field: 'cursor',
      })
    const value = (row as Record<string, unknown>)[column]
    return { value: typeof value === 'string' ? value : Number(value), id: row.id }
  }

  /** The keys a search matches the start of, each with an index of its own (the email's in the prefix collation). */
  const searchKeys = [
    sql<string>`name_key`,
    sql<string>`last_name_key`,
    sql<string>`company_key`,
    sql<string>`email_domain`,
    email,
  ]

  /** `column` within the prefix range of `prefix`. */
  function inPrefix(eb: ExpressionBuilder<Database, 'leads'>, column: RawBuilder<string>, prefix: string) {
    const upper = prefixUpperBound(prefix)
    return eb.and([eb(column, '>=', prefix), ...(upper === undefined ? [] : [eb(column, '<', upper)])])
  }

  /**
   * A search's prefix ranges, each read from its key's index (`index`), or checked on each lead read in the order's
   * index (`order`: each key as `+column`, which SQLite cannot read through an index).
   */
  function searchedIn<O>(query: LeadQuery<O>, tenantId: string, prefix: string, readBy: SearchReading): LeadQuery<O> {
    if (readBy === 'order') {
      const upper = prefixUpperBound(prefix)
      return query.where('tenant_id', '=', tenantId).where((eb: ExpressionBuilder<Database, 'leads'>) =>
        eb.or(
          ['name_key', 'last_name_key', 'company_key', 'email_domain', 'email'].map((name) => {
            const column = sql<string>`+${sql.ref(name)}`
            return eb.and([eb(column, '>=', prefix), ...(upper === undefined ? [] : [eb(column, '<', upper)])])
          }),
        ),
      )
    }
    return query.where((eb: ExpressionBuilder<Database, 'leads'>) => {
      // The tenant inside each alternative: each is then one index range, and SQLite reads them together
      // (MULTI-INDEX OR) instead of walking all of the tenant's leads.
      const upper = prefixUpperBound(prefix)
      const within = (column: typeof email) =>
        eb.and([
          eb('tenant_id', '=', tenantId),
          eb(column, '>=', prefix),
          ...(upper === undefined ? [] : [eb(column, '<', upper)]),
        ])
      return eb.or([
        within(sql<string>`name_key`),
        within(sql<string>`last_name_key`),
        within(sql<string>`company_key`),
        within(sql<string>`email_domain`),
        within(email),
      ])
    })
  }

  async function filtered<O>(
    query: LeadQuery<O>,
    tenantId: string,
    filter: LeadFilter,
    searchBy: SearchReading = 'index',
  ): Promise<LeadQuery<O>> {
    const prefix = filter.search === undefined ? '' : searchKeyOf(filter.search)
    let q = prefix === '' ? query.where('tenant_id', '=', tenantId) : searchedIn(query, tenantId, prefix, searchBy)
    if (filter.offerId !== undefined) q = q.where('offer_key', '=', await offerKeyFor(tenantId, filter.offerId))
    if (filter.stage !== undefined) q = q.where('stage', '=', filter.stage)
    if (filter.source !== undefined) q = q.where('source', '=', filter.source)
    // Literal flags, so SQLite can use the partial indexes (a bound parameter cannot prove `do_not_contact = 1`).
    if (filter.doNotContact !== undefined) q = q.where('do_not_contact', '=', sql.lit(filter.doNotContact ? 1 : 0))
    if (filter.isTest !== undefined) q = q.where('is_test', '=', sql.lit(filter.isTest ? 1 : 0))
    if (filter.routed !== undefined) q = q.where('offer_id', filter.routed ? 'is not' : 'is', null)
    if (filter.email !== undefined) q = q.where('email', '=', filter.email.trim().toLowerCase())
    if (filter.emailDomain !== undefined)
      q = q.where('email_domain', '=', filter.emailDomain.trim().replace(/^@/, '').toLowerCase())
    if (filter.since !== undefined) q = q.where('last_event_at', '>=', filter.since)
    if (filter.until !== undefined) q = q.where('last_event_at', '<', filter.until)
    return q
  }

  /** The statement a page runs (exposed so a test can ask the database how it plans it). */
  async function listQuery(
    tenantId: string,
    filter: LeadFilter,
    page: { limit: number; cursor?: string; sort?: LeadSort },
    searchBy: SearchReading = 'index',
  ) {
    const sort = page.sort ?? defaultLeadSort
    const column = sortColumns[sort.by]
    let query = await filtered(db.selectFrom('leads').selectAll(), tenantId, filter, searchBy)
    // Few leads match an email or a search: a planner without statistics (SQLite) would otherwise read the whole tenant
    // in the sort's index order looking for them. `+column` keeps it on the filter's index and sorts the matches.
    const sortAfter =
      !capabilities.plannerStatistics &&
      (filter.email !== undefined || (searchBy === 'index' && searchKeyOf(filter.search ?? '') !== ''))
    const sortBy = sortAfter ? sql`+${sql.ref(column)}` : sql.ref(column)
    const thenBy = sortAfter ? sql`+id` : sql.ref('id')
    if (page.cursor !== undefined) {
      const after = await positionOf(tenantId, decodeLeadCursor(page.cursor, sort), column)
      query = query.where(
        sql<boolean>`(${sortBy}, ${thenBy}) ${sql.raw(sort.direction === 'desc' ? '<' : '>')} (${after.value}, ${after.id})`,
      )
    }
    return query
      .orderBy(sortBy, sort.direction)
      .orderBy(thenBy, sort.direction)
      .limit(page.limit + 1)
  }

  /**
   * The statement a count runs: at most `cap` + 1 matching index entries are read. A search alone is counted first key
   * by key, each up to `cap` + 1 from that key's index: one key above `cap` shows the search is too, and the statement
   * answers `cap` + 1 without gathering every key's matches, which PostgreSQL does with a bitmap of the five indexes
   * and then reads each lead from the table (21–29 ms for the 38,853 leads called Müller at 1,000,000 events, against
   * 1.6 ms for the keys' counts). Only when no key passes `cap` are the search's matches counted together.
   */
  async function countQuery(tenantId: string, filter: LeadFilter, cap: number) {
    const matching = (await filtered(db.selectFrom('leads').select(sql.lit(1).as('one')), tenantId, filter)).limit(
      cap + 1,
    )
    const counted = db.selectFrom(matching.as('matching')).select((eb) => eb.fn.countAll().as('count'))
    const prefix = searchKeyOf(filter.search ?? '')
    const searchAlone = Object.entries(filter).every(([name, value]) => name === 'search' || value === undefined)
    if (prefix === '' || !searchAlone) return counted
    const keyCount = (column: RawBuilder<string>) =>
      db
        .selectFrom(
          db
            .selectFrom('leads')
            .select(sql.lit(1).as('one'))
            .where('tenant_id', '=', tenantId)
            .where((eb) => inPrefix(eb, column, prefix))
            .limit(cap + 1)
            .as('matching'),
        )
        .select((eb) => eb.fn.countAll().as('count'))
    // Both databases evaluate a branch of `case` only when it is taken, so the search's own count runs only then.
    return db.selectNoFrom((eb) =>
      eb
        .case()
        .when(eb.or(searchKeys.map((column) => eb(keyCount(column), '>', sql.lit(cap)))))
        .then(sql.lit(cap + 1))
        .else(counted)
        .end()
        .as('count'),
    )
  }

  /** How a page of `filter` reads its search: in order once the search alone matches many leads (SQLite only). */
  async function searchReadingOf(tenantId: string, filter: LeadFilter): Promise<SearchReading> {
    if (capabilities.plannerStatistics || filter.email !== undefined || searchKeyOf(filter.search ?? '') === '')
      return 'index'
    const { search } = filter
    const matches = await (await countQuery(tenantId, { search }, denseSearch)).executeTakeFirstOrThrow()
    return Number(matches.count) > denseSearch ? 'order' : 'index'
  }

  return {
    listQuery,
    countQuery,

    async listLeads(
      tenantId: string,
      filter: LeadFilter,
      page: { limit: number; cursor?: string; sort?: LeadSort },
    ): Promise<{ rows: Database['leads'][]; nextCursor?: string }> {
      const sort = page.sort ?? defaultLeadSort
      const column = sortColumns[sort.by]
      const searchBy = await searchReadingOf(tenantId, filter)
      const rows = (await (await listQuery(tenantId, filter, page, searchBy)).execute()) as Database['leads'][]
      const shown = rows.slice(0, page.limit)
      const last = shown.at(-1)
      if (rows.length <= page.limit || !last) return { rows: shown }
      const value = numericSorts.has(sort.by) ? Number(last[column]) : String(last[column])
      return { rows: shown, nextCursor: encodeLeadCursor(sort, value, last.id) }
    },

    async countLeads(tenantId: string, filter: LeadFilter, cap: number): Promise<LeadCount> {
      const row = await (await countQuery(tenantId, filter, cap)).executeTakeFirstOrThrow()
      const count = Number(row.count)
      return count > cap ? { count: cap, capped: true } : { count, capped: false }
    },
  }
}
