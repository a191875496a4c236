/**
 * Salesforce answers as `DeliveryError`s. REST errors are a JSON array of `{ errorCode, message, fields }`; records
 * in an sObject Collections answer carry the same codes under `statusCode`. One table says what each code means.
 */

import { DeliveryError, type FailureKind } from '../../core/errors.ts'
import { HttpClientError, type HttpResponse } from '../http-client.ts'
import { classifyHttpClientError, classifyHttpStatus, parseRetryAfter, responseExcerpt } from '../http-errors.ts'

export interface SalesforceApiError {
  readonly errorCode: string
  readonly message: string
  readonly fields?: readonly string[]
  /** Only on DUPLICATES_DETECTED. */
  readonly duplicateResult?: {
    readonly duplicateRule?: string
    readonly matchResults?: readonly { readonly matchRecords?: readonly { readonly record?: { Id?: string } }[] }[]
  }
}

/** What the call was, for the codes whose meaning depends on it (NOT_FOUND). */
export type CallContext = 'upsert' | 'collections' | 'query' | 'update' | 'create' | 'describe'

interface Rule {
  readonly kind: FailureKind
  /** How to fix it, appended to what Salesforce said. */
  readonly fix: string
}

const replay = 'then replay the delivery.'

// Where the codes are documented: the REST status codes page, and the StatusCode list of the core data objects
// (the same codes on REST error bodies and on sObject Collections records).
const restErrors = 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm'
const statusCodes =
  'https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm#statuscode'

/**
 * Error codes → what the worker does next, and how the publisher fixes it. Codes not listed keep the kind their
 * HTTP status implies (shared classification); NOT_FOUND depends on the call (see `notFoundRule`).
 */
