/**
 * People and their roles (docs/decisions/0008-sign-in-for-people.md): who a signed-in identity is and which tenant
 * they enter (invitation, existing membership, allowed Entra tenant or email domain), invitations, role changes and
 * removal. Audited.
 */

import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { SignInConfig } from '../config.ts'
import { hashCredential } from '../core/credentials.ts'
import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import { type Role, roles } from '../core/roles.ts'
import type { Invitation, Member, Person } from '../store/people-queries.ts'
import type { Store, Tenant } from '../store/types.ts'
import { createAuditRecorder } from './audit-log.ts'
import type { IdentityClaims } from './identity-provider.ts'

export const invitationLifetimeMs = 7 * 86_400_000

export const invitationInput = z.strictObject({
  email: z.email().max(254),
  role: z.enum(roles),
})

export const roleInput = z.strictObject({ role: z.enum(roles) })

/** Sends an invitation link; answers false when there is no way to send email (the link is then shown instead). */
export type InvitationMailer = (to: string, tenant: Tenant, link: string, expiresAt: number) => Promise<boolean>

export interface PeopleServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly publicUrl: string
  readonly signIn: SignInConfig
  readonly sendInvitation?: InvitationMailer
}

export interface Admission {
  readonly person: Person
  readonly tenant: Tenant
}

export interface PeopleService {
  /** The person behind checked claims and the tenant they enter; SIGN_IN_REFUSED when no rule lets them in. */
  admit(claims: IdentityClaims, invitationToken: string | undefined): Promise<Admission>
  listMembers(tenant: Tenant): Promise<readonly Member[]>
  invite(
    tenant: Tenant,
    input: { email: string; role: Role },
    actor: { id: string; role: Role },
  ): Promise<{ invitation: Invitation; link: string; emailed: boolean }>
  changeRole(tenant: Tenant, personId: string, role: Role, actor: { id: string; role: Role }): Promise<Member>
  remove(tenant: Tenant, personId: string, actor: { id: string; role: Role }): Promise<void>
}

/** `https://login.microsoftonline.com/<tid>/v2.0`: the Entra tenant an issuer names, if it names one. */
export function entraTenantOfIssuer(issuer: string): string | undefined {
  return /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/v2\.0\/?$/i.exec(issuer)?.[1]?.toLowerCase()
}

