import { describe, expect, it } from 'vitest'
import { compileOnly, postgresRowLock } from '../../../test/helpers/compile-only-databases.ts'
import { claimCandidatesQuery, leaseQuery } from './claim-deliveries.ts'

const request = { now: 1_000, limit: 10, skipDestinations: ['dst_slow'] }
const candidateSql = (placeholder: (n: number) => string) =>
  'select "d"."id", "d"."destination_id", "d"."lead_id", "d"."lead_version", "l"."version" as "current_version" ' +
  'from "deliveries" as "d" inner join "destinations" as "dst" on "dst"."id" = "d"."destination_id" ' +
  'left join "leads" as "l" on "l"."id" = "d"."lead_id" ' +
  `where "d"."state" = ${placeholder(1)} and "d"."run_at" <= ${placeholder(2)} and "dst"."state" = ${placeholder(3)} ` +
  `and "dst"."deleted_at" is null and ("dst"."held_until" is null or "dst"."held_until" <= ${placeholder(4)}) ` +
  'and not exists (select 1 as "one" from "deliveries" as "other" where "other"."destination_id" = "d"."destination_id" ' +
  `and "other"."lead_id" = "d"."lead_id" and "other"."state" = ${placeholder(5)}) ` +
  `and "d"."destination_id" not in (${placeholder(6)}) order by "d"."run_at", "d"."id" limit ${placeholder(7)}`

describe('the claim statements each dialect runs', () => {
  it('reads candidates on SQLite without row locks (one worker per file), twice the limit', () => {
    const compiled = claimCandidatesQuery(compileOnly.sqlite, request, undefined).compile()
    expect(compiled.sql).toBe(candidateSql(() => '?'))
    expect(compiled.parameters).toEqual(['queued', 1_000, 'active', 1_000, 'in_flight', 'dst_slow', 20])
  })

  it('reads candidates on PostgreSQL skipping rows another worker is claiming', () => {
    const locking = { rowLock: postgresRowLock, lockPairs: async () => new Set<string>() }
    const compiled = claimCandidatesQuery(compileOnly.postgres, request, locking).compile()
    expect(compiled.sql).toBe(`${candidateSql((n) => `$${n}`)} for update of d skip locked`)
    expect(compiled.parameters).toEqual(['queued', 1_000, 'active', 1_000, 'in_flight', 'dst_slow', 20])
  })

  it('leaves out the destination filter when no destination is skipped', () => {
    const compiled = claimCandidatesQuery(compileOnly.sqlite, { now: 1_000, limit: 3 }, undefined).compile()
    expect(compiled.sql).not.toContain('not in')
    expect(compiled.parameters.at(-1)).toBe(6)
  })

  it('leases only rows still queued, carrying the newest lead version, and returns them', () => {
    const lease = (db: (typeof compileOnly)['sqlite']) =>
      leaseQuery(db, { workerId: 'worker-1', now: 1_000, leaseMs: 60_000 }, 3, ['dlv_a', 'dlv_b']).compile()
    expect(lease(compileOnly.sqlite).sql).toBe(
      'update "deliveries" set "state" = ?, "locked_by" = ?, "locked_until" = ?, "updated_at" = ?, "lead_version" = ? ' +
        'where "id" in (?, ?) and "state" = ? returning *',
    )
    expect(lease(compileOnly.postgres).sql).toBe(
      'update "deliveries" set "state" = $1, "locked_by" = $2, "locked_until" = $3, "updated_at" = $4, ' +
        '"lead_version" = $5 where "id" in ($6, $7) and "state" = $8 returning *',
    )
    expect(lease(compileOnly.postgres).parameters).toEqual([
      'in_flight',
      'worker-1',
      61_000,
      1_000,
      3,
      'dlv_a',
      'dlv_b',
      'queued',
    ])
  })
})