export const salesforceErrorTable: Readonly<Record<string, Rule & { readonly doc: string }>> = {
  // 401 after one token renewal already failed.
  INVALID_SESSION_ID: {
    kind: 'auth',
    doc: restErrors,
    fix: 'A fresh token was refused too: check that the connected app is still installed and the integration user is active and allowed to use it (Manage Connected Apps → Permitted Users / profiles).',
  },
  // 403: the org's rolling 24 h API allocation, or its cap on concurrent long requests. No Retry-After.
  REQUEST_LIMIT_EXCEEDED: {
    kind: 'rate_limited',
    doc: 'https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm',
    fix: 'Your org has used up its API requests for now; Leadrelay waits and tries again. Setup → Company Information shows the allocation.',
  },
  REQUIRED_FIELD_MISSING: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A field your org requires has no value for this lead: map a value for it in fieldMap (or keep requiredFieldPlaceholder set), ${replay}`,
  },
  FIELD_CUSTOM_VALIDATION_EXCEPTION: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A validation rule in your org refused this lead: relax the rule for the integration user or change the field map, ${replay}`,
  },
  INVALID_FIELD_FOR_INSERT_UPDATE: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A mapped field cannot be written (read-only, formula or system field): remove it from fieldMap, ${replay}`,
  },
  STRING_TOO_LONG: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A value is longer than its field allows: lengthen the field or change the field map, ${replay}`,
  },
  INVALID_EMAIL_ADDRESS: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `Salesforce does not accept this email address; correct the lead or the field map, ${replay}`,
  },
  INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A value is not in its restricted picklist: add it to the picklist (for LeadSource, the value of the leadSource setting) or change leadSource, ${replay}`,
  },
  FIELD_INTEGRITY_EXCEPTION: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A value does not fit its field. With State and Country/Territory Picklists enabled, map the country to CountryCode instead of Country (fieldMap), ${replay}`,
  },
  JSON_PARSER_ERROR: {
    kind: 'rejected',
    doc: restErrors,
    fix: `A mapped value has the wrong type for its field (e.g. text into a checkbox): fix the field map, ${replay}`,
  },
  INVALID_TYPE_ON_FIELD_IN_RECORD: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A mapped value has the wrong type for its field: fix the field map, ${replay}`,
  },
  MALFORMED_ID: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A value meant as a record id is not one: fix the field map, ${replay}`,
  },
  MALFORMED_QUERY: {
    kind: 'rejected',
    doc: restErrors,
    fix: `Salesforce could not parse the lookup by email for this lead (please report this to Leadrelay), ${replay}`,
  },
  DUPLICATE_VALUE: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `A unique field already holds this value on another record: merge the records or drop Unique from the field, ${replay}`,
  },
  // sObject Collections: the external id matches several records (the single upsert answers 300 instead).
  DUPLICATE_EXTERNAL_ID: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `Several Leads carry this Leadrelay id: merge them and tick Unique on the external id field, ${replay}`,
  },
  DUPLICATES_DETECTED: {
    kind: 'rejected',
    doc: 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_duplicaterules.htm',
    fix: `A duplicate rule blocked the save because the lead matches an existing record. Exclude the integration user from the rule, or set the rule's action to Allow (with an alert) and set allowSaveOnDuplicate: true, ${replay}`,
  },
  CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: {
    kind: 'rejected',
    doc: statusCodes,
    fix: `An Apex trigger, flow or process failed while saving the lead (Salesforce's message names it): fix it, ${replay}`,
  },
  CANNOT_UPDATE_CONVERTED_LEAD: {
    kind: 'rejected',
    doc: statusCodes,
    fix: 'The Lead was converted into a Contact, and Salesforce does not allow converted Leads to be updated. Nothing to fix: the customer is already with sales.',
  },
  // Record lock contention (another transaction holds the row): transient.
  UNABLE_TO_LOCK_ROW: {
    kind: 'retryable',
    doc: statusCodes,
    fix: 'Another process held the record; Leadrelay tries again.',
  },
  SERVER_UNAVAILABLE: {
    kind: 'retryable',
    doc: restErrors,
    fix: 'Salesforce is temporarily unavailable; Leadrelay tries again.',
  },
  // Schema and permission problems: every lead would fail the same way, so the destination pauses until fixed.
  INVALID_FIELD: {
    kind: 'misconfigured',
    doc: statusCodes,
    fix: 'A field in the field map (or externalIdField / sourceField) does not exist on Lead, or the integration user cannot see it. Create the field, or grant the user read and edit access to it (field-level security in its permission set), or remove it from fieldMap.',
  },
  INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY: {
    kind: 'misconfigured',
    doc: statusCodes,
    fix: 'The integration user may not reference a record the lead points to (usually the owner set by an assignment rule, a queue, or a campaign). Grant the user access to it, e.g. membership of the owning queue, or set assignmentRule.',
  },
  INSUFFICIENT_ACCESS_OR_READONLY: {
    kind: 'misconfigured',
    doc: statusCodes,
    fix: 'The integration user may not create or edit Leads: grant Read, Create and Edit on Lead in its permission set.',
  },
  API_DISABLED_FOR_ORG: {
    kind: 'misconfigured',
    doc: statusCodes,
    fix: 'The REST API is not available: the org edition must include API access and the integration user needs the "API Enabled" permission. Or use mode web-to-lead.',
  },
  API_CURRENTLY_DISABLED: {
    kind: 'misconfigured',
    doc: statusCodes,
    fix: 'API access is turned off for the integration user: grant it the "API Enabled" permission.',
  },
}

/** How long to wait on REQUEST_LIMIT_EXCEEDED, which never carries Retry-After. */
export const dailyLimitWaitMs = 60 * 60_000
export const concurrencyLimitWaitMs = 60_000

/** The JSON body, or undefined. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A REST error body (`errorCode`) or a record's `errors` (`statusCode`) as one shape. */
export function readApiErrors(value: unknown): SalesforceApiError[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((entry): SalesforceApiError[] => {
    if (typeof entry !== 'object' || entry === null) return []
    const record = entry as Record<string, unknown>
    const code = record.errorCode ?? record.statusCode
    if (typeof code !== 'string') return []
    return [
      {
        errorCode: code,
        message: typeof record.message === 'string' ? record.message : '',
        ...(Array.isArray(record.fields) && { fields: record.fields.filter((f) => typeof f === 'string') }),
        ...(typeof record.duplicateResult === 'object' &&
          record.duplicateResult !== null && {
            duplicateResult: record.duplicateResult as SalesforceApiError['duplicateResult'],
          }),
      },
    ]
  })
}

/** Salesforce's own words, masked like any response excerpt: messages can quote the values we sent. */
function quote(text: string): string {
  return responseExcerpt({ status: 0, headers: {}, body: text, truncated: false })
}

function describeError(error: SalesforceApiError): string {
  const said = quote(error.message)
  const fields = error.fields && error.fields.length > 0 ? ` [fields: ${error.fields.join(', ')}]` : ''
  return `${error.errorCode}${said ? `: "${said}"` : ''}${fields}`
}

