/**
 * Headers that carry credentials (an API key, a bearer token, a cookie): kept with the sealed secrets, never in the
 * plain config, and never shown by the API (only their names are).
 *
 * They are stored as one secret per header, `header:<Name>` → value, so the secrets stay a flat record of strings.
 * The API takes them as `secrets.headers`, a record of name → value where `null` removes a stored header.
 */

import { AppError } from '../../core/errors.ts'
import type { DestinationSecrets } from '../types.ts'
import { isCredentialHeader, isHeaderName, isReservedHeader, maxExtraHeaders } from './config.ts'

export const secretHeaderPrefix = 'header:'

/** The secret headers stored in `secrets`, by name as given. */
export function secretHeadersOf(secrets: DestinationSecrets): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(secrets)) {
    if (key.startsWith(secretHeaderPrefix)) headers[key.slice(secretHeaderPrefix.length)] = value
  }
  return headers
}

/** Names of the secret headers, sorted: what the API shows instead of their values. */
export function secretHeaderNames(secrets: DestinationSecrets): string[] {
  return Object.keys(secretHeadersOf(secrets)).sort((a, b) => a.localeCompare(b))
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { field })
}

function checkHeader(field: string, name: string, value: unknown): string {
  if (!isHeaderName(name)) throw invalid(field, `${field}: not a valid HTTP header name`)
  if (isReservedHeader(name)) throw invalid(field, `${field}: ${name.toLowerCase()} is set by Leadrelay`)
  if (typeof value !== 'string' || value === '') throw invalid(field, `${field}: the value must be a non-empty string`)
  if (value.length > 4096) throw invalid(field, `${field}: at most 4096 characters`)
  if (/[\r\n\0]/.test(value)) throw invalid(field, `${field}: header values may not contain line breaks`)
  return value
}

/**
 * The secret headers after applying `patch` (from `secrets.headers`: name → value, or `null` to remove) to the
 * ones already stored (`header:<Name>` keys among `given`, which also come back from storage on an update).
 * Names match case-insensitively; throws `AppError` naming the field.
 */
export function prepareSecretHeaders(given: Readonly<Record<string, unknown>>): Record<string, string> {
  const headers = new Map<string, { name: string; value: string }>()
  for (const [key, value] of Object.entries(given)) {
    if (!key.startsWith(secretHeaderPrefix)) continue
    const name = key.slice(secretHeaderPrefix.length)
    headers.set(name.toLowerCase(), { name, value: checkHeader(`secrets.${key}`, name, value) })
  }
  const patch = given.headers
  if (patch !== undefined && patch !== null) {
    if (typeof patch !== 'object' || Array.isArray(patch)) {
      throw invalid('secrets.headers', 'secrets.headers must be an object of header name → value (null removes one)')
    }
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) {
        headers.delete(name.toLowerCase())
        continue
      }
      headers.set(name.toLowerCase(), { name, value: checkHeader(`secrets.headers.${name}`, name, value) })
    }
  }
  if (headers.size > maxExtraHeaders) {
    throw invalid('secrets.headers', `secrets.headers: at most ${maxExtraHeaders} headers`)
  }
  return Object.fromEntries([...headers.values()].map(({ name, value }) => [`${secretHeaderPrefix}${name}`, value]))
}

/**
 * Stored settings as they should be: credential headers still in a destination's plain `config.headers` (saved
 * before they were refused there) move to the secret headers, and a plain header that a secret header of the same
 * name replaces is dropped. `moved` says whether anything changed, so an update can seal the result.
 */
export function moveCredentialHeaders(
  config: unknown,
  secrets: DestinationSecrets,
): { config: unknown; secrets: DestinationSecrets; moved: boolean } {
  if (typeof config !== 'object' || config === null || !('headers' in config)) {
    return { config, secrets, moved: false }
  }
  const plain = (config as { headers?: unknown }).headers
  if (typeof plain !== 'object' || plain === null) return { config, secrets, moved: false }
  const secretNames = new Set(Object.keys(secretHeadersOf(secrets)).map((name) => name.toLowerCase()))
  const kept: Record<string, unknown> = {}
  const sealed: Record<string, string> = { ...secrets }
  let moved = false
  for (const [name, value] of Object.entries(plain)) {
    if (secretNames.has(name.toLowerCase())) {
      moved = true
    } else if (isCredentialHeader(name) && typeof value === 'string') {
      sealed[`${secretHeaderPrefix}${name}`] = value
      secretNames.add(name.toLowerCase())
      moved = true
    } else {
      kept[name] = value
    }
  }
  if (!moved) return { config, secrets, moved: false }
  const { headers: _dropped, ...rest } = config as Record<string, unknown>
  return { config: Object.keys(kept).length > 0 ? { ...rest, headers: kept } : rest, secrets: sealed, moved: true }
}
