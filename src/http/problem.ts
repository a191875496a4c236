/** Renders every error as RFC 9457 `application/problem+json` with a stable `code`. The only error-to-HTTP mapping. */

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type ErrorCode, errorCatalogue } from '../core/errors.ts'
import { offerTextLimits } from '../core/lead-source.ts'

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

/** Fastify's own errors that a request can cause (body parsing, limits, content type), as catalogue codes. */
const fastifyCodes: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
  FST_ERR_HANDLER_TIMEOUT: 'NOT_READY',
}

/**
 * The router's errors quote the path, which may hold an ingest token: they get a detail of our own instead.
 * FST_ERR_ASYNC_CONSTRAINT (no route here has one) stays INTERNAL.
 */
const fastifyPathErrors: Readonly<Record<string, AppError>> = {
  FST_ERR_BAD_URL: new AppError('VALIDATION_FAILED', 'The path is not valid percent-encoded UTF-8', { field: 'path' }),
  FST_ERR_INVALID_URL: new AppError('VALIDATION_FAILED', 'The path is not a valid URL', { field: 'path' }),
  FST_ERR_MAX_PARAM_LENGTH: new AppError(
    'URI_TOO_LONG',
    `A path parameter is over ${offerTextLimits.idLength} characters; no id is that long`,
    { field: 'path' },
  ),
}

/** Errors from elsewhere (plugins, Node) that carry only an HTTP status. */
const statusCodes: Readonly<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  413: 'BODY_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'NOT_READY',
}

/** Own entries only: an error's `code` is any string, and must not find `Object.prototype`'s members. */
function own<T>(table: Readonly<Record<string | number, T>>, key: string | number | undefined): T | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  const fastifyError = error as Partial<FastifyError>
  const pathError = own(fastifyPathErrors, fastifyError.code)
  if (pathError) return pathError
  const code = own(fastifyCodes, fastifyError.code)
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
  const byStatus = own(statusCodes, fastifyError.statusCode)
  if (byStatus) return new AppError(byStatus, errorCatalogue[byStatus].title)
  return new AppError('INTERNAL', 'Something went wrong on our side; the request was not applied')
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const appError = toAppError(error)
  if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed')
  const problem = problemOf(appError)
  return reply.code(problem.status).type('application/problem+json').send(problem)
}