function duplicateDetail(error: SalesforceApiError): string {
  const result = error.duplicateResult
  if (!result) return ''
  const ids = (result.matchResults ?? [])
    .flatMap((match) => match.matchRecords ?? [])
    .map((match) => match.record?.Id)
    .filter((id): id is string => typeof id === 'string')
  const rule = result.duplicateRule ? ` rule ${result.duplicateRule}` : ''
  return ids.length > 0 ? ` (${rule.trim() || 'duplicate rule'}; existing record ${ids.slice(0, 3).join(', ')})` : ''
}

/** `api-usage=used/limit` from Sforce-Limit-Info, sent on every REST answer. */
export function apiUsage(headers: Readonly<Record<string, string>>): { used: number; limit: number } | undefined {
  const match = /api-usage=(\d+)\/(\d+)/.exec(headers['sforce-limit-info'] ?? '')
  return match ? { used: Number(match[1]), limit: Number(match[2]) } : undefined
}

function notFoundRule(context: CallContext, externalIdField: string): Rule {
  switch (context) {
    case 'upsert':
    case 'collections':
      return {
        kind: 'misconfigured',
        fix: `The external id field ${externalIdField} does not exist on Lead or the integration user cannot access it. Create a Text(64) field with API name ${externalIdField}, tick External ID and Unique, and grant the user edit access to it; or set matchBy: "email".`,
      }
    case 'update':
      // The record found by email was deleted or merged since: the next attempt looks it up again.
      return { kind: 'retryable', fix: 'The Lead found by email is gone (deleted or merged); Leadrelay looks again.' }
    default:
      return {
        kind: 'misconfigured',
        fix: 'Salesforce does not know this address: check apiVersion (the org may not offer it) and that the integration user can access Leads.',
      }
  }
}

const genericFixes: Readonly<Record<FailureKind, string>> = {
  rejected: `Fix the lead or the field map, ${replay}`,
  retryable: 'Leadrelay tries again.',
  rate_limited: 'Leadrelay waits and tries again.',
  auth: "Check the connected app, the integration user's permissions and the secrets.",
  misconfigured: "Check the destination settings and the integration user's permissions.",
  gone: 'Deliveries to it stop; check loginUrl.',
}

/**
 * The error one Salesforce error (or the first of several) calls for. A code the table does not know keeps the
 * kind its HTTP status implies (`fallback`), or is rejected when there is none (a record in a batch).
 */
export function salesforceError(
  errors: readonly SalesforceApiError[],
  options: {
    status?: number
    context: CallContext
    externalIdField: string
    retryAfterMs?: number
    fallback?: DeliveryError
  },
): DeliveryError {
  const first = errors[0]
  const code = first?.errorCode ?? 'UNKNOWN'
  const fallbackKind = options.fallback?.kind ?? 'rejected'
  const rule =
    code === 'NOT_FOUND'
      ? notFoundRule(options.context, options.externalIdField)
      : ((Object.hasOwn(salesforceErrorTable, code) ? salesforceErrorTable[code] : undefined) ?? {
          kind: fallbackKind,
          fix: genericFixes[fallbackKind],
        })
  const said = errors.map(describeError).join('; ')
  const extra = first?.errorCode === 'DUPLICATES_DETECTED' ? duplicateDetail(first) : ''
  const what = rule.kind === 'rejected' ? 'Salesforce rejected the lead' : 'Salesforce refused the request'
  const status = options.status === undefined ? '' : ` (HTTP ${options.status})`
  const retryAfterMs = options.retryAfterMs ?? options.fallback?.details.retryAfterMs
  return new DeliveryError(rule.kind, `${what}${status}: ${said}${extra}. ${rule.fix}`, {
    ...(options.status !== undefined && { status: options.status }),
    vendorCode: code,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  })
}

/**
 * Undefined for a 2xx; otherwise the `DeliveryError` the answer calls for. 300 (an external id matching several
 * records) is handled here too, since the single upsert is the only call that answers it.
 */
