import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { sqliteBookkeepingTransaction } from '../../src/store/sqlite/bookkeeping-transaction.ts'

const FULL = 2
const NORMAL = 1

function open() {
  const database = new SQLite(':memory:')
  database.pragma('synchronous = FULL')
  database.exec('create table t (id integer primary key)')
  return { database, db: new Kysely<any>({ dialect: new SqliteDialect({ database }) }) }
}

describe('SQLite delivery bookkeeping transactions', () => {
  test('run without fsync, commit their writes, and leave the connection at synchronous = FULL', async () => {
    const { database, db } = open()
    const inside = await sqliteBookkeepingTransaction(db)(async (trx) => {
      await sql`insert into t (id) values (1)`.execute(trx)
      return (await sql<{ synchronous: number }>`pragma synchronous`.execute(trx)).rows[0]?.synchronous
    })
    expect(inside).toBe(NORMAL)
    expect(database.pragma('synchronous', { simple: true })).toBe(FULL)
    expect(database.prepare('select count(*) as n from t').get()).toEqual({ n: 1 })
  })

  test('a failing transaction rolls back and still restores synchronous = FULL for the lead events after it', async () => {
    const { database, db } = open()
    await expect(
      sqliteBookkeepingTransaction(db)(async (trx) => {
        await sql`insert into t (id) values (1)`.execute(trx)
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(database.pragma('synchronous', { simple: true })).toBe(FULL)
    expect(database.prepare('select count(*) as n from t').get()).toEqual({ n: 0 })
  })
})
