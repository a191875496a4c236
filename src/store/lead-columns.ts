/**
 * The columns of `leads` and `lead_events` that ingest writes, named once. The SQLite prepared statements, the
 * PostgreSQL batch and the row mapping of record-lead-event.ts all build on these lists, so a new column is added here
 * and in schema.ts (the compiler checks the two agree), never in each ingest path.
 */

import { stages } from '../core/funnel.ts'
import type { Database, StageReachedColumns } from './schema.ts'

type LeadColumn = keyof Database['leads']

/** A lead's merged state: what folding its events decides (core/lead.ts), with the search keys derived from it. */
export const leadStateColumns = [
  'stage',
  'do_not_contact',
  'do_not_contact_at',
  'customer_acted_at',
  'subscription_stage_at',
  'is_test',
  'first_name',
  'last_name',
  'email',
  'phone',
  'phone_digits',
  'country',
  'company',
  'title',
  'source',
  'action',
  'event_count',
  'first_event_at',
  'last_event_at',
  'name_key',
  'last_name_key',
  'company_key',
  'email_domain',
  ...stages.flatMap((stage) => [`reached_${stage}_at` as const, `reached_${stage}_source` as const]),
] as const satisfies readonly LeadColumn[]

/** The `reached_<stage>_at` and `reached_<stage>_source` columns of a stage. */
export function reachedColumnsOf<S extends (typeof stages)[number]>(stage: S) {
  return { at: `reached_${stage}_at` as const, source: `reached_${stage}_source` as const }
}

/** What the funnel counters read of a lead (core/funnel-counters.ts `CountedLead`). */
export const countedLeadColumns = [
  'tenant_id',
  'offer_key',
  'is_test',
  'stage',
  'first_event_at',
  ...stages.flatMap((stage) => [`reached_${stage}_at` as const, `reached_${stage}_source` as const]),
] as const satisfies readonly LeadColumn[]

/** Who the lead is: set when it is created, never rewritten by ingest (`offer_id` is, once the offer is known). */
export const leadIdentityColumns = [
  'id',
  'tenant_id',
  'offer_key',
  'offer_id',
  'merge_key',
] as const satisfies readonly LeadColumn[]

/** Every column an ingest insert writes; `erased_at` and `previously_erased` keep their defaults. */
export const leadColumns = [
  ...leadIdentityColumns,
  ...leadStateColumns,
  'created_at',
  'updated_at',
  'version',
] as const satisfies readonly LeadColumn[]

/** What an ingest update rewrites: the identity (tenant, offer key, merge key) and `created_at` never change. */
export const updatedLeadColumns = [
  'offer_id',
  ...leadStateColumns,
  'updated_at',
  'version',
] as const satisfies readonly LeadColumn[]

export const eventColumns = [
  'id',
  'tenant_id',
  'lead_id',
  'format',
  'received_at',
  'occurred_at',
  'lead_source',
  'source',
  'action',
  'stage',
  'offer_ref',
  'offer_title',
  'description',
  'customer',
  'invalid',
  'extra',
  'is_test',
  'idempotency_key',
  'content_hash',
  'result',
] as const satisfies readonly (keyof Database['lead_events'])[]

/** The `leads` row, as every dialect reads and writes it. */
export type LeadRow = Database['leads']
export type LeadStateColumns = Pick<LeadRow, Exclude<(typeof leadStateColumns)[number], keyof StageReachedColumns>> &
  Required<StageReachedColumns>
export type CountedLeadRow = Pick<LeadRow, (typeof countedLeadColumns)[number]>
export type EventRow = Pick<Database['lead_events'], (typeof eventColumns)[number]>

// Compile-time checks that the lists name every column ingest must write: a column added to schema.ts and not here
// turns the type below into `never`, and `true` no longer fits it.
type NoneLeftOut<Table, Listed, Defaulted = never> = [Exclude<keyof Table, Listed | Defaulted>] extends [never]
  ? true
  : never
const everyLeadColumnListed: NoneLeftOut<LeadRow, (typeof leadColumns)[number], 'erased_at' | 'previously_erased'> =
  true
const everyEventColumnListed: NoneLeftOut<Database['lead_events'], (typeof eventColumns)[number], 'seq'> = true
void everyLeadColumnListed
void everyEventColumnListed
