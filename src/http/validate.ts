/** zod at the HTTP edge: the first issue becomes a VALIDATION_FAILED problem naming its field. */

import type { z } from 'zod'
import { AppError, type ErrorCode } from '../core/errors.ts'

export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  code: ErrorCode = 'VALIDATION_FAILED',
): z.output<T> {
  const result = schema.safeParse(value ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue?.path.map(String).join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : '$')
  throw new AppError(code, `${field}: ${issue?.message ?? 'invalid'}`, { field })
}
