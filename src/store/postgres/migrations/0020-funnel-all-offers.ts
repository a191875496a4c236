import { type Kysely, sql } from 'kysely'

export const name = 'funnel-all-offers'

const key = 'tenant_id, measure, day, stage, source'

/** Adds each counter's change in a statement's transition tables (`changes`) to the all-offers counters, in key order. */
function apply(changes: string): string {
  return `insert into funnel_all_offers (${key}, leads)
      select ${key}, sum(leads) from (${changes}) as changed
      group by ${key} having sum(leads) <> 0 order by ${key}
      on conflict (${key}) do update set leads = funnel_all_offers.leads + excluded.leads;`
}

const added = `select ${key}, leads from new_rows`
const removed = `select ${key}, -leads as leads from old_rows`

/**
 * The funnel of all offers together, as on SQLite (its migration 0019): the sum of `funnel_counts` over offers per
 * tenant, UTC day, measure, stage and source, kept in the same transaction by statement triggers on `funnel_counts`.
 * Each statement's changes are summed per counter and written in key order, so two transactions take the rows'
 * locks in the same order.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table funnel_all_offers (
      tenant_id text not null,
      measure text not null,
      day bigint not null,
      stage text not null,
      source text not null,
      leads integer not null,
      primary key (${sql.raw(key)})
    )`.execute(db)
  await sql`
    insert into funnel_all_offers (${sql.raw(key)}, leads)
    select ${sql.raw(key)}, sum(leads) from funnel_counts group by ${sql.raw(key)}`.execute(db)
  await sql`
    create function funnel_all_offers_apply() returns trigger language plpgsql as $$
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
  await sql`create trigger funnel_all_offers_insert after insert on funnel_counts
    referencing new table as new_rows for each statement execute function funnel_all_offers_apply()`.execute(db)
  await sql`create trigger funnel_all_offers_update after update on funnel_counts
    referencing old table as old_rows new table as new_rows for each statement execute function funnel_all_offers_apply()`.execute(
    db,
  )
  await sql`create trigger funnel_all_offers_delete after delete on funnel_counts
    referencing old table as old_rows for each statement execute function funnel_all_offers_apply()`.execute(db)
}
