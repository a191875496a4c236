/**
 * What the table service's answers mean for a delivery. The SDK throws `RestError`; the service's own code
 * (`TableNotFound`, `AuthenticationFailed`, …) is in the error, the `x-ms-error-code` header or the body.
 */

import type { RestError } from '@azure/data-tables'
import { DeliveryError } from '../../core/errors.ts'
import { HttpClientError } from '../http-client.ts'
import { classifyHttpClientError, parseRetryAfter, responseExcerpt } from '../http-errors.ts'

export interface TableServiceError {
  readonly status: number
  /** The service's error code, e.g. `TableNotFound`. */
  readonly code?: string
  /** The service's message, first line, with any quoted contact data masked. */
  readonly message: string
  /** In an entity-group transaction: the position of the operation that failed. */
  readonly index?: number
  readonly retryAfterMs?: number
}

function findCause<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof type) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * The SDK's `RestError` in an error or its causes, recognised by name: the SDK loads only when a table is used (it
 * costs ~20 MB in every thread that would import it), so there is no class here to test with `instanceof`.
 */
function findRestError(error: unknown): RestError | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error && current.name === 'RestError') return current as RestError
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** Code and message from an OData JSON error body or a storage XML error body. */
function parseBody(body: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { 'odata.error'?: { code?: string; message?: { value?: string } } }
    const error = parsed['odata.error']
    if (error)
      return { ...(error.code && { code: error.code }), ...(error.message?.value && { message: error.message.value }) }
  } catch {
    // Not JSON: the XML shape below, or nothing usable.
  }
  const code = body.match(/<Code>([^<]*)<\/Code>/)?.[1]
  const message = body.match(/<Message>([^<]*)<\/Message>/)?.[1]
  return { ...(code && { code }), ...(message && { message }) }
}

function masked(text: string): string {
  return responseExcerpt({ status: 0, headers: {}, body: text, truncated: false })
}

