import SQLite from 'better-sqlite3'
import { afterEach, describe, expect, test } from 'vitest'
import { withStatementCache } from '../../src/store/sqlite/statement-cache.ts'

describe('SQLite statement cache', () => {
  const database = new SQLite(':memory:')
  database.exec('create table t (id integer primary key, name text)')
  const cached = withStatementCache(database, 2)
  afterEach(() => {
    database.exec('delete from t')
  })

  test('hands back the same prepared statement for the same SQL, and it still runs with new parameters', () => {
    const insert = cached.prepare('insert into t (id, name) values (?, ?)')
    expect(cached.prepare('insert into t (id, name) values (?, ?)')).toBe(insert)
    insert.run([1, 'a'])
    insert.run([2, 'b'])
    const select = cached.prepare('select name from t where id = ?')
    expect(select.all([2])).toEqual([{ name: 'b' }])
    expect(cached.prepare('select name from t where id = ?').all([1])).toEqual([{ name: 'a' }])
  })

  test('keeps at most its capacity, dropping the least recently used statement', () => {
    const first = cached.prepare('select 1')
    const second = cached.prepare('select 2')
    expect(cached.prepare('select 1')).toBe(first)
    cached.prepare('select 3')
    // "select 2" was the least recently used of the three; "select 1" was used again and stays.
    expect(cached.prepare('select 1')).toBe(first)
    expect(cached.prepare('select 2')).not.toBe(second)
  })
})
