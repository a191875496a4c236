/** Numbered, never-edited migrations, applied in order and recorded in `schema_migrations`. */

import { type Kysely, sql } from 'kysely'
import type { MigrationReport } from './types.ts'

export interface Migration {
  readonly version: number
  readonly name: string
  up(db: Kysely<any>): Promise<void>
}

export async function runMigrations(
  db: Kysely<any>,
  migrations: readonly Migration[],
  now: () => number,
): Promise<MigrationReport> {
  await sql`create table if not exists schema_migrations (
    version integer primary key, name text not null, applied_at bigint not null)`.execute(db)
  const applied: string[] = []
  const done = new Set(
    (await db.selectFrom('schema_migrations').select('version').execute()).map((row) => Number(row.version)),
  )
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue
    const ran = await db.transaction().execute(async (trx) => {
      // Another process may have applied it while this one waited for the lock (SQLite, which has no advisory lock).
      const appliedMeanwhile = await trx
        .selectFrom('schema_migrations')
        .select('version')
        .where('version', '=', migration.version)
        .executeTakeFirst()
      if (appliedMeanwhile) return false
      await migration.up(trx)
      await trx
        .insertInto('schema_migrations')
        .values({ version: migration.version, name: migration.name, applied_at: now() })
        .execute()
      return true
    })
    if (ran) applied.push(`${String(migration.version).padStart(4, '0')}-${migration.name}`)
  }
  const current = Math.max(0, ...done, ...migrations.map((m) => m.version))
  return { applied, current }
}

/** Migrations not yet applied, as `0007-name`; none when the store is current. Reads only. */
export async function pendingMigrations(db: Kysely<any>, migrations: readonly Migration[]): Promise<string[]> {
  const exists = await sql<{ found: number }>`select 1 as found from schema_migrations limit 0`.execute(db).then(
    () => true,
    () => false,
  )
  const done = exists
    ? new Set((await db.selectFrom('schema_migrations').select('version').execute()).map((row) => Number(row.version)))
    : new Set<number>()
  return [...migrations]
    .sort((a, b) => a.version - b.version)
    .filter((migration) => !done.has(migration.version))
    .map((migration) => `${String(migration.version).padStart(4, '0')}-${migration.name}`)
}
