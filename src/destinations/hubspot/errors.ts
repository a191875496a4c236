/**
 * HubSpot answers as `DeliveryError`s. HubSpot's error body (all fields optional, parse defensively):
 * `{"status":"error","message":"…","correlationId":"…","category":"VALIDATION_ERROR","errors":[{"message","code","in","context"}]}`;
 * 429s carry `policyName`. Validation details sit in `errors[].code` or, JSON-escaped, in `message`.
 * https://developers.hubspot.com/docs/api-reference/error-handling
 */

import { DeliveryError, type FailureKind } from '../../core/errors.ts'
import { HttpClientError, type HttpResponse } from '../http-client.ts'
import { classifyHttpClientError, classifyHttpStatus, parseRetryAfter, responseExcerpt } from '../http-errors.ts'
import { reservedProperties } from './config.ts'

export const requiredScopes = ['crm.objects.contacts.write', 'crm.objects.contacts.read'] as const

/** HubSpot's burst window: the wait after a `TEN_SECONDLY_ROLLING` 429 that names no time. */
export const burstWindowMs = 10_000

export interface HubSpotErrorBody {
  readonly status?: string
  readonly category?: string
  readonly message?: string
  readonly policyName?: string
  readonly errors?: readonly {
    readonly message?: string
    readonly code?: string
    readonly in?: string
    readonly context?: Record<string, unknown>
  }[]
  readonly context?: Record<string, unknown>
  readonly id?: string
  readonly objectWriteTraceId?: string
}

/** One invalid property value, from `errors[]` or from the JSON escaped into `message`. */
export interface ValidationDetail {
  readonly code: string
  readonly property?: string
}

/** What the classification needs besides the answer itself. */
export interface ErrorContext {
  readonly now: number
  /** The account's time zone: a `DAILY` limit resets at its midnight. */
  readonly timeZone: string
  /** Properties whose values come from settings, not from the lead: a bad option there is a configuration error. */
  readonly settingsProperties: ReadonlySet<string>
}

export function parseErrorBody(text: string): HubSpotErrorBody | undefined {
  try {
    const json = JSON.parse(text) as unknown
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as HubSpotErrorBody) : undefined
  } catch {
    return undefined
  }
}

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

export function validationDetails(body: HubSpotErrorBody): ValidationDetail[] {
  const details: ValidationDetail[] = []
  for (const entry of body.errors ?? []) {
    if (!entry.code) continue
    const property = firstString(entry.context?.propertyName) ?? entry.in
    details.push({ code: entry.code, ...(property && { property }) })
  }
  // "Property values were not valid: [{\"isValid\":false,\"error\":\"INVALID_EMAIL\",\"name\":\"email\",…}]"
  const embedded = body.message?.indexOf('[') ?? -1
  if (details.length === 0 && embedded >= 0) {
    try {
      const list = JSON.parse(body.message!.slice(embedded)) as unknown
      if (Array.isArray(list)) {
        for (const item of list as { error?: unknown; name?: unknown }[]) {
          if (typeof item?.error !== 'string') continue
          details.push({ code: item.error, ...(typeof item.name === 'string' && { property: item.name }) })
        }
      }
    } catch {
      // Not the embedded-JSON form: the category alone decides.
    }
  }
  return details
}

/** A vendor message, masked like a response excerpt (emails and phone numbers never reach our logs). */
export function maskedMessage(message: string | undefined): string {
  if (!message) return ''
  return responseExcerpt({ status: 0, headers: {}, body: message, truncated: false })
}

function said(message: string | undefined): string {
  const masked = maskedMessage(message)
  return masked ? ` HubSpot said: "${masked}"` : ''
}

