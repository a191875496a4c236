/** People, their roles per tenant, invitations and sign-in sessions: the queries every dialect shares. */

import type { Kysely, Selectable } from 'kysely'
import { parseRole, type Role } from '../core/roles.ts'
import type { Database } from './schema.ts'
import type { Tenant } from './types.ts'

/** Someone who signs in, identified by their provider's issuer and subject. */
export interface Person {
  readonly id: string
  readonly issuer: string
  readonly subject: string
  readonly email?: string
  readonly name: string
  /** Owner of every tenant, which they pick per request (what the tenant-less admin key is for machines). */
  readonly operator: boolean
  readonly createdAt: number
}

/** A person as first saved: every field of the stored person is given by the caller. */
export type NewPerson = Person

export interface Member extends Person {
  readonly role: Role
  readonly memberSince: number
}

export interface Invitation {
  readonly id: string
  readonly tenantId: string
  readonly email: string
  readonly role: Role
  /** The audit actor who invited. */
  readonly invitedBy: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly acceptedAt?: number
}

export interface NewInvitation extends Omit<Invitation, 'acceptedAt'> {
  /** SHA-256 of the link's token; the token itself is only in the email. */
  readonly tokenHash: string
}

export interface SessionRecord {
  readonly person: Person
  readonly tenant: Tenant
  readonly createdAt: number
  readonly lastSeenAt: number
}

export interface NewSession {
  /** SHA-256 of the cookie's value. */
  readonly idHash: string
  readonly personId: string
  readonly tenantId: string
  readonly createdAt: number
}

/** How a tenant lets people of an Entra tenant join it by signing in. */
export interface TenantSignIn {
  readonly tenantId: string
  readonly entraTenantId?: string
  readonly role: Role
}

export interface PeopleStore {
  /** Adds the person with this issuer and subject, or updates their email, name and operator flag. */
  savePerson(person: NewPerson): Promise<Person>
  getPerson(id: string): Promise<Person | undefined>
  /** The names of these people, for the audit list; unknown ids are left out. */
  namesOfPeople(ids: readonly string[]): Promise<ReadonlyMap<string, string>>
  /** Audit actors (`person:<id>`, `key:<id>`) → the person's or the key's name, revoked keys included. */
  namesOfActors(actors: readonly string[]): Promise<ReadonlyMap<string, string>>
  /** The tenants the person belongs to and their role in each, oldest membership first. */
  membershipsOf(personId: string): Promise<readonly { readonly tenant: Tenant; readonly role: Role }[]>
  /** Adds or changes a membership. */
  setMembership(tenantId: string, personId: string, role: Role, now: number): Promise<void>
  /** Ends a membership and every session the person holds in that tenant. False when there was none. */
  removeMembership(tenantId: string, personId: string, now: number): Promise<boolean>
  /** The tenant's members, oldest first. */
  listMembers(tenantId: string): Promise<readonly Member[]>

  createInvitation(invitation: NewInvitation): Promise<Invitation>
  /** The invitation with this token hash if it is neither used nor expired at `now`. */
  findInvitation(tokenHash: string, now: number): Promise<Invitation | undefined>
  /**
   * Uses the invitation once: makes the person a member with its role. False, and nothing changed, when it was used
   * meanwhile or has expired.
   */
  acceptInvitation(id: string, personId: string, now: number): Promise<boolean>

  createSession(session: NewSession): Promise<void>
  /** The session with this id hash unless revoked; its person and tenant. Timeouts are the caller's rule. */
  findSession(idHash: string): Promise<SessionRecord | undefined>
  touchSession(idHash: string, now: number): Promise<void>
  revokeSession(idHash: string, now: number): Promise<void>
  /** Revokes every working session of the person (in one tenant, or all), or of a whole tenant. Answers how many. */
  revokeSessions(scope: { personId: string; tenantId?: string } | { tenantId: string }, now: number): Promise<number>

  tenantSignIn(tenantId: string): Promise<TenantSignIn | undefined>
  setTenantSignIn(settings: TenantSignIn): Promise<void>
  /** The tenants that people of this Entra tenant join by signing in. */
  tenantsOfEntraTenant(entraTenantId: string): Promise<readonly TenantSignIn[]>
}

