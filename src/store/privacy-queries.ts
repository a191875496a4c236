/**
 * Erasure (GDPR Art. 17) in the store: the customer's leads become tombstones, their events, delivery records and
 * audit details lose every personal value, each destination that holds a record gets an `erase` delivery, and a
 * tombstone keyed by a keyed hash of the email stops later imports and replays from bringing the data back
 * (docs/privacy.md).
 */

import { createHmac, randomBytes } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import { AppError } from '../core/errors.ts'
import type { Executor } from './executor.ts'
import { queuedDeliveryColumns } from './queue/queued-delivery.ts'
import type { Database } from './schema.ts'
import type { IngestItem, IngestOutcome, StoreCapabilities } from './types.ts'

export interface ErasureInput {
  readonly tenantId: string
  /** The customer's email, normalised (trimmed, lower-case) as leads store it. */
  readonly email: string
  /** Who asked: `key:<id>`, `person:<id>`, `cli:<user>`. */
  readonly actor: string
  readonly now: number
  readonly auditId: string
  /** Makes one delivery id per erasure queued. */
  readonly newDeliveryId: () => string
}

export interface ErasureResult {
  /** Keyed hash of the email (HMAC-SHA-256 under the tenant's erasure key), as the tombstone keeps it. */
  readonly emailHash: string
  readonly erasedAt: number
  /** Leads (one per offer) made tombstones. */
  readonly leads: number
  /** `erase` deliveries queued, one per destination holding a record of one of those leads. */
  readonly deletions: number
}

export interface ErasureRecord {
  readonly emailHash: string
  readonly erasedAt: number
  readonly actor: string
  readonly leads: number
}

/** Erasure, as the Store offers it. */
export interface PrivacyStore {
  /** Erases every lead of the customer in the tenant in one transaction (see the module comment). */
  eraseCustomer(input: ErasureInput): Promise<ErasureResult>
  /** The tombstone of this email in the tenant, if it was ever erased. */
  findErasure(tenantId: string, email: string): Promise<ErasureRecord | undefined>
}

/** Keyed, so the tombstone cannot be matched against a list of known addresses without the tenant's key. */
export function emailHashOf(salt: string, email: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(email.trim().toLowerCase()).digest('hex')
}

/** Columns of `leads` holding the customer, and their tombstone values. */
const erasedLeadColumns = {
  first_name: null,
  last_name: null,
  email: null,
  phone: null,
  phone_digits: null,
  country: null,
  company: null,
  title: null,
  merge_key: null,
  name_key: '',
  last_name_key: '',
  company_key: '',
  email_domain: '',
} as const

/** Escapes `%`, `_` and `\` for a LIKE pattern with `escape '\'`. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`)
}

export interface PrivacyQueriesOptions {
  readonly db: Kysely<Database>
  readonly capabilities: Pick<StoreCapabilities, 'secureDelete'>
  readonly notifyWork?: (trx: Executor) => Promise<void>
}

export interface PrivacyQueries extends PrivacyStore {
  /**
   * Holds ingest items back against the tenant's tombstones: an event of an erased email that occurred at or before
   * its erasure is refused (a re-import or replay of what was erased); a later one is recorded and its lead flagged
   * `previouslyErased`. Answers the outcomes of refused items by index, and records the rest through `record`.
   */
  screenIngest(
    items: readonly IngestItem[],
    record: (items: readonly IngestItem[]) => Promise<readonly IngestOutcome[]>,
  ): Promise<IngestOutcome[]>
}

