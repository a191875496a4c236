/** People of a tenant: list, invite, change role, remove; and how a tenant admits the people of its Entra tenant. */

import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { roles } from '../../core/roles.ts'
import { actorRole, invitationInput, type PeopleService, roleInput } from '../../services/people.ts'
import type { Member } from '../../store/people-queries.ts'
import type { HttpDeps } from '../deps.ts'
import { parseWith } from '../validate.ts'

const iso = (ms: number) => new Date(ms).toISOString()

export function presentMember(member: Member) {
  return {
    id: member.id,
    name: member.name,
    email: member.email ?? null,
    role: member.role,
    operator: member.operator,
    memberSince: iso(member.memberSince),
  }
}

export const tenantSignInInput = z.strictObject({
  /** The Entra tenant (directory) id whose people join this tenant by signing in; null for none. */
  entraTenantId: z.uuid().nullable(),
  role: z.enum(roles).default('viewer'),
})

export function registerPeopleRoutes(app: FastifyInstance, deps: HttpDeps, people: PeopleService): void {
  app.get('/v1/people', async (request) => {
    const caller = await deps.auth.callerOf(request)
    return { items: (await people.listMembers(caller.tenant)).map(presentMember) }
  })

  app.post('/v1/invitations', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(invitationInput, request.body)
    const { invitation, link, emailed } = await people.invite(caller.tenant, input, {
      id: caller.actor,
      role: actorRole(caller),
    })
    return reply.code(201).send({
      id: invitation.id,
      email: invitation.email,
      role: invitation.role,
      expiresAt: iso(invitation.expiresAt),
      emailed,
      // Without email the admin passes the link on themselves; it is shown once, like a key.
      link: emailed ? null : link,
    })
  })

  app.patch<{ Params: { personId: string } }>('/v1/people/:personId', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const { role } = parseWith(roleInput, request.body)
    const member = await people.changeRole(caller.tenant, request.params.personId, role, {
      id: caller.actor,
      role: actorRole(caller),
    })
    return presentMember(member)
  })

  app.delete<{ Params: { personId: string } }>('/v1/people/:personId', async (request, reply) => {
    const caller = await deps.auth.callerOf(request)
    await people.remove(caller.tenant, request.params.personId, { id: caller.actor, role: actorRole(caller) })
    return reply.code(204).send()
  })

  app.get('/v1/tenant/sign-in', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const settings = await deps.store.tenantSignIn(caller.tenant.id)
    return { entraTenantId: settings?.entraTenantId ?? null, role: settings?.role ?? 'viewer' }
  })

  app.put('/v1/tenant/sign-in', async (request) => {
    const caller = await deps.auth.callerOf(request)
    const input = parseWith(tenantSignInInput, request.body)
    const before = await deps.store.tenantSignIn(caller.tenant.id)
    await deps.store.setTenantSignIn({
      tenantId: caller.tenant.id,
      ...(input.entraTenantId !== null && { entraTenantId: input.entraTenantId }),
      role: input.role,
    })
    await deps.store.appendAudit({
      id: deps.ids.next('aud'),
      tenantId: caller.tenant.id,
      actor: caller.actor,
      action: 'tenant.sign_in_changed',
      target: caller.tenant.id,
      detail: { before: before ?? null, after: input },
      at: deps.clock.now(),
    })
    return { entraTenantId: input.entraTenantId?.toLowerCase() ?? null, role: input.role }
  })
}
