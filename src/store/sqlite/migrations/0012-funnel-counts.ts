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
 * What one lead row adds to the counters (rows of tenant, offer, measure, time, stage, source and `delta`): nothing
 * for a test lead; its first event's day by its stage now (`new`); its first trial's day by its stage now
 * (`trialed`); for each stage it reached, the day it first did and that event's source (`reached`).
 */
function contributions(row: string, delta: number, from: string): string {
  const parts = [
    `'new' as measure, ${row}.first_event_at as at, ${row}.stage as stage, '' as source`,
    `'trialed', ${row}.reached_trial_at, ${row}.stage, ''`,
    ...stages.map(
      (stage) => `'reached', ${row}.reached_${stage}_at, '${stage}', coalesce(${row}.reached_${stage}_source, '')`,
    ),
  ]
  return parts
    .map(
      (part) =>
        `select ${row}.tenant_id as tenant_id, ${row}.offer_key as offer_key, ${part}, ${delta} as delta${from} where ${row}.is_test = 0`,
    )
    .join('\n union all ')
}

/** Adds the contributions' sum per counter; rows whose changes cancel out are not written. */
function applyContributions(rows: string): string {
  return `insert into funnel_counts (${key}, leads)
    select tenant_id, measure, offer_key, at - at % 86400000, stage, source, sum(delta)
    from (${rows}) where at is not null
    group by tenant_id, measure, offer_key, at - at % 86400000, stage, source having sum(delta) <> 0
    on conflict (${key}) do update set leads = leads + excluded.leads`
}

/** A lead's contributions, one kind at a time: the counter's time, stage and source for a row (`old`, `new`). */
const kinds: readonly {
  measure: string
  at: string
  stage: (row: string) => string
  source: (row: string) => string
}[] = [
  { measure: 'new', at: 'first_event_at', stage: (row) => `${row}.stage`, source: () => "''" },
  { measure: 'trialed', at: 'reached_trial_at', stage: (row) => `${row}.stage`, source: () => "''" },
  ...stages.map((stage) => ({
    measure: 'reached',
    at: `reached_${stage}_at`,
    stage: () => `'${stage}'`,
    source: (row: string) => `coalesce(${row}.reached_${stage}_source, '')`,
  })),
]

/** The counter a row adds to for one kind, as a row value (null time: none). */
function counterOf(kind: (typeof kinds)[number], row: string): string {
  return `(${row}.is_test, ${row}.tenant_id, ${row}.offer_key, ${row}.${kind.at} - ${row}.${kind.at} % 86400000, ${kind.stage(row)}, ${kind.source(row)})`
}

/**
 * One statement per kind and side, each a single-row upsert guarded by its own condition: on the ingest path most
 * of them find nothing to do, which costs far less than one statement grouping every contribution of the row.
 */
function triggerStatements(sides: readonly { row: 'old' | 'new'; delta: number }[]): string {
  const statements: string[] = []
  for (const kind of kinds) {
    for (const { row, delta } of sides) {
      const unchanged = sides.length === 2 ? ` and ${counterOf(kind, 'old')} is not ${counterOf(kind, 'new')}` : ''
      statements.push(`insert into funnel_counts (${key}, leads)
        select ${row}.tenant_id, '${kind.measure}', ${row}.offer_key, ${row}.${kind.at} - ${row}.${kind.at} % 86400000,
          ${kind.stage(row)}, ${kind.source(row)}, ${delta}
        where ${row}.is_test = 0 and ${row}.${kind.at} is not null${unchanged}
        on conflict (${key}) do update set leads = leads + excluded.leads;`)
    }
  }
  return statements.join('\n')
}

/**
 * Funnel counters kept at write time (docs/funnel.md): each lead remembers when it first reached each stage and from
 * which source, and triggers on `leads` keep `funnel_counts` equal to the sum of every lead's contributions in the
 * same transaction as the lead change, whichever path wrote it (ingest, offer merges, imports, erasure). Existing
 * leads are filled in from their events, then counted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const stage of stages) {
    await sql`alter table leads add column ${sql.raw(`reached_${stage}_at`)} integer`.execute(db)
    await sql`alter table leads add column ${sql.raw(`reached_${stage}_source`)} text`.execute(db)
  }
  await sql`
    create table funnel_counts (
      tenant_id text not null,
      measure text not null,
      offer_key text not null,
      day integer not null,
      stage text not null,
      source text not null,
      leads integer not null,
      primary key (tenant_id, measure, offer_key, day, stage, source)
    ) without rowid`.execute(db)
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
  await sql.raw(applyContributions(contributions('l', 1, ' from leads l'))).execute(db)
  await sql
    .raw(`create trigger leads_funnel_insert after insert on leads begin
      ${triggerStatements([{ row: 'new', delta: 1 }])}
    end`)
    .execute(db)
  await sql
    .raw(`create trigger leads_funnel_update after update on leads begin
      ${triggerStatements([
        { row: 'old', delta: -1 },
        { row: 'new', delta: 1 },
      ])}
    end`)
    .execute(db)
  await sql
    .raw(`create trigger leads_funnel_delete after delete on leads begin
      ${triggerStatements([{ row: 'old', delta: -1 }])}
    end`)
    .execute(db)
}