export function createPrivacyQueries({ db, capabilities, notifyWork }: PrivacyQueriesOptions): PrivacyQueries {
  /** Erasure keys never change once made, so a key read once is good for the life of the process. */
  const salts = new Map<string, string>()

  async function saltsOf(tenantIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const missing = tenantIds.filter((id) => !salts.has(id))
    if (missing.length > 0) {
      const rows = await db.selectFrom('erasure_salts').selectAll().where('tenant_id', 'in', missing).execute()
      for (const row of rows) salts.set(row.tenant_id, row.salt)
    }
    return salts
  }

  async function saltFor(trx: Transaction<Database>, tenantId: string): Promise<string> {
    await trx
      .insertInto('erasure_salts')
      .values({ tenant_id: tenantId, salt: randomBytes(32).toString('hex') })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute()
    const row = await trx
      .selectFrom('erasure_salts')
      .select('salt')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow()
    return row.salt
  }

  async function erase(trx: Transaction<Database>, input: ErasureInput): Promise<ErasureResult> {
    const { tenantId, now } = input
    const email = input.email.trim().toLowerCase()
    const emailHash = emailHashOf(await saltFor(trx, tenantId), email)
    const leadIds = (
      await trx.selectFrom('leads').select('id').where('tenant_id', '=', tenantId).where('email', '=', email).execute()
    ).map((row) => row.id)
    let deletions = 0
    if (leadIds.length > 0) {
      await trx
        .updateTable('leads')
        .set((eb) => ({
          ...erasedLeadColumns,
          erased_at: now,
          updated_at: now,
          version: eb('version', '+', 1),
        }))
        .where('id', 'in', leadIds)
        .execute()
      await trx
        .updateTable('lead_events')
        .set({
          customer: '{}',
          description: null,
          extra: null,
          invalid: null,
          idempotency_key: null,
          // Unique per event and never a payload's hash: no later send is taken for a duplicate of an erased one.
          content_hash: sql<string>`'erased:' || id`,
        })
        .where('lead_id', 'in', leadIds)
        .execute()
      const deliveriesOfLeads = trx.selectFrom('deliveries').select('id').where('lead_id', 'in', leadIds)
      // Vendors echo values in their errors (a duplicate email, an invalid phone): the texts go with the data.
      await trx
        .updateTable('delivery_attempts')
        .set({ error: null })
        .where('delivery_id', 'in', deliveriesOfLeads)
        .execute()
      // The payloads sent and the answers received carry the customer, and a vendor batch call carried several
      // leads: its attempts share the exchange, their destination and their start. All of them lose it.
      await trx
        .updateTable('delivery_attempts')
        .set({ request: null, response: null })
        .where(
          sql<boolean>`(destination_id, started_at) in (${trx
            .selectFrom('delivery_attempts as sent')
            .select(['sent.destination_id', 'sent.started_at'])
            .where('sent.delivery_id', 'in', deliveriesOfLeads)})`,
        )
        .execute()
      await trx.updateTable('deliveries').set({ last_error: null }).where('lead_id', 'in', leadIds).execute()
      // Upserts not sent yet must not carry the customer back; an attempt in flight loses its lease here.
      await trx
        .updateTable('deliveries')
        .set({ state: 'superseded', locked_by: null, locked_until: null, updated_at: now })
        .where('lead_id', 'in', leadIds)
        .where('state', 'in', ['queued', 'in_flight'])
        .execute()
      // One erasure per destination that ever took one of these leads (and still exists), by the record id it gave.
      const holders = await trx
        .selectFrom('deliveries as d')
        .innerJoin('destinations as t', 't.id', 'd.destination_id')
        .innerJoin('leads as l', 'l.id', 'd.lead_id')
        .select((eb) => ['d.lead_id', 'd.destination_id', 'l.version', eb.fn.max('d.external_id').as('external_id')])
        .where('d.lead_id', 'in', leadIds)
        .where('d.operation', '=', 'deliver')
        .where('d.delivered_at', 'is not', null)
        .where('t.deleted_at', 'is', null)
        .groupBy(['d.lead_id', 'd.destination_id', 'l.version'])
        .orderBy('d.lead_id')
        .orderBy('d.destination_id')
        .execute()
      if (holders.length > 0) {
        await trx
          .insertInto('deliveries')
          .values(
            holders.map((holder) => ({
              id: input.newDeliveryId(),
              tenant_id: tenantId,
              lead_id: holder.lead_id,
              destination_id: holder.destination_id,
              lead_version: Number(holder.version),
              ...queuedDeliveryColumns(now),
              // The erasure reaches the record the connector wrote.
              external_id: holder.external_id ?? null,
              operation: 'erase',
            })),
          )
          .execute()
        deletions = holders.length
        await notifyWork?.(trx)
      }
    }
    // Audit details that quote the address (a lead-level action's detail) lose it; the entries stay.
    await trx
      .updateTable('audit_log')
      .set({ detail: JSON.stringify({ redacted: 'customer erased' }) })
      .where('tenant_id', '=', tenantId)
      .where(sql<boolean>`lower(detail) like ${`%${likeLiteral(email)}%`} escape '\\'`)
      .execute()
    await trx
      .insertInto('erasures')
      .values({ tenant_id: tenantId, email_hash: emailHash, erased_at: now, actor: input.actor, leads: leadIds.length })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'email_hash'])
          .doUpdateSet({ erased_at: now, actor: input.actor, leads: leadIds.length }),
      )
      .execute()
    await trx
      .insertInto('audit_log')
      .values({
        id: input.auditId,
        tenant_id: tenantId,
        actor: input.actor,
        action: 'customer.erased',
        target: null,
        detail: JSON.stringify({ emailHash, leads: leadIds.length, deletions }),
        at: now,
      })
      .execute()
    return { emailHash, erasedAt: now, leads: leadIds.length, deletions }
  }

  return {
    async eraseCustomer(input) {
      if (!capabilities.secureDelete) return db.transaction().execute((trx) => erase(trx, input))
      // SQLite overwrites what the transaction frees (old cells, index entries) with zeros instead of leaving it in
      // free space, and the checkpoint then truncates the WAL that still holds the pages as they were.
      await sql`pragma secure_delete = on`.execute(db)
      try {
        const result = await db.transaction().execute((trx) => erase(trx, input))
        await sql`pragma wal_checkpoint(truncate)`.execute(db)
        return result
      } finally {
        // Back to what every connection runs with (open-database.ts).
        await sql`pragma secure_delete = fast`.execute(db)
      }
    },

    async findErasure(tenantId, email) {
      const salt = (await saltsOf([tenantId])).get(tenantId)
      if (salt === undefined) return undefined
      const row = await db
        .selectFrom('erasures')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('email_hash', '=', emailHashOf(salt, email))
        .executeTakeFirst()
      return (
        row && {
          emailHash: row.email_hash,
          erasedAt: Number(row.erased_at),
          actor: row.actor,
          leads: Number(row.leads),
        }
      )
    },

    async screenIngest(items, record) {
      const withEmail = items.filter((item) => item.draft.customer.email !== undefined)
      if (withEmail.length === 0) return [...(await record(items))]
      const tenantSalts = await saltsOf([...new Set(withEmail.map((item) => item.tenantId))])
      const hashes = new Map<IngestItem, { tenantId: string; hash: string }>()
      for (const item of withEmail) {
        const salt = tenantSalts.get(item.tenantId)
        if (salt !== undefined)
          hashes.set(item, { tenantId: item.tenantId, hash: emailHashOf(salt, item.draft.customer.email!) })
      }
      // A tenant that never erased anyone has no key yet: nothing to look up.
      if (hashes.size === 0) return [...(await record(items))]
      const rows = await db
        .selectFrom('erasures')
        .select(['tenant_id', 'email_hash', 'erased_at'])
        .where(
          'tenant_id',
          'in',
          [...hashes.values()].map((entry) => entry.tenantId),
        )
        .where(
          'email_hash',
          'in',
          [...hashes.values()].map((entry) => entry.hash),
        )
        .execute()
      if (rows.length === 0) return [...(await record(items))]
      const erasedAt = new Map(rows.map((row) => [`${row.tenant_id} ${row.email_hash}`, Number(row.erased_at)]))
      const outcomes: (IngestOutcome | undefined)[] = items.map(() => undefined)
      const admitted: IngestItem[] = []
      const admittedIndexes: number[] = []
      const flagged = new Set<number>()
      for (const [index, item] of items.entries()) {
        const hash = hashes.get(item)
        const at = hash && erasedAt.get(`${hash.tenantId} ${hash.hash}`)
        if (at !== undefined && item.draft.occurredAt <= at) {
          outcomes[index] = {
            status: 'failed',
            error: new AppError(
              'CONFLICT',
              "This customer's personal data was erased; events from before the erasure are not stored again",
              { field: 'customer.email', extra: { reason: 'customer_erased' } },
            ),
          }
          continue
        }
        if (at !== undefined) flagged.add(admitted.length)
        admittedIndexes.push(index)
        admitted.push(item)
      }
      const recorded = admitted.length === 0 ? [] : await record(admitted)
      const flaggedLeads = new Set<string>()
      for (const [position, outcome] of recorded.entries()) {
        outcomes[admittedIndexes[position]!] = outcome
        if (flagged.has(position) && outcome.status === 'recorded') flaggedLeads.add(outcome.receipt.leadId)
      }
      if (flaggedLeads.size > 0)
        await db
          .updateTable('leads')
          .set({ previously_erased: 1 })
          .where('id', 'in', [...flaggedLeads])
          .execute()
      return outcomes.map((outcome) => outcome!)
    },
  }
}
