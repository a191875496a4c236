import { type Kysely, sql } from 'kysely'

export const name = 'delivery-holds'

/**
 * A rate limit holds the whole destination (`held_until`), not one delivery; being rate limited for long and failing
 * for long are each announced once (`alerted`). Attempts are numbered once per delivery, replays included
 * (`attempt_count`), and say why they ran (`kind`; `replay_pending` marks a delivery queued again by a replay).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table destinations add column held_until bigint`.execute(db)
  await sql`alter table destinations add column throttled_since bigint`.execute(db)
  await sql`alter table destinations add column alerted text`.execute(db)
  await sql`alter table deliveries add column attempt_count integer not null default 0`.execute(db)
  await sql`alter table deliveries add column replay_pending integer not null default 0`.execute(db)
  await sql`alter table delivery_attempts add column kind text not null default 'scheduled'`.execute(db)
  // Earlier attempts were numbered from the retry counter, which rate limits and replays did not advance.
  await sql`
    update delivery_attempts set number = (
      select count(*) from delivery_attempts earlier
      where earlier.delivery_id = delivery_attempts.delivery_id
        and (earlier.started_at < delivery_attempts.started_at
          or (earlier.started_at = delivery_attempts.started_at and earlier.id <= delivery_attempts.id)))`.execute(db)
  await sql`
    update deliveries set attempt_count = (
      select count(*) from delivery_attempts where delivery_attempts.delivery_id = deliveries.id)`.execute(db)
}
