/**
 * U+0000 at the edge. PostgreSQL text cannot hold it ("invalid byte sequence for encoding UTF8: 0x00"), so a NUL in
 * an id, a filter or a stored string was a 500 there while SQLite took it: one answer for both stores instead.
 *
 * - Path parameters, query values and the headers that become ids or are stored (`Idempotency-Key`,
 *   `Leadrelay-Tenant`) are refused with VALIDATION_FAILED naming the field: no id or filter contains one.
 * - Lead intake (the Microsoft URL and `POST /v1/leads`) never loses a lead for it: every NUL in the body's strings
 *   and keys is dropped (it carries nothing in a name or an email; senders pad C strings with it).
 * - Every other JSON body is refused with VALIDATION_FAILED naming the field (`config.headers.X-Api-Key`,
 *   `aliases.0`): names, titles and settings are typed by people, who can send them again.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../core/errors.ts'

const nul = '\u0000'

/** The routes whose bodies are leads, by method and route URL. */
const leadIntake = new Set(['POST /ingest/microsoft/:token', 'POST /v1/leads'])

/** Headers whose values are kept or looked up as ids, with the name a problem gives them. */
const idHeaders: readonly [string, string][] = [
  ['idempotency-key', 'Idempotency-Key'],
  ['leadrelay-tenant', 'Leadrelay-Tenant'],
]

function refuse(field: string, where: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: the ${where} contains a NUL character (U+0000)`, { field })
}

function printable(key: string): string {
  return key.replaceAll(nul, '\\u0000')
}

/** The first string or key under `value` holding a NUL, as a dotted path (`$` for the body itself). */
export function fieldWithNul(value: unknown, path: readonly string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes(nul) ? path.join('.') || '$' : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, child] of Object.entries(value)) {
    if (key.includes(nul)) return [...path, printable(key)].join('.')
    const found = fieldWithNul(child, [...path, key])
    if (found !== undefined) return found
  }
  return undefined
}

/** `value` with every NUL dropped from its strings and keys; the same value when there was none. */
export function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes(nul) ? value.replaceAll(nul, '') : value
  if (Array.isArray(value)) return value.map(withoutNul)
  if (typeof value !== 'object' || value === null) return value
  // Defined, not assigned: a key such as `__proto__` stays an own key, as JSON.parse made it.
  const result: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    Object.defineProperty(result, key.replaceAll(nul, ''), {
      value: withoutNul(child),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return result
}

function checkRecord(values: unknown, where: string): void {
  if (typeof values !== 'object' || values === null) return
  for (const [name, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value]
    if (name.includes(nul) || texts.some((text) => typeof text === 'string' && text.includes(nul))) {
      throw refuse(printable(name), where)
    }
  }
}

function check(request: FastifyRequest): void {
  checkRecord(request.params, 'path parameter')
  checkRecord(request.query, 'query parameter')
  for (const [header, name] of idHeaders) {
    const value = request.headers[header]
    if ([value].flat().some((text) => text?.includes(nul))) throw refuse(name, 'header')
  }
  if (request.body === undefined || request.body === null) return
  if (leadIntake.has(`${request.method} ${request.routeOptions.url}`)) {
    if (fieldWithNul(request.body) !== undefined) request.body = withoutNul(request.body)
    return
  }
  const field = fieldWithNul(request.body)
  if (field !== undefined) throw refuse(field, 'body field')
}

export function registerNullCharacterGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => check(request))
}
