import { type Kysely, sql } from 'kysely'

export const name = 'funnel-offer-roll-ups'

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

/**
 * The UTC midnight of the first day of the month a counter's day (epoch ms) falls in. A day outside years 0001 to 9999
 * (a lead stored with an absurd time) is its own month, as on SQLite, whose date functions stop there; PostgreSQL's
 * timestamps would refuse some of them outright.
 */
const month = `(case when day between -62135596800000 and 253402214400000
  then (extract(epoch from date_trunc('month', to_timestamp(day / 1000) at time zone 'UTC')) * 1000)::bigint
  else day end)`

/** The sums of `funnel_offer_days`'s columns over counter rows (measure, stage, leads). */
const daySumList = [
  `sum(case when measure = 'new' then leads else 0 end)`,
  ...stages.map((stage) => `sum(case when measure = 'reached' and stage = '${stage}' then leads else 0 end)`),
]
const daySums = daySumList.join(', ')

/**
 * Adds each change in a statement's transition tables (`changes`: counter rows with their change in `leads`) to both
 * roll-ups, summed per row of each and in key order.
 */
function apply(changes: string): string {
  return `insert into funnel_offer_months (${monthKey}, leads)
      select ${monthKey}, sum(leads) from (select tenant_id, measure, offer_key, ${month} as month, stage, source, leads
        from (${changes}) as changed) as by_month
      group by ${monthKey} having sum(leads) <> 0 order by ${monthKey}
      on conflict (${monthKey}) do update set leads = funnel_offer_months.leads + excluded.leads;
    insert into funnel_offer_days (${dayKey}, ${dayColumns.join(', ')})
      select ${dayKey}, ${daySums} from (${changes}) as changed where measure in ('new', 'reached')
      group by ${dayKey} having ${daySumList.map((sum) => `${sum} <> 0`).join(' or ')} order by ${dayKey}
      on conflict (${dayKey}) do update set ${dayColumns.map((column) => `${column} = funnel_offer_days.${column} + excluded.${column}`).join(', ')};`
}

const counterColumns = 'tenant_id, measure, offer_key, day, stage, source'
const added = `select ${counterColumns}, leads from new_rows`
const removed = `select ${counterColumns}, -leads as leads from old_rows`

/**
 * Two roll-ups of each offer's funnel counters, as on SQLite (its migration 0020): `funnel_offer_months`, the counters
 * summed over the days of each UTC month (the period's whole months), and `funnel_offer_days`, per offer and day the
 * leads whose first event was that day and those that first reached each stage that day (the chart over time). Kept in
 * the same transaction by statement triggers on `funnel_counts` like `funnel_all_offers` (migration 0020): each
 * statement's changes are summed per roll-up row and written in key order, so two transactions take the rows' locks in
 * the same order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table funnel_offer_months (
      tenant_id text not null,
      measure text not null,
      offer_key text not null,
      month bigint not null,
      stage text not null,
      source text not null,
      leads integer not null,
      primary key (${sql.raw(monthKey)})
    )`.execute(db)
  await sql`
    create table funnel_offer_days (
      tenant_id text not null,
      offer_key text not null,
      day bigint not null,
      ${sql.raw(dayColumns.map((column) => `${column} integer not null`).join(',\n      '))},
      primary key (${sql.raw(dayKey)})
    )`.execute(db)
  await sql`
    insert into funnel_offer_months (${sql.raw(monthKey)}, leads)
    select tenant_id, measure, offer_key, ${sql.raw(month)} as month, stage, source, sum(leads) from funnel_counts
    group by tenant_id, measure, offer_key, month, stage, source`.execute(db)
  await sql`
    insert into funnel_offer_days (${sql.raw(dayKey)}, ${sql.raw(dayColumns.join(', '))})
    select ${sql.raw(dayKey)}, ${sql.raw(daySums)} from funnel_counts where measure in ('new', 'reached')
    group by ${sql.raw(dayKey)}`.execute(db)
  await sql`
    create function funnel_offer_roll_ups_apply() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        ${sql.raw(apply(added))}
      elsif tg_op = 'UPDATE' then
        ${sql.raw(apply(`${added} union all ${removed}`))}
      else
        ${sql.raw(apply(removed))}
      end if;
      return null;
    end $$`.execute(db)
  await sql`create trigger funnel_offer_roll_ups_insert after insert on funnel_counts
    referencing new table as new_rows for each statement execute function funnel_offer_roll_ups_apply()`.execute(db)
  await sql`create trigger funnel_offer_roll_ups_update after update on funnel_counts
    referencing old table as old_rows new table as new_rows for each statement execute function funnel_offer_roll_ups_apply()`.execute(
    db,
  )
  await sql`create trigger funnel_offer_roll_ups_delete after delete on funnel_counts
    referencing old table as old_rows for each statement execute function funnel_offer_roll_ups_apply()`.execute(db)
}
