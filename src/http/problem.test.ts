import { describe, expect, test } from 'vitest'
import { AppError, errorCatalogue } from '../core/errors.ts'
import { toAppError } from './problem.ts'

/** Fastify's errors as it builds them: an Error with a `code` and a `statusCode`. */
function fastifyError(code: string, statusCode: number, message = `'/v1/leads/lr_in_secret%ZZ' ${code}`) {
  return Object.assign(new Error(message), { code, statusCode })
}

describe('every Fastify error a request can cause becomes a catalogue code', () => {
  test.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'BODY_TOO_LARGE'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'VALIDATION_FAILED'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'INVALID_JSON'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'INVALID_JSON'],
    ['FST_ERR_VALIDATION', 400, 'VALIDATION_FAILED'],
    ['FST_ERR_NOT_FOUND', 404, 'NOT_FOUND'],
    ['FST_ERR_BAD_URL', 400, 'VALIDATION_FAILED'],
    ['FST_ERR_INVALID_URL', 400, 'VALIDATION_FAILED'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'URI_TOO_LONG'],
    ['FST_ERR_HANDLER_TIMEOUT', 503, 'NOT_READY'],
    ['FST_ERR_ASYNC_CONSTRAINT', 500, 'INTERNAL'],
    ['FST_ERR_SOMETHING_NEW', 413, 'BODY_TOO_LARGE'],
    ['FST_ERR_SOMETHING_NEW', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['constructor', 500, 'INTERNAL'],
    ['__proto__', 404, 'NOT_FOUND'],
  ])('%s (%d) → %s', (code, status, expected) => {
    const error = toAppError(fastifyError(code, status))
    expect(error).toBeInstanceOf(AppError)
    expect(error.code).toBe(expected)
    expect(errorCatalogue[error.code].status).toBe(expected === 'INTERNAL' ? 500 : status)
  })

  test.each(['FST_ERR_BAD_URL', 'FST_ERR_INVALID_URL', 'FST_ERR_MAX_PARAM_LENGTH'])(
    '%s does not repeat the path, which may hold an ingest token',
    (code) => {
      const error = toAppError(fastifyError(code, 400))
      expect(error.message).not.toContain('lr_in_secret')
      expect(error.field).toBe('path')
    },
  )
})
