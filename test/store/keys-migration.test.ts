/** Migration 0003 (SQLite) / 0004 (PostgreSQL): keys that existed before scopes hold admin; the ingest URL keeps working. */

import { afterEach, expect, test } from 'vitest'
import { hashCredential } from '../../src/core/credentials.ts'
import { runMigrations } from '../../src/store/migrations.ts'
import { createSqliteStore } from '../../src/store/sqlite/index.ts'
import { sqliteMigrations } from '../../src/store/sqlite/migrations/index.ts'
import { openSqliteDatabase } from '../../src/store/sqlite/open-database.ts'
import { createSqliteKysely } from '../../src/store/sqlite/sqlite-kysely.ts'
import { createTempDir } from '../helpers/temp-dir.ts'

const dir = createTempDir()
afterEach(() => dir.remove())

test('a store made before named keys: its key becomes admin and its ingest token keeps working', async () => {
  const filename = `${dir.path}/old.db`
  const old = createSqliteKysely(openSqliteDatabase(filename))
  await runMigrations(
    old,
    sqliteMigrations.filter((migration) => migration.version < 3),
    () => 1,
  )
  await old
    .insertInto('tenants')
    .values({ id: 'tnt_a', name: 'contoso', ingest_token_hash: hashCredential('old-token'), created_at: 1 })
    .execute()
  await old
    .insertInto('api_keys')
    .values({
      id: 'key_a',
      tenant_id: 'tnt_a',
      key_hash: hashCredential('old-key'),
      role: 'tenant',
      label: 'created with the tenant',
      created_at: 1,
      revoked_at: null,
    } as never)
    .execute()
  await old.destroy()

  const store = createSqliteStore({ filename })
  try {
    expect((await store.migrate()).applied).toContain('0003-keys')
    const owner = await store.findApiKey(hashCredential('old-key'), 2)
    expect(owner).toMatchObject({ keyId: 'key_a', scopes: ['admin'], tenant: { id: 'tnt_a' } })
    expect((await store.findIngestToken(hashCredential('old-token'), 2))?.tenant.id).toBe('tnt_a')
    expect(await store.listIngestTokens('tnt_a', 2)).toEqual([{ id: 'itk_tnt_a', tenantId: 'tnt_a', createdAt: 1 }])
    expect(await store.credentialEpoch()).toBe(0)
  } finally {
    await store.close()
  }
})
