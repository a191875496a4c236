/** The tenant a caller acts for, who hears about destination trouble, and readiness. */

import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { apiKeyScopes } from '../../core/api-key-scopes.ts'
import { AppError } from '../../core/errors.ts'
import { roles } from '../../core/roles.ts'
import { isoTime } from '../../core/time.ts'
import { setNotificationContacts } from '../../services/notification-contacts.ts'
import { callerOf } from '../caller.ts'
import type { HttpDeps } from '../deps.ts'
import { notificationContacts } from '../notification-contacts.ts'
import { sendProblem } from '../problem.ts'
import { jsonAnswer } from '../route-schema.ts'
import { publicRoute, requires } from '../route-scopes.ts'

const signedInPersonSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    role: z.enum(roles),
    operator: z.boolean().describe('An operator of this installation: owner of every tenant'),
  })
  .meta({ id: 'SignedInPerson' })

const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    key: z
      .object({ id: z.string(), scopes: z.array(z.enum(apiKeyScopes)) })
      .describe('The API key acting, and what it may do')
      .optional(),
    person: signedInPersonSchema.describe('The person signed in, and their role here').optional(),
  })
  .meta({ id: 'Tenant' })

export const tenantListSchema = z
  .object({
    items: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).meta({ id: 'TenantListed' })),
  })
  .meta({ id: 'TenantList' })

const notificationContactsSchema = z
  .object({ emails: z.array(z.string()).readonly(), webhookUrl: z.string().optional() })
  .meta({ id: 'NotificationContacts' })

export function registerTenantRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>()

  api.get(
    '/healthz',
    {
      config: publicRoute,
      schema: {
        operationId: 'getHealth',
        summary: 'Readiness: 200 when the store answers, else 503 NOT_READY',
        response: { 200: jsonAnswer('Ready', z.object({ status: z.literal('ok') })) },
      },
    },
    async (request, reply) => {
      try {
        await deps.store.ping()
        return { status: 'ok' as const }
      } catch {
        return sendProblem(request, reply, new AppError('NOT_READY', 'The store is not reachable'))
      }
    },
  )

  api.get(
    '/v1/tenant',
    {
      config: requires('read'),
      schema: {
        operationId: 'getTenant',
        summary: 'The tenant this key or person acts for, and what the caller may do',
        response: { 200: jsonAnswer('The tenant', tenantSchema) },
      },
    },
    async (request) => {
      const { tenant, keyId, scopes, person } = callerOf(request)
      // Who is acting and what they may do, so the portal offers only that: the key's scopes or the person's role.
      return {
        id: tenant.id,
        name: tenant.name,
        createdAt: isoTime(tenant.createdAt),
        ...(keyId !== undefined && { key: { id: keyId, scopes: [...scopes] } }),
        ...(person && {
          person: {
            id: person.id,
            name: person.name,
            email: person.email ?? null,
            role: person.role,
            operator: person.operator,
          },
        }),
      }
    },
  )

  api.get(
    '/v1/tenants',
    {
      config: requires('read'),
      schema: {
        operationId: 'listTenants',
        summary:
          'The tenants the caller may act for, oldest first: every tenant for an operator (a tenant-less admin key or a person in LEADRELAY_OPERATOR_EMAILS), who picks one with Leadrelay-Tenant; its own tenant for anyone else',
        response: { 200: jsonAnswer('The tenants', tenantListSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const tenants = caller.operator
        ? [...(await deps.store.listTenants())].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
        : [caller.tenant]
      return {
        items: tenants.map((tenant) => ({ id: tenant.id, name: tenant.name, createdAt: isoTime(tenant.createdAt) })),
      }
    },
  )

  api.put(
    '/v1/tenant/notifications',
    {
      config: requires('admin'),
      schema: {
        operationId: 'setNotificationContacts',
        summary: 'Set the notification contacts',
        body: notificationContacts,
        response: { 200: jsonAnswer('The contacts now', notificationContactsSchema) },
      },
    },
    async (request) => {
      const caller = callerOf(request)
      const contacts = request.body
      return setNotificationContacts(
        deps,
        caller.tenant,
        { emails: contacts.emails, ...(contacts.webhookUrl !== undefined && { webhookUrl: contacts.webhookUrl }) },
        caller.actor,
      )
    },
  )

  api.get(
    '/v1/tenant/notifications',
    {
      config: requires('read'),
      schema: {
        operationId: 'getNotificationContacts',
        summary: 'Who hears about destinations being paused, disabled or recovering',
        response: { 200: jsonAnswer('The contacts', notificationContactsSchema) },
      },
    },
    async (request) => deps.store.getTenantContacts(callerOf(request).tenant.id),
  )
}