export function createPeopleService(deps: PeopleServiceDeps): PeopleService {
  const { store, clock, ids, signIn } = deps
  const refuse = (detail: string) => new AppError('SIGN_IN_REFUSED', detail)

  const audit = createAuditRecorder(deps)

  /** Only an owner hands out or takes away ownership. */
  function checkMayGrant(actorRole: Role, ...touched: Role[]) {
    if (touched.includes('owner') && actorRole !== 'owner') {
      throw new AppError('FORBIDDEN', 'Only an owner may make, change or remove an owner', {
        extra: { requiredRole: 'owner', role: actorRole },
      })
    }
  }

  async function memberOrThrow(tenant: Tenant, personId: string): Promise<Member> {
    const member = (await store.listMembers(tenant.id)).find((m) => m.id === personId)
    if (!member) throw new AppError('NOT_FOUND', `No person ${personId} in this tenant`, { field: 'personId' })
    return member
  }

  return {
    async admit(claims, invitationToken) {
      const now = clock.now()
      const issuerTenant = entraTenantOfIssuer(claims.iss)
      if (issuerTenant !== undefined && claims.tid !== undefined && issuerTenant !== claims.tid) {
        throw refuse(`The token's issuer names Entra tenant ${issuerTenant} but its tid is ${claims.tid}`)
      }
      const tid = claims.tid ?? issuerTenant
      const boundTenants = tid === undefined ? [] : await store.tenantsOfEntraTenant(tid)
      const email = (claims.email ?? claims.preferredUsername)?.toLowerCase()
      const verifiedDomain = claims.emailVerified === true ? claims.email?.toLowerCase().split('@')[1] : undefined
      // Entra does not vouch for email: an operator's address counts only from an allowed or bound Entra tenant.
      const trustedTenant = tid !== undefined && (signIn.oidc?.allowedTenants.includes(tid) || boundTenants.length > 0)
      const operator =
        email !== undefined &&
        signIn.operatorEmails.includes(email) &&
        (trustedTenant === true || claims.emailVerified === true)
      const person = await store.savePerson({
        id: ids.next('per'),
        issuer: claims.iss,
        subject: claims.sub,
        ...(email !== undefined && { email }),
        name: claims.name ?? email ?? claims.sub,
        operator,
        createdAt: now,
      })

      if (invitationToken !== undefined) {
        const invitation = await store.findInvitation(hashCredential(invitationToken), now)
        if (!invitation) throw refuse('This invitation link has expired or was already used; ask for a new one')
        if (email !== invitation.email.toLowerCase()) {
          throw refuse(
            `This invitation is for ${invitation.email}; you signed in as ${email ?? 'someone without an email'}`,
          )
        }
        const bound = await store.tenantSignIn(invitation.tenantId)
        if (bound?.entraTenantId !== undefined && tid !== bound.entraTenantId) {
          throw refuse('This tenant admits only people of its own Entra tenant')
        }
        if (!(await store.acceptInvitation(invitation.id, person.id, now))) {
          throw refuse('This invitation link was used meanwhile; ask for a new one')
        }
        const tenant = (await store.membershipsOf(person.id)).find((m) => m.tenant.id === invitation.tenantId)!.tenant
        await audit(tenant, `person:${person.id}`, 'person.joined', person.id, {
          by: 'invitation',
          role: invitation.role,
        })
        return { person, tenant }
      }

      // An existing membership, unless the tenant is bound to an Entra tenant this sign-in is not from.
      for (const membership of await store.membershipsOf(person.id)) {
        const bound = await store.tenantSignIn(membership.tenant.id)
        if (bound?.entraTenantId === undefined || bound.entraTenantId === tid)
          return { person, tenant: membership.tenant }
      }
      const bound = boundTenants[0]
      if (bound) {
        const tenant = (await store.listTenants()).find((t) => t.id === bound.tenantId)!
        await store.setMembership(tenant.id, person.id, bound.role, now)
        await audit(tenant, `person:${person.id}`, 'person.joined', person.id, { by: 'entra tenant', role: bound.role })
        return { person, tenant }
      }
      const oldest = (await store.listTenants()).reduce<Tenant | undefined>(
        (found, t) => (found === undefined || t.createdAt < found.createdAt ? t : found),
        undefined,
      )
      const byTenant = tid !== undefined && signIn.oidc?.allowedTenants.includes(tid) === true
      const byDomain = verifiedDomain !== undefined && signIn.oidc?.allowedDomains.includes(verifiedDomain) === true
      if (oldest && (byTenant || byDomain) && signIn.oidc) {
        await store.setMembership(oldest.id, person.id, signIn.oidc.defaultRole, now)
        await audit(oldest, `person:${person.id}`, 'person.joined', person.id, {
          by: byTenant ? 'allowed entra tenant' : 'allowed email domain',
          role: signIn.oidc.defaultRole,
        })
        return { person, tenant: oldest }
      }
      if (operator && oldest) return { person, tenant: oldest }
      // An invitation admits anyone it names; without one, only an allowed organisation or domain gets in.
      throw refuse(
        tid !== undefined
          ? `People of Entra tenant ${tid} may not sign in here without an invitation`
          : 'You have no invitation to Leadrelay, and your email domain is not admitted',
      )
    },

    listMembers: (tenant) => store.listMembers(tenant.id),

    async invite(tenant, input, actor) {
      checkMayGrant(actor.role, input.role)
      const token = randomBytes(32).toString('base64url')
      const now = clock.now()
      const invitation = await store.createInvitation({
        id: ids.next('inv'),
        tenantId: tenant.id,
        tokenHash: hashCredential(token),
        email: input.email.toLowerCase(),
        role: input.role,
        invitedBy: actor.id,
        createdAt: now,
        expiresAt: now + invitationLifetimeMs,
      })
      const link = `${deps.publicUrl}/auth/login?invitation=${encodeURIComponent(token)}`
      const emailed = (await deps.sendInvitation?.(invitation.email, tenant, link, invitation.expiresAt)) ?? false
      await audit(tenant, actor.id, 'person.invited', invitation.id, { email: invitation.email, role: input.role })
      return { invitation, link, emailed }
    },

    async changeRole(tenant, personId, role, actor) {
      const member = await memberOrThrow(tenant, personId)
      checkMayGrant(actor.role, member.role, role)
      await store.setMembership(tenant.id, personId, role, clock.now())
      await audit(tenant, actor.id, 'person.role_changed', personId, { before: member.role, after: role })
      return { ...member, role }
    },

    async remove(tenant, personId, actor) {
      const member = await memberOrThrow(tenant, personId)
      checkMayGrant(actor.role, member.role)
      await store.removeMembership(tenant.id, personId, clock.now())
      await audit(tenant, actor.id, 'person.removed', personId, { role: member.role })
    },
  }
}

/** What an actor may grant: a key's admin scope counts as owner (it could already do everything). */
export function actorRole(caller: { person?: { role: Role }; scopes: readonly string[] }): Role {
  if (caller.person) return caller.person.role
  return caller.scopes.includes('admin') ? 'owner' : 'viewer'
}
