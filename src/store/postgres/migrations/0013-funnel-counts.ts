import { type Kysely, sql } from 'kysely'

export const name = 'funnel-counts'

/** The stages as this migration knows them; a later stage needs a migration of its own. */
const stages = [
  'unclassified',
  'do_not_contact',
  'trial',
  'initial_interest',
  'active',
  'customer',
  'suspended',
  'churned',
] as const

const key = 'tenant_id, measure, offer_key, day, stage, source'

/**
 * What the lead rows of `table` add to the counters (rows of tenant, offer, measure, time, stage, source and
 * `delta`): nothing for a test lead; its first event's day by its stage now (`new`); its first trial's day by its
 * stage now (`trialed`); for each stage it reached, the day it first did and that event's source (`reached`).
 */
function contributions(table: string, delta: number): string {
  return `select l.tenant_id, l.offer_key, c.measure, c.at, c.stage, c.source, ${delta} as delta
    from ${table} l cross join lateral (values
      ('new', l.first_event_at, l.stage, ''),
      ('trialed', l.reached_trial_at, l.stage, ''),
      ${stages.map((stage) => `('reached', l.reached_${stage}_at, '${stage}', coalesce(l.reached_${stage}_source, ''))`).join(',\n      ')}
    ) as c (measure, at, stage, source)
    where l.is_test = 0`
}

/**
 * Adds the contributions' sum per counter, in key order (so concurrent transactions lock counters in the same
 * order); rows whose changes cancel out are not written.
 */
function applyContributions(rows: string): string {
  return `insert into funnel_counts as f (${key}, leads)
    select tenant_id, measure, offer_key, at - at % 86400000, stage, source, sum(delta)
    from (${rows}) as contributions where at is not null
    group by tenant_id, measure, offer_key, at - at % 86400000, stage, source having sum(delta) <> 0
    order by 1, 2, 3, 4, 5, 6
    on conflict (${key}) do update set leads = f.leads + excluded.leads`
}

/**
 * Funnel counters kept at write time (docs/funnel.md): each lead remembers when it first reached each stage and from
 * which source, and statement triggers on `leads` keep `funnel_counts` equal to the sum of every lead's contributions
 * in the same transaction as the lead change, whichever path wrote it (ingest, offer merges, imports, erasure).
 * Existing leads are filled in from their events, then counted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `alter table leads ${stages.map((stage) => `add column reached_${stage}_at bigint, add column reached_${stage}_source text`).join(', ')}`,
    )
    .execute(db)
  await sql`
    create table funnel_counts (
      tenant_id text not null,
      measure text not null,
      offer_key text not null,
      day bigint not null,
      stage text not null,
      source text not null,
      leads integer not null,
      primary key (tenant_id, measure, offer_key, day, stage, source)
    )`.execute(db)
  const pivot = stages
    .map(
      (stage) =>
        `max(case when stage = '${stage}' then occurred_at end) as ${stage}_at, max(case when stage = '${stage}' then source end) as ${stage}_source`,
    )
    .join(', ')
  await sql
    .raw(`
    with ranked as (
      select lead_id, stage, occurred_at, source,
        row_number() over (partition by lead_id, stage order by occurred_at, seq) as n
      from lead_events
    ),
    firsts as (select lead_id, ${pivot} from ranked where n = 1 group by lead_id)
    update leads set ${stages.map((stage) => `reached_${stage}_at = firsts.${stage}_at, reached_${stage}_source = firsts.${stage}_source`).join(', ')}
    from firsts where firsts.lead_id = leads.id`)
    .execute(db)
  await sql.raw(applyContributions(contributions('leads', 1))).execute(db)
  await sql
    .raw(`
    create function leads_funnel_counts() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        ${applyContributions(contributions('new_leads', 1))};
      elsif tg_op = 'UPDATE' then
        ${applyContributions(`${contributions('old_leads', -1)} union all ${contributions('new_leads', 1)}`)};
      else
        ${applyContributions(contributions('old_leads', -1))};
      end if;
      return null;
    end
    $$`)
    .execute(db)
  // A trigger with transition tables serves one event; each names the tables the function reads.
  await sql`create trigger leads_funnel_insert after insert on leads referencing new table as new_leads
    for each statement execute function leads_funnel_counts()`.execute(db)
  await sql`create trigger leads_funnel_update after update on leads
    referencing old table as old_leads new table as new_leads
    for each statement execute function leads_funnel_counts()`.execute(db)
  await sql`create trigger leads_funnel_delete after delete on leads referencing old table as old_leads
    for each statement execute function leads_funnel_counts()`.execute(db)
}