/** The service's verdict inside an SDK error, or undefined when the error did not come from an HTTP answer. */
export function tableServiceError(error: unknown, now: number): TableServiceError | undefined {
  const rest = findRestError(error)
  if (!rest || rest.statusCode === undefined || rest.statusCode === 0) return undefined
  const body = rest.response?.bodyAsText ?? ''
  const fromBody = parseBody(body)
  const headerCode = rest.response?.headers.get('x-ms-error-code')
  // For a failed transaction the SDK puts the service's code and message on the error itself.
  const code = fromBody.code ?? headerCode ?? (rest.code && /^[A-Z][A-Za-z]+$/.test(rest.code) ? rest.code : undefined)
  const rawMessage =
    fromBody.code !== undefined
      ? (fromBody.message ?? '')
      : /^\d+:/.test(rest.message)
        ? rest.message
        : (fromBody.message ?? '')
  const firstLine = rawMessage.split('\n')[0]?.trim() ?? ''
  const indexMatch = firstLine.match(/^(\d+):/)
  const retryAfterMs = parseRetryAfter(rest.response?.headers.get('retry-after'), now)
  return {
    status: rest.statusCode,
    ...(code !== undefined && { code }),
    message: masked(indexMatch ? firstLine.slice(indexMatch[0].length) : firstLine),
    ...(indexMatch && { index: Number(indexMatch[1]) }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  }
}

export function isTableNotFound(error: unknown): boolean {
  const service = tableServiceError(error, 0)
  return service?.status === 404 && service.code === 'TableNotFound'
}

/** Codes that judge one entity (its keys, properties or size), not the table or the account. */
const entityCodes = new Set([
  'InvalidInput',
  'PropertyValueTooLarge',
  'EntityTooLarge',
  'PropertyNameTooLong',
  'PropertyNameInvalid',
  'TooManyProperties',
  'InvalidValueType',
  'InvalidDuplicateRow',
  'OutOfRangeInput',
  'KeyValueTooLarge',
  'InvalidXmlDocument',
  'InvalidResourceName',
  'RequestBodyTooLarge',
])

function describe(service: TableServiceError): string {
  const said = service.message ? ` The service said: "${service.message}"` : ''
  return `${service.code ?? `HTTP ${service.status}`}.${said}`
}

/** A service answer as the `DeliveryError` it calls for. `table` names the table in messages. */
export function classifyTableServiceError(service: TableServiceError, table: string): DeliveryError {
  const details = {
    status: service.status,
    ...(service.code !== undefined && { vendorCode: service.code }),
    ...(service.retryAfterMs !== undefined && { retryAfterMs: service.retryAfterMs }),
  }
  const { status, code } = service
  if (status === 401 || status === 403) {
    return new DeliveryError(
      'auth',
      `Azure refused our credentials (${describe(service)}) Check the connection string's AccountKey (it changes when the key is rotated) or the SAS token: not expired, allowed for the table service, with Query, Add and Update permissions (and Create to create the table).`,
      details,
    )
  }
  if (status === 404) {
    return new DeliveryError(
      'misconfigured',
      code === 'TableNotFound'
        ? `The table ${table} does not exist and could not be created (${describe(service)}) Create it in the storage account, or give credentials that may create tables.`
        : `The table service did not find what we asked for (${describe(service)}) Check the account and TableEndpoint of the connection string or SAS URL.`,
      details,
    )
  }
  if (status === 409 && code === 'TableBeingDeleted') {
    return new DeliveryError(
      'retryable',
      `The table ${table} is being deleted; Azure lets it be created again after about 40 seconds. Will retry.`,
      details,
    )
  }
  if (status === 429 || (status === 503 && service.retryAfterMs !== undefined)) {
    return new DeliveryError('rate_limited', `Azure is throttling us (${describe(service)}) Will retry later.`, details)
  }
  if (status === 408 || status >= 500) {
    return new DeliveryError(
      'retryable',
      `The table service failed or is busy (${describe(service)}) Will retry with back-off.`,
      details,
    )
  }
  if (status === 400 || status === 413 || (code !== undefined && entityCodes.has(code))) {
    return new DeliveryError(
      'rejected',
      `The table service rejected the lead's entity (${describe(service)}) It is not retried automatically: shorten or leave out the offending column in the field map, then replay the delivery.`,
      details,
    )
  }
  return new DeliveryError(
    status >= 400 && status < 500 ? 'rejected' : 'retryable',
    `The table service answered ${describe(service)}`,
    details,
  )
}

/** Anything a table call threw, as the `DeliveryError` the connector contract allows. */
export function toDeliveryError(error: unknown, table: string, now: number): DeliveryError {
  if (error instanceof DeliveryError) return error
  const httpError = findCause(error, HttpClientError)
  if (httpError) return classifyHttpClientError(httpError)
  const service = tableServiceError(error, now)
  if (service) return classifyTableServiceError(service, table)
  if ((error as { name?: string }).name === 'AbortError') {
    return new DeliveryError(
      'retryable',
      'The attempt was cancelled before the table service answered (the worker stopped or the attempt ran out of time); will retry.',
      { cause: error },
    )
  }
  const rest = findRestError(error)
  if (rest?.code === 'REQUEST_SEND_ERROR') {
    return new DeliveryError('retryable', `Could not reach the table service (${rest.message}); will retry.`, {
      cause: error,
    })
  }
  // A bug of ours or an answer the SDK could not read: retry, and keep the cause for the attempt log.
  return new DeliveryError('retryable', 'Writing to Azure Table failed unexpectedly; will retry.', { cause: error })
}

/** Thrown when the destination has no usable credentials stored (they are validated when saved). */
export function missingCredentialsError(): DeliveryError {
  return new DeliveryError(
    'misconfigured',
    'This Azure Table destination has no connection string or SAS URL. Set secrets.connectionString or secrets.sasUrl.',
  )
}