function personOf(row: Selectable<Database['people']>): Person {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    ...(row.email !== null && { email: row.email }),
    name: row.name,
    operator: Number(row.operator) === 1,
    createdAt: Number(row.created_at),
  }
}

function invitationOf(row: Selectable<Database['invitations']>): Invitation {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    role: parseRole(row.role),
    invitedBy: row.invited_by,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    ...(row.accepted_at !== null && { acceptedAt: Number(row.accepted_at) }),
  }
}

function tenantSignInOf(row: { id: string; entra_tenant_id: string | null; sign_in_role: string | null }) {
  return {
    tenantId: row.id,
    ...(row.entra_tenant_id !== null && { entraTenantId: row.entra_tenant_id }),
    role: parseRole(row.sign_in_role ?? 'viewer'),
  }
}

export function createPeopleQueries(db: Kysely<Database>): PeopleStore {
  return {
    async savePerson(person) {
      const row = await db
        .insertInto('people')
        .values({
          id: person.id,
          issuer: person.issuer,
          subject: person.subject,
          email: person.email ?? null,
          name: person.name,
          operator: person.operator ? 1 : 0,
          created_at: person.createdAt,
        })
        .onConflict((conflict) =>
          conflict.columns(['issuer', 'subject']).doUpdateSet({
            email: person.email ?? null,
            name: person.name,
            operator: person.operator ? 1 : 0,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return personOf(row)
    },

    async getPerson(id) {
      const row = await db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst()
      return row && personOf(row)
    },

    async namesOfPeople(ids) {
      if (ids.length === 0) return new Map()
      const rows = await db.selectFrom('people').select(['id', 'name']).where('id', 'in', ids).execute()
      return new Map(rows.map((row) => [row.id, row.name]))
    },

    async namesOfActors(actors) {
      const idsOf = (prefix: string) => [
        ...new Set(actors.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length))),
      ]
      const personIds = idsOf('person:')
      const keyIds = idsOf('key:')
      const names = new Map<string, string>()
      if (personIds.length > 0) {
        for (const row of await db.selectFrom('people').select(['id', 'name']).where('id', 'in', personIds).execute()) {
          names.set(`person:${row.id}`, row.name)
        }
      }
      if (keyIds.length > 0) {
        for (const row of await db.selectFrom('api_keys').select(['id', 'label']).where('id', 'in', keyIds).execute()) {
          names.set(`key:${row.id}`, row.label)
        }
      }
      return names
    },

    async membershipsOf(personId) {
      const rows = await db
        .selectFrom('memberships as m')
        .innerJoin('tenants as t', 't.id', 'm.tenant_id')
        .select(['t.id', 't.name', 't.created_at', 'm.role'])
        .where('m.person_id', '=', personId)
        .orderBy('m.created_at')
        .orderBy('t.id')
        .execute()
      return rows.map((row) => ({
        tenant: { id: row.id, name: row.name, createdAt: Number(row.created_at) },
        role: parseRole(row.role),
      }))
    },

    async setMembership(tenantId, personId, role, now) {
      await db
        .insertInto('memberships')
        .values({ tenant_id: tenantId, person_id: personId, role, created_at: now })
        .onConflict((conflict) => conflict.columns(['tenant_id', 'person_id']).doUpdateSet({ role }))
        .execute()
    },

    removeMembership: (tenantId, personId, now) =>
      db.transaction().execute(async (trx) => {
        const removed = await trx
          .deleteFrom('memberships')
          .where('tenant_id', '=', tenantId)
          .where('person_id', '=', personId)
          .executeTakeFirst()
        await trx
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('tenant_id', '=', tenantId)
          .where('person_id', '=', personId)
          .where('revoked_at', 'is', null)
          .execute()
        return Number(removed.numDeletedRows) > 0
      }),

    async listMembers(tenantId) {
      const rows = await db
        .selectFrom('memberships as m')
        .innerJoin('people as p', 'p.id', 'm.person_id')
        .selectAll('p')
        .select(['m.role', 'm.created_at as member_since'])
        .where('m.tenant_id', '=', tenantId)
        .orderBy('m.created_at')
        .orderBy('p.id')
        .execute()
      return rows.map((row) => ({
        ...personOf(row),
        role: parseRole(row.role),
        memberSince: Number(row.member_since),
      }))
    },

    async createInvitation(invitation) {
      await db
        .insertInto('invitations')
        .values({
          id: invitation.id,
          tenant_id: invitation.tenantId,
          token_hash: invitation.tokenHash,
          email: invitation.email,
          role: invitation.role,
          invited_by: invitation.invitedBy,
          created_at: invitation.createdAt,
          expires_at: invitation.expiresAt,
        })
        .execute()
      const { tokenHash: _hash, ...shown } = invitation
      return shown
    },

    async findInvitation(tokenHash, now) {
      const row = await db
        .selectFrom('invitations')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('accepted_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst()
      return row && invitationOf(row)
    },

    acceptInvitation: (id, personId, now) =>
      db.transaction().execute(async (trx) => {
        // The guarded update is the lock: of two sign-ins with one link, only one changes the row.
        const used = await trx
          .updateTable('invitations')
          .set({ accepted_at: now, accepted_by: personId })
          .where('id', '=', id)
          .where('accepted_at', 'is', null)
          .where('expires_at', '>', now)
          .returning(['tenant_id', 'role'])
          .executeTakeFirst()
        if (!used) return false
        await trx
          .insertInto('memberships')
          .values({ tenant_id: used.tenant_id, person_id: personId, role: used.role, created_at: now })
          .onConflict((conflict) => conflict.columns(['tenant_id', 'person_id']).doUpdateSet({ role: used.role }))
          .execute()
        return true
      }),

    async createSession(session) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: session.idHash,
          person_id: session.personId,
          tenant_id: session.tenantId,
          created_at: session.createdAt,
          last_seen_at: session.createdAt,
        })
        .execute()
    },

    async findSession(idHash) {
      const row = await db
        .selectFrom('sessions as s')
        .innerJoin('people as p', 'p.id', 's.person_id')
        .innerJoin('tenants as t', 't.id', 's.tenant_id')
        .selectAll('p')
        .select([
          's.created_at as session_created_at',
          's.last_seen_at',
          't.id as tenant_id',
          't.name as tenant_name',
          't.created_at as tenant_created_at',
        ])
        .where('s.id_hash', '=', idHash)
        .where('s.revoked_at', 'is', null)
        .executeTakeFirst()
      if (!row) return undefined
      return {
        person: personOf(row),
        tenant: { id: row.tenant_id, name: row.tenant_name, createdAt: Number(row.tenant_created_at) },
        createdAt: Number(row.session_created_at),
        lastSeenAt: Number(row.last_seen_at),
      }
    },

    async touchSession(idHash, now) {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute()
    },

    async revokeSession(idHash, now) {
      await db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id_hash', '=', idHash)
        .where('revoked_at', 'is', null)
        .execute()
    },

    async revokeSessions(scope, now) {
      let query = db.updateTable('sessions').set({ revoked_at: now }).where('revoked_at', 'is', null)
      if ('personId' in scope) query = query.where('person_id', '=', scope.personId)
      if (scope.tenantId !== undefined) query = query.where('tenant_id', '=', scope.tenantId)
      const result = await query.executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async tenantSignIn(tenantId) {
      const row = await db
        .selectFrom('tenants')
        .select(['id', 'entra_tenant_id', 'sign_in_role'])
        .where('id', '=', tenantId)
        .executeTakeFirst()
      return row && tenantSignInOf(row)
    },

    async setTenantSignIn(settings) {
      await db
        .updateTable('tenants')
        .set({ entra_tenant_id: settings.entraTenantId?.toLowerCase() ?? null, sign_in_role: settings.role })
        .where('id', '=', settings.tenantId)
        .execute()
    },

    async tenantsOfEntraTenant(entraTenantId) {
      const rows = await db
        .selectFrom('tenants')
        .select(['id', 'entra_tenant_id', 'sign_in_role'])
        .where('entra_tenant_id', '=', entraTenantId.toLowerCase())
        .orderBy('created_at')
        .execute()
      return rows.map(tenantSignInOf)
    },
  }
}
