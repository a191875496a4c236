/** Renders every error as RFC 9457 `application/problem+json` with a stable `code`. The only error-to-HTTP mapping. */

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorCode, errorCatalogue } from '../core/errors.ts'

export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly code: ErrorCode
  readonly detail: string
  readonly field?: string
  readonly instance?: string
  readonly [extra: string]: unknown
}

export function problemOf(error: AppError, instance?: string): Problem {
  const entry = errorCatalogue[error.code]
  return {
    type: `urn:leadrelay:error:${error.code}`,
    title: entry.title,
    status: entry.status,
    code: error.code,
    detail: error.message,
    ...(error.field !== undefined && { field: error.field }),
    ...(instance !== undefined && { instance }),
    ...error.extra,
  }
}

/** Fastify's own errors (body parsing, limits, content type), translated to catalogue codes. */
const fastifyCodes: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const fastifyError = error as Partial<FastifyError>
  const code = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined
  if (code) return new AppError(code, fastifyError.message ?? errorCatalogue[code].title)
  // Fastify's JSON parser throws a plain SyntaxError with status 400 (also for __proto__ keys).
  if (
    error instanceof SyntaxError ||
    (fastifyError.statusCode === 400 && fastifyError.code?.startsWith('FST_ERR_CTP'))
  ) {
    return new AppError('INVALID_JSON', `The body is not valid JSON: ${fastifyError.message ?? 'parse error'}`, {
      field: '$',
    })
  }
  if (fastifyError.statusCode === 400 && fastifyError.message) {
    return new AppError('VALIDATION_FAILED', fastifyError.message)
  }
  return new AppError('INTERNAL', 'Something went wrong on our side; the request was not applied')
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const appError = toAppError(error)
  if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed')
  const problem = problemOf(appError)
  return reply.code(problem.status).type('application/problem+json').send(problem)
}