/** Milliseconds from `now` to the next midnight in `timeZone`. */
export function untilMidnight(now: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(now))
  const part = (type: string) => Number(parts.find((entry) => entry.type === type)?.value ?? 0)
  const elapsed = ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (now % 1000)
  return 86_400_000 - elapsed
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`
}

/**
 * What one validation failure means: a property that does not exist or a settings value HubSpot does not offer is
 * the publisher's configuration (the destination pauses until fixed); anything else is this lead's data.
 */
export function classifyValidation(
  body: HubSpotErrorBody,
  context: ErrorContext,
  status: number | undefined,
): DeliveryError {
  const details = validationDetails(body)
  const base = { ...(status !== undefined && { status }) }
  const missing = [...new Set(details.filter((d) => d.code === 'PROPERTY_DOESNT_EXIST').map((d) => d.property))]
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name ?? '?'}"`).join(', ')
    return new DeliveryError(
      'misconfigured',
      `HubSpot has no contact property ${names} (PROPERTY_DOESNT_EXIST). Create it in HubSpot (Settings → Data Management → Properties → Contact properties → Create property, with exactly that internal name), or remove it from this destination's settings or field map; then verify the destination.`,
      { ...base, vendorCode: 'PROPERTY_DOESNT_EXIST' },
    )
  }
  const badSetting = details.find(
    (d) => d.code === 'INVALID_OPTION' && d.property !== undefined && context.settingsProperties.has(d.property),
  )
  if (badSetting) {
    return new DeliveryError(
      'misconfigured',
      `HubSpot does not offer the value this destination's settings give contact property "${badSetting.property}" (INVALID_OPTION). Compare the setting with the property's options in HubSpot (Settings → Data Management → Properties → ${badSetting.property}, internal values), fix either, then verify the destination.`,
      { ...base, vendorCode: 'INVALID_OPTION' },
    )
  }
  if (details.some((d) => d.code === 'INVALID_EMAIL')) {
    return new DeliveryError(
      'rejected',
      "HubSpot refused the lead's email address as invalid (INVALID_EMAIL), and contacts are upserted by email. It is not retried; the address has to be corrected at the source.",
      { ...base, vendorCode: 'INVALID_EMAIL' },
    )
  }
  const first = details[0]
  const what = first ? `${first.code}${first.property ? ` on "${first.property}"` : ''}` : 'VALIDATION_ERROR'
  return new DeliveryError(
    'rejected',
    `HubSpot refused this contact's values (${what}); it is not retried. Adjust the field map (e.g. omit or remap that property), then replay the delivery.${said(body.message)}`,
    { ...base, vendorCode: first?.code ?? 'VALIDATION_ERROR' },
  )
}

function scopesNamed(body: HubSpotErrorBody): string[] {
  const named = new Set<string>()
  for (const entry of body.errors ?? []) {
    for (const value of Object.values(entry.context ?? {})) {
      for (const scope of Array.isArray(value) ? value : [value]) {
        if (typeof scope === 'string' && /^[a-z][\w.-]*\.[\w.-]+$/.test(scope)) named.add(scope)
      }
    }
  }
  return [...named]
}

interface Row {
  /** Why this row exists: the HubSpot documentation it follows. */
  readonly doc: string
  readonly matches: (status: number, body: HubSpotErrorBody | undefined) => boolean
  /** The kinds this row can produce (validation failures depend on the details). */
  readonly kinds: readonly FailureKind[]
  readonly error: (response: HttpResponse, body: HubSpotErrorBody | undefined, context: ErrorContext) => DeliveryError
}

/**
 * The classification table, first match wins. Statuses it does not name fall back to the shared HTTP
 * classification (http-errors.ts).
 */
