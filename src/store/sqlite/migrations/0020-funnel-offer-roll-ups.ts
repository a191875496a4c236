import { type Kysely, sql } from 'kysely'

export const name = 'funnel-offer-roll-ups'

type Row = 'new' | 'old'

const monthKey = 'tenant_id, measure, offer_key, month, stage, source'
const dayKey = 'tenant_id, offer_key, day'
/** The stages as they are today: the columns of `funnel_offer_days` (a later stage needs a migration of its own). */
const stages = [
  'unclassified',
  'do_not_contact',
  'trial',
  'initial_interest',
  'active',
  'customer',
  'suspended',
  'churned',
]
const dayColumns = ['first_events', ...stages.map((stage) => `reached_${stage}`)]

/** Days SQLite's date functions reach (years 0001 to 9999, epoch ms); a lead may carry a time beyond them. */
const calendarDays = { first: -62_135_596_800_000, last: 253_402_214_400_000 }

/**
 * The UTC midnight of the first day of the month a counter's day (epoch ms) falls in. A day outside the calendar (a
 * lead stored with an absurd time) is its own month: SQLite would answer null there, and the counter must still count.
 */
const monthOf = (day: string) =>
  `(case when ${day} between ${calendarDays.first} and ${calendarDays.last}
    then cast(strftime('%s', ${day} / 1000, 'unixepoch', 'start of month') as integer) * 1000 else ${day} end)`

/** Adds `leads` to the month's counter of a `funnel_counts` row. */
const addToMonth = (row: Row, leads: string) => `insert into funnel_offer_months (${monthKey}, leads)
  values (${row}.tenant_id, ${row}.measure, ${row}.offer_key, ${monthOf(`${row}.day`)}, ${row}.stage, ${row}.source, ${leads})
  on conflict (${monthKey}) do update set leads = leads + excluded.leads;`

/** Adds `leads` to the day's row of a `funnel_counts` row of the measures `new` and `reached` (a no-op otherwise). */
const addToDay = (row: Row, leads: string) => `insert into funnel_offer_days (${dayKey}, ${dayColumns.join(', ')})
  select ${row}.tenant_id, ${row}.offer_key, ${row}.day,
    iif(${row}.measure = 'new', ${leads}, 0),
    ${stages.map((stage) => `iif(${row}.measure = 'reached' and ${row}.stage = '${stage}', ${leads}, 0)`).join(',\n    ')}
  where ${row}.measure in ('new', 'reached')
  on conflict (${dayKey}) do update set ${dayColumns.map((column) => `${column} = ${column} + excluded.${column}`).join(', ')};`

const counter = (row: Row) =>
  `(${row}.tenant_id, ${row}.measure, ${row}.offer_key, ${row}.day, ${row}.stage, ${row}.source)`

/**
 * Two roll-ups of each offer's funnel counters, kept by triggers on `funnel_counts` in the same transaction as every
 * change to it (as `funnel_all_offers` is, migration 0019), so one offer's report over a year reads about 530 rows
 * instead of 4,700 at 1,000,000 events:
 * - `funnel_offer_months`: `funnel_counts` summed over the days of each UTC month (per tenant, measure, offer, stage
 *   and source), for the period's totals: whole months from here, the days of the months covered in part from
 *   `funnel_counts` (a year: about 170 rows).
 * - `funnel_offer_days`: per tenant, offer and UTC day, the leads whose first event was that day (`first_events`, the
 *   `new` counters summed over stages) and those that first reached each stage that day (`reached_<stage>`, the
 *   `reached` counters summed over sources), for the chart over time: one row per day (a year: 365 rows).
 * Rows whose sums return to zero stay, as in `funnel_counts`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table funnel_offer_months (
      tenant_id text not null,
      measure text not null,
      offer_key text not null,
      month integer not null,
      stage text not null,
      source text not null,
      leads integer not null,
      primary key (${sql.raw(monthKey)})
    ) without rowid`.execute(db)
  await sql`
    insert into funnel_offer_months (${sql.raw(monthKey)}, leads)
    select tenant_id, measure, offer_key, ${sql.raw(monthOf('day'))} as month, stage, source, sum(leads)
    from funnel_counts group by tenant_id, measure, offer_key, month, stage, source`.execute(db)
  await sql`
    create table funnel_offer_days (
      tenant_id text not null,
      offer_key text not null,
      day integer not null,
      ${sql.raw(dayColumns.map((column) => `${column} integer not null`).join(',\n      '))},
      primary key (${sql.raw(dayKey)})
    ) without rowid`.execute(db)
  await sql`
    insert into funnel_offer_days (${sql.raw(dayKey)}, ${sql.raw(dayColumns.join(', '))})
    select tenant_id, offer_key, day,
      sum(iif(measure = 'new', leads, 0)),
      ${sql.raw(stages.map((stage) => `sum(iif(measure = 'reached' and stage = '${stage}', leads, 0))`).join(',\n      '))}
    from funnel_counts where measure in ('new', 'reached') group by tenant_id, offer_key, day`.execute(db)

  await sql`create trigger funnel_offer_roll_ups_insert after insert on funnel_counts begin
      ${sql.raw(addToMonth('new', 'new.leads'))}
      ${sql.raw(addToDay('new', 'new.leads'))}
    end`.execute(db)
  // An upsert on `funnel_counts` changes `leads` only: one statement per roll-up adds the difference.
  await sql`create trigger funnel_offer_roll_ups_update after update on funnel_counts
    when ${sql.raw(`${counter('old')} is ${counter('new')}`)} and old.leads <> new.leads
    begin
      ${sql.raw(addToMonth('new', 'new.leads - old.leads'))}
      ${sql.raw(addToDay('new', 'new.leads - old.leads'))}
    end`.execute(db)
  await sql`create trigger funnel_offer_roll_ups_move after update on funnel_counts
    when ${sql.raw(`${counter('old')} is not ${counter('new')}`)}
    begin
      ${sql.raw(addToMonth('old', '-old.leads'))}
      ${sql.raw(addToMonth('new', 'new.leads'))}
      ${sql.raw(addToDay('old', '-old.leads'))}
      ${sql.raw(addToDay('new', 'new.leads'))}
    end`.execute(db)
  await sql`create trigger funnel_offer_roll_ups_delete after delete on funnel_counts begin
      ${sql.raw(addToMonth('old', '-old.leads'))}
      ${sql.raw(addToDay('old', '-old.leads'))}
    end`.execute(db)
}
