import { type Kysely, sql } from 'kysely'

export const name = 'subscription-stage-time'

/**
 * When a lead's newest subscription status happened (docs/decisions/0010-marketplace-subscriptions.md): among the
 * subscription stages the newer status wins, whenever the lead's other events happened.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table leads add column subscription_stage_at integer`.execute(db)
}