export function classifyApiResponse(
  response: HttpResponse,
  options: { now: number; context: CallContext; externalIdField: string },
): DeliveryError | undefined {
  const { status } = response
  if (status >= 200 && status <= 299) return undefined
  if (status === 300) {
    return new DeliveryError(
      'rejected',
      `Salesforce found several Leads with this lead's ${options.externalIdField} (HTTP 300). Merge them and tick Unique on ${options.externalIdField}, ${replay}`,
      { status, vendorCode: 'MULTIPLE_CHOICES' },
    )
  }
  const byStatus = classifyHttpStatus(response, options.now)
  const errors = readApiErrors(parseJson(response.body))
  if (errors.length === 0) return byStatus
  let retryAfterMs: number | undefined
  if (errors[0]?.errorCode === 'REQUEST_LIMIT_EXCEEDED') {
    // No Retry-After here: an exhausted daily quota frees up slowly (rolling 24 h), the concurrency cap in seconds.
    const usage = apiUsage(response.headers)
    retryAfterMs =
      parseRetryAfter(response.headers['retry-after'], options.now) ??
      (usage && usage.used >= usage.limit ? dailyLimitWaitMs : concurrencyLimitWaitMs)
  }
  return salesforceError(errors, {
    ...options,
    status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(byStatus && { fallback: byStatus }),
  })
}

interface TokenRule {
  readonly kind: FailureKind
  readonly fix: string
}

/** OAuth errors from /services/oauth2/token. https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm */
export const tokenErrorTable: Readonly<Record<string, TokenRule>> = {
  invalid_client_id: {
    kind: 'auth',
    fix: 'The consumer key is not known to this org: copy it again from the connected app (Manage Consumer Details) into the clientId secret, and check loginUrl names the right org.',
  },
  invalid_client: {
    kind: 'auth',
    fix: 'The consumer key or secret is wrong: copy both again from the connected app (Manage Consumer Details) into the clientId and clientSecret secrets.',
  },
  invalid_grant: {
    kind: 'auth',
    fix: 'Salesforce refused the grant. Client credentials: enable "Client Credentials Flow" on the connected app and choose a Run As user, and use your My Domain URL as loginUrl. JWT: upload the certificate of the private key to the app, set "Admin approved users are pre-authorized" and assign the integration user (username) to it via profile or permission set.',
  },
  unauthorized_client: {
    kind: 'auth',
    fix: 'The connected app may not use this flow: enable it in the app\'s OAuth settings ("Enable Client Credentials Flow" or "Use digital signatures").',
  },
  inactive_user: { kind: 'auth', fix: 'The integration user is deactivated: reactivate it or choose another.' },
  inactive_org: { kind: 'auth', fix: 'The org is locked, deleted or suspended.' },
  unsupported_grant_type: {
    kind: 'misconfigured',
    fix: 'This Salesforce endpoint does not offer the chosen flow: check loginUrl (your My Domain) and authFlow.',
  },
  invalid_request: {
    kind: 'misconfigured',
    fix: 'Salesforce found the token request malformed: check loginUrl and authFlow.',
  },
}

/** Undefined for a 2xx; otherwise what a token endpoint answer means. */
export function classifyTokenResponse(response: HttpResponse, now: number): DeliveryError | undefined {
  const { status } = response
  if (status >= 200 && status <= 299) return undefined
  const body = parseJson(response.body) as { error?: unknown; error_description?: unknown } | undefined
  const code = typeof body?.error === 'string' ? body.error : undefined
  if (code === undefined || status >= 500 || status === 429) {
    const byStatus = classifyHttpStatus(response, now)!
    if (byStatus.kind === 'rejected' || byStatus.kind === 'gone') {
      return new DeliveryError(
        'misconfigured',
        `The token endpoint answered HTTP ${status} without an OAuth error: check that loginUrl is your Salesforce login address (e.g. https://acme.my.salesforce.com).`,
        { status },
      )
    }
    return byStatus
  }
  // Own entries only: the code comes from Salesforce's answer, and `constructor` must not find Object.prototype's.
  const rule = (Object.hasOwn(tokenErrorTable, code) ? tokenErrorTable[code] : undefined) ?? {
    kind: 'auth' as const,
    fix: 'Check the connected app and the secrets.',
  }
  const description = typeof body?.error_description === 'string' ? quote(body.error_description) : ''
  return new DeliveryError(
    rule.kind,
    `Salesforce refused the token request: ${code}${description ? ` ("${description}")` : ''}. ${rule.fix}`,
    { status, vendorCode: code },
  )
}

/** Anything a send threw, as the `DeliveryError` the connector contract allows. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error
  if (error instanceof HttpClientError) return classifyHttpClientError(error)
  // A bug of ours, not a verdict on the destination: retry, and keep the cause for the attempt log.
  return new DeliveryError('retryable', 'Talking to Salesforce failed unexpectedly; will retry.', { cause: error })
}
