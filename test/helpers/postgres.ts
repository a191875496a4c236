/** A fresh PostgreSQL schema per test file, on the server at DATABASE_URL (or the local default). */

import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const postgresUrl = process.env.LEADRELAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (error) {
    return `PostgreSQL not reachable at ${postgresUrl} (${(error as Error).message}); set LEADRELAY_TEST_DATABASE_URL`
  } finally {
    await client.end().catch(() => {})
  }
}

/** Why the PostgreSQL tests cannot run here, or undefined. Printed once, so a skip is never silent. */
export const postgresSkipReason = await probe()
if (postgresSkipReason) process.stderr.write(`\n[skipped] PostgreSQL tests: ${postgresSkipReason}\n`)

export function newSchemaName(): string {
  return `lr_test_${randomBytes(6).toString('hex')}`
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    await client.query(`drop schema if exists "${schema}" cascade`)
  } finally {
    await client.end()
  }
}

/** A database URL whose connections use `schema` (what DATABASE_URL would be for a process under test). */
export function urlWithSchema(schema: string): string {
  const url = new URL(postgresUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}