export const hubspotErrorTable: readonly Row[] = [
  {
    // https://developers.hubspot.com/docs/api-reference/error-handling (401: authentication invalid). Private app
    // tokens do not expire and have no refresh flow: a 401 needs a new token.
    doc: 'https://developers.hubspot.com/docs/apps/legacy-apps/private-apps/overview',
    matches: (status) => status === 401,
    kinds: ['auth'],
    error: (response, body) =>
      new DeliveryError(
        'auth',
        `HubSpot refused the private app access token (HTTP 401 ${body?.category ?? 'INVALID_AUTHENTICATION'}). Private app tokens do not expire, so it was rotated, deleted or mistyped: in HubSpot open Settings → Integrations → Private Apps → your app → Auth, copy the current token (or rotate to create a new token in the private app), and save it as this destination's accessToken secret.`,
        { status: response.status, vendorCode: body?.category ?? 'INVALID_AUTHENTICATION' },
      ),
  },
  {
    // https://developers.hubspot.com/docs/api-reference/error-handling (403: missing scopes)
    doc: 'https://developers.hubspot.com/docs/api-reference/error-handling',
    matches: (status, body) => status === 403 && body?.category === 'MISSING_SCOPES',
    kinds: ['misconfigured'],
    error: (response, body) => {
      const named = scopesNamed(body ?? {})
      return new DeliveryError(
        'misconfigured',
        `HubSpot's private app is missing a scope this destination needs (MISSING_SCOPES${named.length ? `: ${named.join(', ')}` : ''}). In HubSpot open Settings → Integrations → Private Apps → your app → Scopes, grant ${requiredScopes.join(' and ')}, commit the changes, then verify the destination.`,
        { status: response.status, vendorCode: 'MISSING_SCOPES' },
      )
    },
  },
  {
    // https://developers.hubspot.com/docs/api-reference/error-handling (403: not permitted for this token/account)
    doc: 'https://developers.hubspot.com/docs/api-reference/error-handling',
    matches: (status) => status === 403,
    kinds: ['misconfigured'],
    error: (response, body) =>
      new DeliveryError(
        'misconfigured',
        `HubSpot refused access (HTTP 403${body?.category ? ` ${body.category}` : ''}). Check that the private app belongs to the right HubSpot account and has the scopes ${requiredScopes.join(' and ')}, then verify the destination.${said(body?.message)}`,
        { status: response.status, ...(body?.category && { vendorCode: body.category }) },
      ),
  },
  {
    // https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (DAILY: resets at midnight
    // in the account's time zone)
    doc: 'https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines',
    matches: (status, body) => status === 429 && body?.policyName === 'DAILY',
    kinds: ['rate_limited'],
    error: (response, _body, context) => {
      const retryAfterMs = untilMidnight(context.now, context.timeZone)
      return new DeliveryError(
        'rate_limited',
        `The HubSpot account used up its daily API limit (429 DAILY); deliveries wait until midnight ${context.timeZone} (${seconds(retryAfterMs)}). If this recurs, lower other apps' usage or buy HubSpot's API limit increase.`,
        { status: response.status, vendorCode: 'DAILY', retryAfterMs },
      )
    },
  },
  {
    // https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines (TEN_SECONDLY_ROLLING burst
    // limit; Retry-After when given, else the X-HubSpot-RateLimit-Interval-Milliseconds window, else 10 s)
    doc: 'https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines',
    matches: (status) => status === 429,
    kinds: ['rate_limited'],
    error: (response, body, context) => {
      const interval = Number(response.headers['x-hubspot-ratelimit-interval-milliseconds'])
      const retryAfterMs =
        parseRetryAfter(response.headers['retry-after'], context.now) ??
        (Number.isFinite(interval) && interval > 0 ? interval : burstWindowMs)
      const policy = body?.policyName ?? 'RATE_LIMITS'
      return new DeliveryError(
        'rate_limited',
        `HubSpot is throttling this account (429 ${policy}); will retry in ${seconds(retryAfterMs)}. HubSpot allows 100 to 190 calls per 10 s per account, shared by all its apps: lower this destination's requestsPer10Seconds or limits.ratePerSecond if it recurs.`,
        { status: response.status, vendorCode: policy, retryAfterMs },
      )
    },
  },
  {
    // https://developers.hubspot.com/docs/api-reference/error-handling (400 VALIDATION_ERROR: property values
    // were not valid; PROPERTY_DOESNT_EXIST / INVALID_OPTION / INVALID_EMAIL)
    doc: 'https://developers.hubspot.com/docs/api-reference/error-handling',
    matches: (status, body) => status === 400 && body !== undefined,
    kinds: ['rejected', 'misconfigured'],
    error: (response, body, context) => classifyValidation(body!, context, response.status),
  },
  {
    // https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/guide (409 CONFLICT: a contact
    // with this email already exists, e.g. created concurrently). The upsert finds it on the next try.
    doc: 'https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/guide',
    matches: (status) => status === 409,
    kinds: ['retryable'],
    error: (response) =>
      new DeliveryError(
        'retryable',
        'HubSpot reported that the contact already exists (409 CONFLICT), most likely created at the same moment by another call; the upsert is repeated and then updates it.',
        { status: response.status, vendorCode: 'CONFLICT' },
      ),
  },
  {
    // A 404 from fixed API paths means the base URL is wrong (a proxy or a typo), not a missing lead.
    doc: 'https://developers.hubspot.com/docs/api-reference/error-handling',
    matches: (status) => status === 404,
    kinds: ['misconfigured'],
    error: (response) =>
      new DeliveryError(
        'misconfigured',
        "HubSpot's contacts API was not found at this destination's baseUrl (HTTP 404). Remove baseUrl from the settings (the default is https://api.hubapi.com) or correct it.",
        { status: response.status },
      ),
  },
  {
    // https://developers.hubspot.com/docs/api-reference/error-handling (5xx, 502/504 timeouts: retry)
    doc: 'https://developers.hubspot.com/docs/api-reference/error-handling',
    matches: (status) => status >= 500 && status <= 599,
    kinds: ['retryable'],
    error: (response, _body, context) => {
      const shared = classifyHttpStatus(response, context.now)!
      return new DeliveryError(shared.kind, shared.message.replace('The destination', 'HubSpot'), shared.details)
    },
  },
]

