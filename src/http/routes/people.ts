/** People of a tenant: list, invite, change role, remove; and how a tenant admits the people of its Entra tenant. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { roles } from '../../core/roles.ts'
import { actorRole, invitationInput, type PeopleService, roleInput } from '../../services/people.ts'
import type { Member } from '../../store/people-queries.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { jsonAnswer } from '../route-schema.ts'
import { requires } from '../route-scopes.ts'

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

const personSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    role: z.enum(roles),
    operator: z.boolean(),
    memberSince: z.string(),
  })
  .meta({ id: 'Person' })

const createdInvitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.enum(roles),
    expiresAt: z.string(),
    emailed: z.boolean(),
    link: z.string().nullable().describe('The link to pass on when no email could be sent; shown once'),
  })
  .meta({ id: 'CreatedInvitation' })

const tenantSignInSchema = z
  .object({ entraTenantId: z.string().nullable(), role: z.enum(roles) })
  .meta({ id: 'TenantSignIn' })

const personParams = z.object({ personId: z.string() })

export function registerPeopleRoutes(app: FastifyInstance, deps: HttpDeps, people: PeopleService): void {
  const api = app.withTypeProvider<ZodTypeProvider>()
  const admin = requires('admin')

  api.get(
    '/v1/people',
    {
      config: admin,
      schema: {
        operationId: 'listPeople',
        summary: "The tenant's people: name, email, role, operator flag, member since",
        response: { 200: jsonAnswer('People', z.object({ items: z.array(personSchema) })) },
      },
    },
    async (request) => ({ items: (await people.listMembers(callerOf(request).tenant)).map(presentMember) }),
  )

  api.post(
    '/v1/invitations',
    {
      config: admin,
      schema: {
        operationId: 'invitePerson',
        summary: 'Invite an email with a role; the link (7 days, once) is emailed, or in this answer without SMTP',
        body: invitationInput,
        response: { 201: jsonAnswer('The invitation', createdInvitationSchema) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      const { invitation, link, emailed } = await people.invite(caller.tenant, request.body, {
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
    },
  )

  api.patch(
    '/v1/people/:personId',
    {
      config: admin,
      schema: {
        operationId: 'changePersonRole',
        summary: "Change a person's role; only an owner makes or unmakes owners",
        params: personParams,
        body: roleInput,
        response: { 200: jsonAnswer('The person', personSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const member = await people.changeRole(caller.tenant, request.params.personId, request.body.role, {
        id: caller.actor,
        role: actorRole(caller),
      })
      return presentMember(member)
    },
  )

  api.delete(
    '/v1/people/:personId',
    {
      config: admin,
      schema: {
        operationId: 'removePerson',
        summary: 'Remove a person from the tenant; their sessions here end at once',
        params: personParams,
        response: { 204: z.undefined().describe('Removed') },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      await people.remove(caller.tenant, request.params.personId, { id: caller.actor, role: actorRole(caller) })
      return reply.code(204).send()
    },
  )

  api.get(
    '/v1/tenant/sign-in',
    {
      config: admin,
      schema: {
        operationId: 'getTenantSignIn',
        summary: 'The Entra tenant whose people join this tenant by signing in, and their role',
        response: { 200: jsonAnswer('The setting', tenantSignInSchema) },
      },
    },
    async (request) => {
      const settings = await deps.store.tenantSignIn(callerOf(request).tenant.id)
      return { entraTenantId: settings?.entraTenantId ?? null, role: settings?.role ?? 'viewer' }
    },
  )

  api.put(
    '/v1/tenant/sign-in',
    {
      config: admin,
      schema: {
        operationId: 'setTenantSignIn',
        summary: 'Set (or clear, with null) the Entra tenant whose people join by signing in',
        body: tenantSignInInput,
        response: { 200: jsonAnswer('The setting', tenantSignInSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const input = request.body
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
    },
  )
}
