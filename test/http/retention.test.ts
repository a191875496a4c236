/** `GET/PUT /v1/tenant/retention`: defaults, limits, the admin scope, the audit entry (docs/privacy.md). */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let t: TestServer
beforeEach(async () => {
  t = await startTestServer()
})
afterEach(async () => {
  await t.close()
})

function call(authorization: Record<string, string>, method: 'GET' | 'PUT' | 'POST', url: string, body?: unknown) {
  return t.server.app.inject({
    method,
    url,
    headers: { ...authorization, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
}
const admin = () => bearer(t.tenant)

describe('retention settings', () => {
  test('a tenant starts with the defaults; an admin changes them, audited with before and after', async () => {
    const initial = await call(admin(), 'GET', '/v1/tenant/retention')
    expect(initial.statusCode).toBe(200)
    expect(initial.json()).toMatchObject({
      attemptsDays: 90,
      leadEventsIdleMonths: 24,
      auditMonths: 24,
      defaults: { attemptsDays: 90, leadEventsIdleMonths: 24, auditMonths: 24 },
      limits: { attemptsDays: { min: 7, max: 3650 } },
    })
    expect(initial.json().updatedAt).toBeUndefined()

    const saved = await call(admin(), 'PUT', '/v1/tenant/retention', {
      attemptsDays: 30,
      leadEventsIdleMonths: 12,
      auditMonths: 36,
    })
    expect(saved.statusCode).toBe(200)
    expect(saved.json()).toMatchObject({
      attemptsDays: 30,
      leadEventsIdleMonths: 12,
      auditMonths: 36,
      updatedAt: new Date(t.clock.now()).toISOString(),
    })
    expect((await call(admin(), 'GET', '/v1/tenant/retention')).json()).toMatchObject({ attemptsDays: 30 })
    const other = await t.addTenant('fabrikam')
    expect((await call(bearer(other), 'GET', '/v1/tenant/retention')).json()).toMatchObject({ attemptsDays: 90 })

    const audit = (await call(admin(), 'GET', '/v1/audit')).json().items as {
      action: string
      detail?: unknown
    }[]
    expect(audit.filter((entry) => entry.action === 'retention.changed')).toEqual([
      expect.objectContaining({
        detail: {
          before: { attemptsDays: 90, leadEventsIdleMonths: 24, auditMonths: 24 },
          after: { attemptsDays: 30, leadEventsIdleMonths: 12, auditMonths: 36 },
        },
      }),
    ])
    // Saving the same values again changes nothing worth an entry.
    await call(admin(), 'PUT', '/v1/tenant/retention', { attemptsDays: 30, leadEventsIdleMonths: 12, auditMonths: 36 })
    const again = (await call(admin(), 'GET', '/v1/audit')).json().items as { action: string }[]
    expect(again.filter((entry) => entry.action === 'retention.changed')).toHaveLength(1)
  })

  test('values outside the limits and missing fields are refused; a read key reads but cannot change them', async () => {
    const tooShort = await call(admin(), 'PUT', '/v1/tenant/retention', {
      attemptsDays: 1,
      leadEventsIdleMonths: 12,
      auditMonths: 12,
    })
    expect(tooShort.statusCode).toBe(400)
    expect(tooShort.headers['content-type']).toContain('application/problem+json')
    expect(tooShort.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'attemptsDays' })
    const fraction = await call(admin(), 'PUT', '/v1/tenant/retention', {
      attemptsDays: 30,
      leadEventsIdleMonths: 1.5,
      auditMonths: 12,
    })
    expect(fraction.json()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'leadEventsIdleMonths' })
    expect((await call(admin(), 'PUT', '/v1/tenant/retention', { attemptsDays: 30 })).statusCode).toBe(400)

    const created = await call(admin(), 'POST', '/v1/keys', { name: 'viewer', scopes: ['read'] })
    const reader = { authorization: `Bearer ${created.json().key}` }
    expect((await call(reader, 'GET', '/v1/tenant/retention')).statusCode).toBe(200)
    const refused = await call(reader, 'PUT', '/v1/tenant/retention', {
      attemptsDays: 30,
      leadEventsIdleMonths: 12,
      auditMonths: 12,
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'admin' })
    expect((await call(admin(), 'GET', '/v1/tenant/retention')).json().attemptsDays).toBe(90)
  })
})