/** Undefined for a 2xx; otherwise the `DeliveryError` HubSpot's answer calls for. */
export function classifyHubSpotResponse(response: HttpResponse, context: ErrorContext): DeliveryError | undefined {
  if (response.status >= 200 && response.status <= 299) return undefined
  const body = parseErrorBody(response.body)
  const row = hubspotErrorTable.find((entry) => entry.matches(response.status, body))
  return row ? row.error(response, body, context) : classifyHttpStatus(response, context.now)
}

/** One entry of a 207's `errors[]`, as the failure of the input it names. */
export function classifyBatchItemError(entry: HubSpotErrorBody, context: ErrorContext, status: number): DeliveryError {
  switch (entry.category) {
    case 'VALIDATION_ERROR':
      return classifyValidation(entry, context, status)
    case 'CONFLICT':
      return new DeliveryError(
        'retryable',
        'HubSpot reported that the contact already exists (CONFLICT), most likely created at the same moment by another call; the upsert is repeated and then updates it.',
        { status, vendorCode: 'CONFLICT' },
      )
    default:
      // Not documented for upserts: retried rather than dropped, with HubSpot's words for whoever reads the log.
      return new DeliveryError(
        'retryable',
        `HubSpot could not upsert this contact (${entry.category ?? 'unknown error'}); will retry.${said(entry.message)}`,
        { status, ...(entry.category && { vendorCode: entry.category }) },
      )
  }
}

/** Anything a call threw, as the `DeliveryError` the connector contract allows. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error
  if (error instanceof HttpClientError) return classifyHttpClientError(error)
  return new DeliveryError('retryable', 'Calling HubSpot failed unexpectedly; will retry.', { cause: error })
}

/** Properties whose values come from settings (for `ErrorContext.settingsProperties`). */
export function settingsPropertyNames(config: {
  doNotContactProperty?: string | undefined
  testLeadProperty?: string | undefined
}): Set<string> {
  const names = new Set<string>(reservedProperties.filter((name) => name !== 'email'))
  if (config.doNotContactProperty) names.add(config.doNotContactProperty)
  if (config.testLeadProperty) names.add(config.testLeadProperty)
  return names
}
