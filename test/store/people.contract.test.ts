/** The people part of the Store contract (docs/decisions/0008), on every store. */

import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { hashCredential } from '../../src/core/credentials.ts'
import { createIdGenerator } from '../../src/core/ids.ts'
import { createManualClock } from '../../src/core/ports.ts'
import type { NewPerson } from '../../src/store/people-queries.ts'
import type { Store } from '../../src/store/types.ts'
import { createTestTenant } from '../helpers/ingest-items.ts'
import { storeFactories } from '../helpers/stores.ts'

for (const factory of storeFactories.filter((f) => f.name !== 'sqlite (ingest thread)')) {
  describe.skipIf(factory.skipReason !== undefined)(`Store contract, people: ${factory.name}`, () => {
    let store: Store
    let dispose: () => Promise<void>
    const clock = createManualClock(Date.UTC(2026, 10, 25))
    const ids = createIdGenerator(clock)
    let tenantId: string

    beforeEach(async () => {
      ;({ store, dispose } = await factory.create())
      tenantId = await createTestTenant(store, { ids, clock })
    })
    afterEach(async () => {
      await dispose()
    })

    const person = (subject: string, extra: Partial<NewPerson> = {}): NewPerson => ({
      id: ids.next('per'),
      issuer: 'https://login.microsoftonline.com/tid-1/v2.0',
      subject,
      email: `${subject}@contoso.com`,
      name: subject.toUpperCase(),
      operator: false,
      createdAt: clock.now(),
      ...extra,
    })

    test('a person is one row per issuer and subject; a later sign-in updates name, email and operator', async () => {
      const first = await store.savePerson(person('ada'))
      const again = await store.savePerson(person('ada', { name: 'Ada L.', email: 'ada@fabrikam.com', operator: true }))
      expect(again).toMatchObject({ id: first.id, name: 'Ada L.', email: 'ada@fabrikam.com', operator: true })
      const elsewhere = await store.savePerson(person('ada', { issuer: 'https://accounts.google.com' }))
      expect(elsewhere.id).not.toBe(first.id)
      expect(await store.getPerson(first.id)).toEqual(again)
      expect(await store.namesOfPeople([first.id, 'per_unknown'])).toEqual(new Map([[first.id, 'Ada L.']]))
    })

    test('memberships: set, change, list, remove; removal ends the sessions in that tenant only', async () => {
      const ada = await store.savePerson(person('ada'))
      const bob = await store.savePerson(person('bob'))
      const other = await createTestTenant(store, { ids, clock })
      await store.setMembership(tenantId, ada.id, 'viewer', clock.now())
      await store.setMembership(tenantId, bob.id, 'admin', clock.now() + 1)
      await store.setMembership(other, ada.id, 'owner', clock.now() + 2)
      await store.setMembership(tenantId, ada.id, 'editor', clock.now() + 3)
      expect((await store.listMembers(tenantId)).map((m) => [m.name, m.role])).toEqual([
        ['ADA', 'editor'],
        ['BOB', 'admin'],
      ])
      expect((await store.membershipsOf(ada.id)).map((m) => [m.tenant.id, m.role])).toEqual([
        [tenantId, 'editor'],
        [other, 'owner'],
      ])
      await store.createSession({ idHash: 'h-here', personId: ada.id, tenantId, createdAt: clock.now() })
      await store.createSession({ idHash: 'h-other', personId: ada.id, tenantId: other, createdAt: clock.now() })
      expect(await store.removeMembership(tenantId, ada.id, clock.now())).toBe(true)
      expect(await store.removeMembership(tenantId, ada.id, clock.now())).toBe(false)
      expect(await store.findSession('h-here')).toBeUndefined()
      expect((await store.findSession('h-other'))?.tenant.id).toBe(other)
      expect((await store.listMembers(tenantId)).map((m) => m.name)).toEqual(['BOB'])
    })

    test('an invitation is found by its hash until it expires or is used, and is used once', async () => {
      const now = clock.now()
      const invitation = await store.createInvitation({
        id: ids.next('inv'),
        tenantId,
        tokenHash: hashCredential('link-token'),
        email: 'carol@contoso.com',
        role: 'editor',
        invitedBy: 'person:per_x',
        createdAt: now,
        expiresAt: now + 1000,
      })
      expect(JSON.stringify(invitation)).not.toContain(hashCredential('link-token'))
      expect(await store.findInvitation(hashCredential('other'), now)).toBeUndefined()
      expect((await store.findInvitation(hashCredential('link-token'), now))?.role).toBe('editor')
      expect(await store.findInvitation(hashCredential('link-token'), now + 1000)).toBeUndefined()
      const carol = await store.savePerson(person('carol'))
      const dave = await store.savePerson(person('dave'))
      expect(await store.acceptInvitation(invitation.id, carol.id, now + 1000)).toBe(false)
      expect(await store.acceptInvitation(invitation.id, carol.id, now + 10)).toBe(true)
      expect(await store.acceptInvitation(invitation.id, dave.id, now + 11)).toBe(false)
      expect(await store.findInvitation(hashCredential('link-token'), now + 12)).toBeUndefined()
      expect((await store.listMembers(tenantId)).map((m) => [m.name, m.role])).toEqual([['CAROL', 'editor']])
    })

    test('sessions: found with person and tenant until revoked; touch moves lastSeenAt; revoke all per person or tenant', async () => {
      const ada = await store.savePerson(person('ada'))
      const bob = await store.savePerson(person('bob'))
      const now = clock.now()
      for (const [hash, who] of [
        ['s1', ada],
        ['s2', ada],
        ['s3', bob],
      ] as const) {
        await store.createSession({ idHash: hash, personId: who.id, tenantId, createdAt: now })
      }
      expect(await store.findSession('s1')).toMatchObject({
        person: { id: ada.id, name: 'ADA' },
        tenant: { id: tenantId },
        createdAt: now,
        lastSeenAt: now,
      })
      await store.touchSession('s1', now + 500)
      expect((await store.findSession('s1'))?.lastSeenAt).toBe(now + 500)
      await store.revokeSession('s1', now + 600)
      expect(await store.findSession('s1')).toBeUndefined()
      expect(await store.revokeSessions({ personId: ada.id }, now + 700)).toBe(1)
      expect(await store.findSession('s2')).toBeUndefined()
      expect(await store.findSession('s3')).toBeDefined()
      expect(await store.revokeSessions({ tenantId }, now + 800)).toBe(1)
      expect(await store.findSession('s3')).toBeUndefined()
    })

    test('a tenant names the Entra tenant whose people join it, and their role', async () => {
      expect(await store.tenantSignIn(tenantId)).toEqual({ tenantId, role: 'viewer' })
      await store.setTenantSignIn({ tenantId, entraTenantId: 'AAAA-1111', role: 'editor' })
      expect(await store.tenantSignIn(tenantId)).toEqual({ tenantId, entraTenantId: 'aaaa-1111', role: 'editor' })
      expect(await store.tenantsOfEntraTenant('aaaa-1111')).toEqual([
        { tenantId, entraTenantId: 'aaaa-1111', role: 'editor' },
      ])
      expect(await store.tenantsOfEntraTenant('bbbb')).toEqual([])
    })
  })
}
