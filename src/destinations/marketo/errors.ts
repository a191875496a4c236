/**
 * Marketo's error codes as `DeliveryError`s. Marketo answers HTTP 200 even when a call failed: `success: false` with
 * `errors[{code, message}]` (the whole call, nothing executed) or, per record, `status: "skipped"` with
 * `reasons[{code, message}]`. One table covers both levels; codes are strings.
 * Source: https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes
 */

import { DeliveryError, type FailureKind } from '../../core/errors.ts'
import { HttpClientError } from '../http-client.ts'
import { classifyHttpClientError } from '../http-errors.ts'

export interface MarketoErrorEntry {
  readonly code: string
  readonly message: string
}

/** How long to wait on a rate-limit code: Marketo sends no Retry-After, so the wait comes from its documented limits. */
export type RateWait = 'rate_window' | 'quota_reset' | 'concurrency'

export type CodeOutcome =
  /** Fetch a new access token once and repeat the call (601, 602). */
  | { readonly kind: 'refresh_token' }
  /** The person is already there (1005 with createOnly): as good as delivered. */
  | { readonly kind: 'exists' }
  | { readonly kind: FailureKind; readonly wait?: RateWait }

export interface CodeRule {
  readonly outcome: CodeOutcome
  /** What Marketo's answer means, as a sentence fragment. */
  readonly what: string
  /** What the publisher (or nobody) has to do. */
  readonly fix: string
}

/** Marketo's documented rate limit: 100 calls per 20 s per instance. */
export const rateWindowMs = 20_000
/** A wait after 615 (more than 10 concurrent calls): calls finish within seconds. */
export const concurrencyWaitMs = 2_000

const leadrelayBug =
  'This is a Leadrelay bug, not a setting of yours: please report it; replay the delivery once it is fixed.'
const retryFix = 'Nothing to do: will retry.'
const resume = 'then resume the destination (PATCH it or run "Test connection").'

const doc = 'https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes'

