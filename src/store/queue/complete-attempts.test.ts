import { describe, expect, it } from 'vitest'
import { compileOnly } from '../../../test/helpers/compile-only-databases.ts'
import { applyTransitionsQuery, completedDeliveriesQuery, type DeliveryChange } from './complete-attempts.ts'

const delivered: DeliveryChange = {
  state: 'delivered',
  attempts: 1,
  runAt: null,
  lastError: null,
  lastErrorKind: null,
  lastStatus: 200,
  deliveredAt: 5_000,
  externalId: 'crm-1',
  now: 5_000,
  attemptCount: 2,
}
const retrying: DeliveryChange = {
  ...delivered,
  state: 'queued',
  runAt: 10_000,
  lastError: 'HTTP 503',
  lastErrorKind: 'retryable',
  lastStatus: 503,
  deliveredAt: null,
  externalId: null,
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()

describe('the completion statements each dialect runs', () => {
  it('reads the deliveries being completed, locking them only where workers run concurrently', () => {
    expect(completedDeliveriesQuery(compileOnly.sqlite, ['dlv_a', 'dlv_b'], false).compile().sql).toBe(
      'select "id", "tenant_id", "state", "locked_by", "destination_id", "attempt_count" from "deliveries" ' +
        'where "id" in (?, ?)',
    )
    expect(completedDeliveriesQuery(compileOnly.postgres, ['dlv_a', 'dlv_b'], true).compile().sql).toBe(
      'select "id", "tenant_id", "state", "locked_by", "destination_id", "attempt_count" from "deliveries" ' +
        'where "id" in ($1, $2) for update',
    )
  })

  it('moves every delivery in one update from a VALUES list, with typed parameters', () => {
    const changes = [
      ['dlv_a', delivered],
      ['dlv_b', retrying],
    ] as const
    const row = (p: (n: number) => string, from: number) =>
      `(${p(from)}, ${p(from + 1)}, cast(${p(from + 2)} as bigint), cast(${p(from + 3)} as bigint), ${p(from + 4)}, ` +
      `${p(from + 5)}, cast(${p(from + 6)} as bigint), cast(${p(from + 7)} as bigint), cast(${p(from + 8)} as bigint), ` +
      `cast(${p(from + 9)} as bigint), ${p(from + 10)})`
    const expected = (p: (n: number) => string) =>
      'update deliveries set state = v.column2, attempts = v.column3, run_at = coalesce(v.column4, deliveries.run_at), ' +
      'locked_by = null, locked_until = null, last_error = v.column5, last_error_kind = v.column6, ' +
      'last_status = v.column7, delivered_at = coalesce(v.column8, deliveries.delivered_at), updated_at = v.column9, ' +
      'attempt_count = v.column10, external_id = coalesce(v.column11, deliveries.external_id), replay_pending = 0 ' +
      `from (values ${row(p, 1)}, ${row(p, 12)}) as v where deliveries.id = v.column1`
    const sqlite = applyTransitionsQuery(changes).compile(compileOnly.sqlite)
    const postgres = applyTransitionsQuery(changes).compile(compileOnly.postgres)
    expect(oneLine(sqlite.sql)).toBe(expected(() => '?'))
    expect(oneLine(postgres.sql)).toBe(expected((n) => `$${n}`))
    expect(postgres.parameters).toEqual([
      'dlv_a',
      'delivered',
      1,
      null,
      null,
      null,
      200,
      5_000,
      5_000,
      2,
      'crm-1',
      'dlv_b',
      'queued',
      1,
      10_000,
      'HTTP 503',
      'retryable',
      503,
      null,
      5_000,
      2,
      null,
    ])
  })
})
