/**
 * Standard Webhooks 1.0 symmetric signatures (`v1`, HMAC-SHA256), byte-compatible with the `standardwebhooks`
 * npm package, and the webhook destination's secrets: one signing secret, plus the previous one while a rotation
 * is in its grace period.
 */

import { createHmac, timingSafeEqual } from 'node:crypto'
import { AppError } from '../../core/errors.ts'
import type { DestinationSecrets } from '../types.ts'
import { prepareSecretHeaders, secretHeaderPrefix, secretHeadersOf } from './secret-headers.ts'

const secretPrefix = 'whsec_'
const secretPattern = /^whsec_[A-Za-z0-9+/=]{32,}$/

/** How long the previous secret keeps signing after a rotation, unless the rotation says otherwise. */
export const defaultRotationGraceMs = 24 * 60 * 60 * 1000

/** Receivers reject timestamps further than this from their clock (the `standardwebhooks` default). */
export const defaultToleranceSeconds = 5 * 60

export function isSigningSecret(value: string): boolean {
  return secretPattern.test(value)
}

/** `whsec_` + base64 of 32 random bytes. */
export function generateSigningSecret(random: (size: number) => Uint8Array): string {
  return secretPrefix + Buffer.from(random(32)).toString('base64')
}

function signature(secret: string, content: string): Buffer {
  const key = Buffer.from(secret.slice(secretPrefix.length), 'base64')
  return createHmac('sha256', key).update(content).digest()
}

export interface SignInput {
  /** Every secret that signs, newest first. */
  readonly secrets: readonly string[]
  /** The `webhook-id` header. */
  readonly id: string
  /** The `webhook-timestamp` header: Unix seconds of this attempt. */
  readonly timestampSeconds: number
  /** The exact body bytes sent. */
  readonly body: string
}

/** The `webhook-signature` header: `v1,<base64>` per secret, space-separated. */
export function signWebhook(input: SignInput): string {
  const content = `${input.id}.${input.timestampSeconds}.${input.body}`
  return input.secrets.map((secret) => `v1,${signature(secret, content).toString('base64')}`).join(' ')
}

export interface VerifyInput {
  /** The receiver's copy of the signing secret (`whsec_…`). */
  readonly secret: string
  /** The raw body as received, before any JSON parsing. */
  readonly body: string
  /** Request headers; names are matched case-insensitively. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** The receiver's clock, epoch ms. */
  readonly now: number
  readonly toleranceSeconds?: number
}

export type VerifyResult =
  | { readonly ok: true; readonly id: string; readonly timestampSeconds: number }
  | { readonly ok: false; readonly reason: 'missing_headers' | 'timestamp_out_of_tolerance' | 'no_matching_signature' }

function header(headers: VerifyInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(' ') : value
  }
  return undefined
}

/**
 * Checks a received webhook the way a receiver should: the timestamp within tolerance (replay defence), then a
 * constant-time comparison against each `v1` signature listed. Receivers should also de-duplicate on the id.
 */
export function verifyWebhook(input: VerifyInput): VerifyResult {
  const id = header(input.headers, 'webhook-id')
  const timestamp = header(input.headers, 'webhook-timestamp')
  const signatures = header(input.headers, 'webhook-signature')
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return { ok: false, reason: 'missing_headers' }
  const timestampSeconds = Number(timestamp)
  const tolerance = input.toleranceSeconds ?? defaultToleranceSeconds
  if (Math.abs(input.now / 1000 - timestampSeconds) > tolerance) {
    return { ok: false, reason: 'timestamp_out_of_tolerance' }
  }
  const expected = signature(input.secret, `${id}.${timestamp}.${input.body}`)
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2)
    if (version !== 'v1' || value === undefined) continue
    const given = Buffer.from(value, 'base64')
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, id, timestampSeconds }
  }
  return { ok: false, reason: 'no_matching_signature' }
}

/**
 * The webhook destination's secrets:
 * - `signingSecret`: signs every request;
 * - `previousSigningSecret` + `previousExpiresAt` (epoch ms, as a string): after a rotation, the old secret signs
 *   too until then, so receivers can switch secrets without dropping a request;
 * - `header:<Name>`: a header that carries a credential, sent with every request (see secret-headers.ts).
 */
// A type, not an interface, so it is assignable to `DestinationSecrets` (a record of strings).
export type WebhookSecrets = {
  readonly signingSecret: string
  readonly previousSigningSecret?: string
  readonly previousExpiresAt?: string
  readonly [secretHeader: `header:${string}`]: string
}

const secretKeys = new Set(['signingSecret', 'previousSigningSecret', 'previousExpiresAt', 'headers'])

function invalid(key: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { field: `secrets.${key}` })
}

function secretField(given: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = given[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || !isSigningSecret(value)) {
    throw invalid(key, `${key} must be "whsec_" followed by the base64 of at least 24 random bytes`)
  }
  return value
}

/** Validates given secrets and generates a signing secret when none is given. Throws `AppError` naming the field. */
export function prepareWebhookSecrets(
  given: Readonly<Record<string, unknown>> | undefined,
  random: (size: number) => Uint8Array,
): WebhookSecrets {
  const secrets = given ?? {}
  for (const key of Object.keys(secrets)) {
    if (!secretKeys.has(key) && !key.startsWith(secretHeaderPrefix)) {
      throw invalid(key, `Unknown secret ${key}; a webhook takes signingSecret and headers`)
    }
  }
  const signingSecret = secretField(secrets, 'signingSecret') ?? generateSigningSecret(random)
  const headers = prepareSecretHeaders(secrets)
  const previousSigningSecret = secretField(secrets, 'previousSigningSecret')
  const previousExpiresAt = secrets.previousExpiresAt
  if (previousSigningSecret === undefined) {
    if (previousExpiresAt !== undefined) {
      throw invalid('previousExpiresAt', 'previousExpiresAt needs a previousSigningSecret')
    }
    return { signingSecret, ...headers }
  }
  if (typeof previousExpiresAt !== 'string' || !/^\d{1,16}$/.test(previousExpiresAt)) {
    throw invalid('previousExpiresAt', 'previousExpiresAt must be a time in epoch milliseconds, as a string')
  }
  return { signingSecret, previousSigningSecret, previousExpiresAt, ...headers }
}

/** Replaces the signing secret; the old one keeps signing for `graceMs`. Secret headers stay as they are. */
export function rotateWebhookSecrets(
  current: DestinationSecrets,
  random: (size: number) => Uint8Array,
  now: number,
  graceMs = defaultRotationGraceMs,
): WebhookSecrets {
  const signingSecret = generateSigningSecret(random)
  const headers = Object.fromEntries(
    Object.entries(secretHeadersOf(current)).map(([name, value]) => [`${secretHeaderPrefix}${name}`, value]),
  )
  const previous = current.signingSecret
  if (previous === undefined || !isSigningSecret(previous)) return { signingSecret, ...headers }
  return { signingSecret, previousSigningSecret: previous, previousExpiresAt: `${now + graceMs}`, ...headers }
}

/** The secrets that sign a request sent at `now`, newest first. Empty when no valid signing secret is stored. */
export function activeSigningSecrets(secrets: DestinationSecrets, now: number): string[] {
  const active: string[] = []
  if (secrets.signingSecret !== undefined && isSigningSecret(secrets.signingSecret)) active.push(secrets.signingSecret)
  const previous = secrets.previousSigningSecret
  const expiresAt = Number(secrets.previousExpiresAt)
  if (previous !== undefined && isSigningSecret(previous) && Number.isFinite(expiresAt) && now < expiresAt) {
    active.push(previous)
  }
  return active
}