/** Every Marketo code Leadrelay knows. Unknown codes are retryable (see `classifyMarketoCode`). */
export const marketoErrorTable: Readonly<Record<string, CodeRule>> = {
  // Response level. https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#500
  '500': { outcome: { kind: 'retryable' }, what: 'had an internal error', fix: retryFix },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#502: "Likely a timeout. The request should be retried with exponential backoff."
  '502': { outcome: { kind: 'retryable' }, what: 'had a gateway error', fix: retryFix },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#601
  '601': {
    outcome: { kind: 'refresh_token' },
    what: 'rejected the access token as invalid',
    fix: `Check that the custom service (Admin > Integration > LaunchPoint) and its API-only user are still active, ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#602
  '602': {
    outcome: { kind: 'refresh_token' },
    what: 'said the access token expired',
    fix: `Check that the custom service (Admin > Integration > LaunchPoint) and its API-only user are still active, ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#603: role lacks the permission, or "Allowlist for IP-Based API Access" is on.
  '603': {
    outcome: { kind: 'misconfigured' },
    what: "denied access: the API-only user's role lacks a permission this call needs, or an IP allowlist for API access blocks Leadrelay",
    fix: `Give the role "Read-Write Lead" under Access API (Admin > Users & Roles > Roles), or allow Leadrelay's outbound IP address (Admin > Web Services > IP Restrictions), ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#604
  '604': { outcome: { kind: 'retryable' }, what: 'timed out processing the request', fix: retryFix },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#605
  '605': { outcome: { kind: 'rejected' }, what: 'does not support the HTTP method used', fix: leadrelayBug },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#606: "The number of calls in the past 20 seconds was greater than 100".
  '606': {
    outcome: { kind: 'rate_limited', wait: 'rate_window' },
    what: 'is rate limiting (more than 100 calls in 20 s on this instance)',
    fix: "Will retry in 20 s. If this recurs, set this destination's limits.ratePerSecond to 4 or lower and check other integrations that share the instance.",
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#607: "resets daily at 12:00AM CST".
  '607': {
    outcome: { kind: 'rate_limited', wait: 'quota_reset' },
    what: "reached the subscription's daily API quota",
    fix: 'Will retry after the quota resets (midnight in quotaResetTimeZone). To raise the quota, ask your Adobe account manager; Admin > Web Services shows which API users use it up.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#608
  '608': { outcome: { kind: 'retryable' }, what: 'says its API is temporarily unavailable', fix: retryFix },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#609
  '609': { outcome: { kind: 'rejected' }, what: 'could not read the request body as JSON', fix: leadrelayBug },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#610: "often due to an incorrectly spelled or incorrectly formatted request URI".
  '610': {
    outcome: { kind: 'misconfigured' },
    what: 'has no such REST resource',
    fix: `Check restUrl: it must be the REST API base from Admin > Web Services, e.g. https://123-ABC-456.mktorest.com; ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#611
  '611': { outcome: { kind: 'retryable' }, what: 'had a system error', fix: retryFix },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#612
  '612': { outcome: { kind: 'rejected' }, what: 'refused the request content type', fix: leadrelayBug },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#614: "This usually indicates temporary inaccessibility."
  '614': {
    outcome: { kind: 'retryable' },
    what: 'could not reach the subscription',
    fix: 'Will retry; if it persists, check munchkinId or restUrl.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#615: "At most, requests are processed by any subscription 10 at a time."
  '615': {
    outcome: { kind: 'rate_limited', wait: 'concurrency' },
    what: 'already had 10 requests running for this subscription',
    fix: "Will retry in a few seconds. If this recurs, lower this destination's limits.maxConcurrency and check other integrations.",
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#701
  '701': {
    outcome: { kind: 'rejected' },
    what: 'found a required value blank',
    fix: 'Map a value to the field named in the message (fieldMap.fields), then replay the delivery.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#713: "it is advised to wait for time and then retry the request".
  '713': { outcome: { kind: 'retryable' }, what: 'had a transient error', fix: retryFix },
  // Record level. https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1001
  '1001': {
    outcome: { kind: 'rejected' },
    what: 'refused a value of the wrong type for its field',
    fix: "Change that field's mapping (fieldMap.fields) or the field's type in Marketo (Admin > Field Management), then replay the delivery.",
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1002
  '1002': {
    outcome: { kind: 'rejected' },
    what: 'is missing a required value',
    fix: 'Map a value to the field named in the message (fieldMap.fields), then replay the delivery.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1003: invalid data for the endpoint or mode.
  '1003': {
    outcome: { kind: 'rejected' },
    what: "refused the lead's data (a field or value is not valid)",
    fix: "Check the value against the field's type and length in Marketo (Admin > Field Management) and adjust the field map if needed, then replay the delivery.",
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1004: updateOnly and no person matches.
  '1004': {
    outcome: { kind: 'rejected' },
    what: "has no person with this lead's lookup value, and the destination only updates (action updateOnly)",
    fix: 'Set action to createOrUpdate to create new people, or create the person in Marketo, then replay the delivery.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1005: createOnly and the person exists: the upsert already happened.
  '1005': { outcome: { kind: 'exists' }, what: 'already has this person (action createOnly)', fix: '' },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1006
  '1006': {
    outcome: { kind: 'misconfigured' },
    what: 'has no field with a name the field map uses',
    fix: `Create the field (Admin > Field Management > New Custom Field) and give the API-only user access to it, or remove it from the map (fieldMap.omit); ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1007: "Updates can only be performed when the key matches a single record".
  '1007': {
    outcome: { kind: 'rejected' },
    what: "has several people with this lead's lookup value and will not pick one",
    fix: 'Merge the duplicate people in Marketo (Database > Possible Duplicates) or use a unique lookupField, then replay the delivery.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1008
  '1008': {
    outcome: { kind: 'misconfigured' },
    what: 'denied access to the lead partition',
    fix: `Give the API-only user's role access in a workspace that holds the partition, or set partitionName to one it may write; ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1009
  '1009': {
    outcome: { kind: 'misconfigured' },
    what: 'needs a lead partition name',
    fix: `Set partitionName in the destination's settings; ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1010: the person exists in another partition.
  '1010': {
    outcome: { kind: 'rejected' },
    what: 'has this person in another lead partition and will not move it',
    fix: 'Move the person to the configured partition in Marketo (or change partitionName), then replay the delivery.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1011: lookupField is not a dedupe field.
  '1011': {
    outcome: { kind: 'misconfigured' },
    what: 'cannot de-duplicate on the configured lookupField',
    fix: `Use lookupField "email", or a custom field Marketo de-duplicates on; ${resume}`,
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1021: "Company update not allowed during syncLead".
  '1021': {
    outcome: { kind: 'rejected' },
    what: 'does not let Sync Leads change company fields of a person linked to a company record',
    fix: 'Leave company out of the map (fieldMap.omit: ["company"]), then replay the delivery.',
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/error-codes#1036: the same key twice in one call (Leadrelay never batches one person twice).
  '1036': { outcome: { kind: 'retryable' }, what: 'found the same person twice in one request', fix: retryFix },
}

/** Marketo's field data types: quoted in messages like "Required of type 'boolean'", never customer data. */
const marketoDataTypes: ReadonlySet<string> = new Set([
  'string',
  'text',
  'boolean',
  'integer',
  'float',
  'currency',
  'email',
  'phone',
  'url',
  'date',
  'datetime',
  'score',
  'percent',
  'reference',
])

/** A vendor message may echo what we sent: quoted values other than known field names are elided, contact data masked. */
export function safeVendorText(message: string, fieldNames: ReadonlySet<string> = new Set()): string {
  const text = message
    .replace(/(['"‘’`])([^'"‘’`]*)(['"‘’`])/g, (all, open: string, inner: string, close: string) =>
      fieldNames.has(inner) || marketoDataTypes.has(inner.toLowerCase()) ? all : `${open}…${close}`,
    )
    .replace(/[^\s"'<>(),;:]+@[^\s"'<>(),;:]+/g, '[email]')
    .replace(/\+?\d[\d ().-]{5,}\d/g, '[number]')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > 160 ? `${text.slice(0, 160)}…` : text
}

/** `t` in `timeZone`, read as if the wall-clock time were UTC (seconds precision). */
function wallClock(t: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(t)
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour') % 24, part('minute'), part('second'))
}

/** The next midnight in `timeZone` after `now` (epoch ms), daylight saving time included. */
export function nextMidnight(now: number, timeZone: string): number {
  const offsetAt = (t: number) => wallClock(t, timeZone) - Math.floor(t / 1000) * 1000
  const local = new Date(now + offsetAt(now))
  const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1)
  const guess = midnight - offsetAt(now)
  // The offset at midnight differs from now's when daylight saving time changes in between.
  return midnight - offsetAt(guess)
}

export interface ClassifyContext {
  readonly now: number
  readonly quotaResetTimeZone: string
  /** Field names that may be quoted in messages (those we send): everything else quoted is elided. */
  readonly fieldNames?: ReadonlySet<string>
  /** HTTP status of the answer (200 for Marketo's own errors). */
  readonly status?: number
}

function waitMs(wait: RateWait, context: ClassifyContext): number {
  switch (wait) {
    case 'rate_window':
      return rateWindowMs
    case 'concurrency':
      return concurrencyWaitMs
    case 'quota_reset':
      return Math.max(1000, nextMidnight(context.now, context.quotaResetTimeZone) - context.now)
  }
}

function describeWait(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`
  return `${(ms / 3_600_000).toFixed(1)} h`
}

/** The `DeliveryError` a failure outcome of the table calls for. */
function errorFor(
  kind: FailureKind,
  code: string,
  entry: MarketoErrorEntry,
  what: string,
  fix: string,
  context: ClassifyContext,
  wait?: RateWait,
): DeliveryError {
  const said = safeVendorText(entry.message, context.fieldNames)
  const quoted = said ? ` "${said}"` : ''
  const retryAfterMs = wait === undefined ? undefined : waitMs(wait, context)
  const when = retryAfterMs === undefined ? '' : ` (next try in ${describeWait(retryAfterMs)})`
  return new DeliveryError(kind, `Marketo ${what} (error ${code}${quoted}). ${fix}${when}`.trim(), {
    vendorCode: code,
    ...(context.status !== undefined && { status: context.status }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  })
}

/**
 * What one Marketo error entry means: `refresh_token` and `exists` are handled by the caller; anything else is the
 * `DeliveryError` to report. Unknown codes are retryable, with the code in the message.
 */
export function classifyMarketoCode(
  entry: MarketoErrorEntry,
  context: ClassifyContext,
): { readonly kind: 'refresh_token' } | { readonly kind: 'exists' } | DeliveryError {
  const code = String(entry.code)
  // Own entries only: the code comes from Marketo's answer, and `constructor` must not find Object.prototype's.
  const rule = Object.hasOwn(marketoErrorTable, code) ? marketoErrorTable[code] : undefined
  if (!rule) {
    return errorFor(
      'retryable',
      code,
      entry,
      'answered with an error code Leadrelay does not know',
      `Will retry. If it persists, look the code up at ${doc}.`,
      context,
    )
  }
  const { outcome } = rule
  if (outcome.kind === 'refresh_token' || outcome.kind === 'exists') return outcome
  return errorFor(outcome.kind, code, entry, rule.what, rule.fix, context, outcome.wait)
}

/** The error after a fresh token was rejected too (601/602 twice in a row). */
export function tokenRejectedError(entry: MarketoErrorEntry, status: number | undefined): DeliveryError {
  const code = String(entry.code)
  const rule = Object.hasOwn(marketoErrorTable, code) ? marketoErrorTable[code] : undefined
  return new DeliveryError(
    'auth',
    `Marketo ${rule?.what ?? 'rejected the access token'} (error ${entry.code}) even after Leadrelay fetched a new token. ${rule?.fix ?? ''}`.trim(),
    { vendorCode: String(entry.code), ...(status !== undefined && { status }) },
  )
}

/** An answer that is not the JSON Marketo documents: most likely a proxy or an outage page. */
export function unexpectedAnswerError(what: string, status: number): DeliveryError {
  return new DeliveryError('retryable', `Marketo's answer to ${what} was not the JSON it documents; will retry.`, {
    status,
  })
}

/** Anything a send threw, as the `DeliveryError` the connector contract allows. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error
  if (error instanceof HttpClientError) return classifyHttpClientError(error)
  // A bug of ours, not a verdict on Marketo: retry, and keep the cause for the attempt log.
  return new DeliveryError('retryable', 'Sending to Marketo failed unexpectedly; will retry.', { cause: error })
}
