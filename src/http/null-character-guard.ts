/**
 * U+0000 at the HTTP edge. PostgreSQL text cannot hold it ("invalid byte sequence for encoding UTF8: 0x00"), so a
 * NUL in an id, a filter or a stored setting was a 500 there while SQLite took it: one answer for both stores instead.
 *
 * - Path parameters and query values are refused with VALIDATION_FAILED naming the parameter: no id or filter
 *   contains one.
 * - JSON bodies of management calls are refused with VALIDATION_FAILED naming the field (`config.headers.X-Tag`,
 *   `aliases.0`): names, titles and settings are typed by people, who can send them again.
 * - Lead intake (the Microsoft URL, `POST /v1/leads`) is left alone: a lead is never lost for a NUL. Parsing drops it
 *   from the lead's text (src/core/inbound.ts), what is kept as JSON keeps it escaped, and a NUL in an idempotency
 *   key is IDEMPOTENCY_KEY_INVALID like any other unprintable character.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../core/errors.ts'

const nul = '\u0000'

/** The routes whose bodies are leads, by method and route URL. */
const leadIntake = new Set(['POST /ingest/microsoft/:token', 'POST /v1/leads'])

function refuse(field: string, where: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field}: the ${where} contains a NUL character (U+0000)`, { field })
}

function printable(key: string): string {
  return key.replaceAll(nul, '\\u0000')
}

/** The first string or key under `value` holding a NUL, as a dotted path (`$` for the body itself). */
function fieldWithNul(value: unknown, path: readonly string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes(nul) ? path.join('.') || '$' : undefined
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, child] of Object.entries(value)) {
    if (key.includes(nul)) return [...path, printable(key)].join('.')
    const found = fieldWithNul(child, [...path, key])
    if (found !== undefined) return found
  }
  return undefined
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
  if (request.body === undefined || request.body === null) return
  if (leadIntake.has(`${request.method} ${request.routeOptions.url}`)) return
  const field = fieldWithNul(request.body)
  if (field !== undefined) throw refuse(field, 'body field')
}

export function registerNullCharacterGuard(app: FastifyInstance): void {
  // A callback, not an async hook: one promise less on every request.
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      check(request)
    } catch (error) {
      return done(error as Error)
    }
    done()
  })
}
