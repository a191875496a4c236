/**
 * What Dataverse and Microsoft Entra ID answers mean for a delivery: two classification tables, one row per known
 * answer, matched top to bottom. Rows match on the HTTP status plus the vendor code or message (codes first: message
 * texts are not contractual). Anything no row matches falls back to the shared `classifyHttpStatus`.
 */

import { DeliveryError, type FailureKind } from '../../core/errors.ts'
import { HttpClientError, type HttpResponse } from '../http-client.ts'
import { classifyHttpClientError, classifyHttpStatus, parseRetryAfter, responseExcerpt } from '../http-errors.ts'

/** A Dataverse answer the connector acts on itself instead of failing the delivery. */
export type DataverseSignal =
  /** 401: refresh the token once and retry; a second 401 is an `auth` failure. */
  | 'unauthorized'
  /** 412 on a create-only write (`If-None-Match: *`): the record exists, update it instead. */
  | 'exists'
  /** 404 on an update-only write (`If-Match: *`): the record is gone, create it instead. */
  | 'missing'

export interface DataverseErrorRule {
  /** Stable name, used by tests and the docs. */
  readonly id: string
  readonly statuses: readonly number[]
  /** Dataverse error codes (`error.code`, lower-case hex); the row matches when the code or the message does. */
  readonly codes?: readonly string[]
  readonly message?: RegExp
  readonly outcome: FailureKind | DataverseSignal
  /** What happened, in words. */
  readonly what: string
  /** How to fix it. */
  readonly fix: string
}

const appUserHelp =
  'Power Platform admin center → Environments → your environment → Settings → Users + permissions → Application users'

/** Dataverse Web API answers, most specific first. */
export const dataverseErrorTable: readonly DataverseErrorRule[] = [
  // https://learn.microsoft.com/power-platform/admin/manage-application-users
  {
    id: 'not-a-member',
    statuses: [401, 403],
    codes: ['0x80072560'],
    message: /not a member of the organization/i,
    outcome: 'misconfigured',
    what: 'Dataverse knows the app but it has no application user in this environment',
    fix: `Create one: ${appUserHelp} → New app user → pick the app registration (clientId) and the business unit, then assign it a security role that can create, read and write leads.`,
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
  {
    id: 'expired-token',
    statuses: [401],
    outcome: 'unauthorized',
    what: 'Dataverse refused the access token, even a freshly issued one',
    fix: `Check that the app registration (clientId) has an enabled application user in this environment (${appUserHelp}) and that environmentUrl is that environment's URL.`,
  },
  // https://learn.microsoft.com/power-platform/admin/manage-application-users#activate-or-deactivate-an-application-user
  {
    id: 'user-disabled',
    statuses: [403],
    message: /user.*is disabled/i,
    outcome: 'misconfigured',
    what: "The app's application user is disabled in this environment",
    fix: `Activate it: ${appUserHelp} → select the app user → Activate.`,
  },
  // Microsoft's own connector reports this as "SecLib::RetrievePrivilegeForUser failed - no roles are assigned to user".
  // https://learn.microsoft.com/power-platform/admin/security-roles-privileges
  {
    id: 'no-roles',
    statuses: [403],
    codes: ['0x80042f09'],
    message: /no roles are assigned/i,
    outcome: 'misconfigured',
    what: "The app's application user has no security role",
    fix: `Assign one: ${appUserHelp} → select the app user → Edit security roles → a role with Create, Read and Write on Lead (for example Salesperson, or a custom "Leadrelay lead writer" role).`,
  },
  // Microsoft's connector says "User does not have create permissions for the leadsourcecode attribute".
  // https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes (PrivilegeDenied,
  // PrincipalPrivilegeDenied)
  {
    id: 'privilege-denied',
    statuses: [403],
    codes: ['0x80040220', '0x80040231'],
    message: /missing prv|privilege/i,
    outcome: 'misconfigured',
    what: "The app's application user lacks a privilege it needs on the lead table",
    fix: `Give its security role Create, Read and Write on Lead (Business Unit or Organization level): ${appUserHelp} → select the app user → Edit security roles. If a mapped column is secured by field security, add the app user to a field security profile that may create and update it.`,
  },
  {
    id: 'forbidden',
    statuses: [403],
    outcome: 'misconfigured',
    what: 'Dataverse refused the request',
    fix: `Check the application user's security roles (${appUserHelp}); it needs Create, Read and Write on Lead.`,
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/api-limits (service protection limits)
  {
    id: 'rate-limit-requests',
    statuses: [429],
    codes: ['0x80072322'],
    outcome: 'rate_limited',
    what: 'Dataverse is throttling us: more than 6,000 requests in 5 minutes for this application user',
    fix: 'Leadrelay waits as long as Dataverse asks. If it happens often, lower the destination rate limit (limits.ratePerSecond).',
  },
  {
    id: 'rate-limit-time',
    statuses: [429],
    codes: ['0x80072321'],
    outcome: 'rate_limited',
    what: 'Dataverse is throttling us: more than 20 minutes of combined execution time in 5 minutes',
    fix: 'Leadrelay waits as long as Dataverse asks. Slow plug-ins or flows on lead create or update cost execution time; check them.',
  },
  {
    id: 'rate-limit-concurrency',
    statuses: [429],
    codes: ['0x80072326'],
    outcome: 'rate_limited',
    what: 'Dataverse is throttling us: more than 52 concurrent requests for this application user',
    fix: 'Leadrelay waits as long as Dataverse asks. Lower the destination concurrency (limits.maxConcurrency) if other integrations share this app user.',
  },
  {
    id: 'rate-limit',
    statuses: [429],
    outcome: 'rate_limited',
    what: 'Dataverse is throttling us',
    fix: 'Leadrelay waits as long as Dataverse asks.',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
  // (If-None-Match: * on an upsert: "A record with matching key values already exists.")
  {
    id: 'key-exists',
    statuses: [412],
    codes: ['0x80060892', '0x80040237'],
    message: /matching key values already exists/i,
    outcome: 'exists',
    what: 'A lead with this key already exists',
    fix: 'Leadrelay updates it instead.',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/manage-duplicate-detection-create-update
  {
    id: 'duplicate-detected',
    statuses: [400, 412, 500],
    codes: ['0x80040333'],
    message: /duplicate of the current record already exists/i,
    outcome: 'rejected',
    what: 'A duplicate detection rule in Dataverse blocked the lead',
    fix: 'Leadrelay does not ask for duplicate detection; a plug-in or custom rule turned it on. Relax the rule for the application user, or use matchBy "alternateKey", then replay the delivery.',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api
  // (If-Match: * on a missing row: 404 "... Does Not Exist"; RecordNotFoundByEntityKey for alternate keys)
  {
    id: 'record-missing',
    statuses: [404],
    codes: ['0x80040217', '0x80060891'],
    message: /does not exist/i,
    outcome: 'missing',
    what: 'The lead to update no longer exists',
    fix: 'Leadrelay creates it again.',
  },
  {
    id: 'resource-not-found',
    statuses: [404],
    outcome: 'misconfigured',
    what: 'The Dataverse Web API has no such resource',
    fix: 'Check that environmentUrl is the Dataverse environment URL (like https://contoso.crm4.dynamics.com) and that the environment has the standard lead table (Dynamics 365 Sales or Marketing installed).',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
  // (0x80048d19 "Error identified in Payload provided by the user": an unknown property or a value of the wrong type)
  {
    id: 'unknown-column',
    statuses: [400],
    codes: ['0x80048d19', '0x80060888'],
    message: /does not exist on type|could not find a property named|undeclared property/i,
    outcome: 'misconfigured',
    what: 'A column in the field map does not exist on the lead table, or got a value of the wrong type',
    fix: 'Fix the destination fieldMap (change the entry under fields, or list the column under omit), or create the column in Dataverse; in alternateKey mode also check alternateKeyColumn.',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/define-alternate-keys-entity
  {
    id: 'bad-request-url',
    statuses: [400],
    codes: ['0x8006088a'],
    message: /error in query syntax/i,
    outcome: 'misconfigured',
    what: 'Dataverse could not read the request URL',
    fix: 'In alternateKey mode, alternateKeyColumn must be a column with an Active alternate key on the lead table (Tables → Lead → Keys); an unknown key reads as a syntax error.',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes (PicklistValueOutOfRange)
  {
    id: 'invalid-option',
    statuses: [400],
    codes: ['0x8004431a'],
    message: /outside the valid range|picklist value is out of the range/i,
    outcome: 'misconfigured',
    what: 'A choice column got a value that is not one of its options',
    fix: 'Set leadSourceCode to an option value of your lead table (Tables → Lead → Columns → Lead Source → Choices), or to null to leave it alone; check choice columns in the fieldMap too.',
  },
  {
    id: 'value-too-long',
    statuses: [400],
    codes: ['0x80044331'],
    message: /exceeded the maximum allowed length/i,
    outcome: 'rejected',
    what: "A value of this lead is longer than its column's maximum length",
    fix: 'Raise the column maximum length in Dataverse, or shorten the value with a fieldMap template, then replay the delivery.',
  },
  {
    id: 'invalid-lead',
    statuses: [400],
    outcome: 'rejected',
    what: 'Dataverse rejected the lead as invalid',
    fix: 'Check the message below and the field map (a business rule or plug-in may require a column), then replay the delivery.',
  },
  {
    id: 'too-large',
    statuses: [413],
    outcome: 'rejected',
    what: 'The request was larger than Dataverse accepts',
    fix: 'Shorten long mapped values (description) in the fieldMap, then replay the delivery.',
  },
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
  {
    id: 'server-error',
    statuses: [500, 502, 503, 504],
    outcome: 'retryable',
    what: 'Dataverse failed',
    fix: 'Leadrelay retries later.',
  },
]

export interface DataverseErrorBody {
  readonly code: string
  readonly message: string
}

/** `{"error":{"code":"0x…","message":"…"}}`, when the body has that shape. */
export function readDataverseError(response: HttpResponse): DataverseErrorBody | undefined {
  try {
    const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } }
    const error = parsed?.error
    if (!error || typeof error !== 'object') return undefined
    return {
      code: typeof error.code === 'string' ? error.code.toLowerCase() : '',
      message: typeof error.message === 'string' ? error.message : '',
    }
  } catch {
    return undefined
  }
}

export function findDataverseRule(response: HttpResponse): DataverseErrorRule | undefined {
  const error = readDataverseError(response)
  return dataverseErrorTable.find((rule) => {
    if (!rule.statuses.includes(response.status)) return false
    if (!rule.codes && !rule.message) return true
    return (
      (error !== undefined && error.code !== '' && rule.codes?.includes(error.code) === true) ||
      (error !== undefined && rule.message?.test(error.message) === true)
    )
  })
}

/**
 * The vendor's message, masked like any response excerpt (no emails or phone numbers). Payload errors wrap the
 * useful sentence in a help-link preamble: only the innermost exception is kept.
 */
function vendorSays(response: HttpResponse, error: DataverseErrorBody | undefined, who: string): string {
  const full = error?.message ?? response.body
  const text = (full.split(/InnerException\s*:\s*/).at(-1) ?? full).replace(/^[\w.]+Exception:\s*/, '')
  const excerpt = responseExcerpt({ ...response, body: text })
  return excerpt ? ` ${who} said: "${excerpt}"` : ''
}

function failure(
  kind: FailureKind,
  response: HttpResponse,
  now: number,
  text: { what: string; fix: string; vendorCode?: string; who: string; said?: DataverseErrorBody },
): DeliveryError {
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], now)
  const code = text.vendorCode ? `, ${text.vendorCode}` : ''
  return new DeliveryError(
    kind,
    `${text.what} (HTTP ${response.status}${code}). ${text.fix}${vendorSays(response, text.said, text.who)}`,
    {
      status: response.status,
      ...(text.vendorCode && { vendorCode: text.vendorCode }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    },
  )
}

export type DataverseVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly signal: DataverseSignal; readonly rule: DataverseErrorRule }
  | { readonly ok: false; readonly error: DeliveryError }

/** What a Dataverse answer means: fine (2xx), a signal the connector handles itself, or a failure. */
export function classifyDataverse(response: HttpResponse, now: number): DataverseVerdict {
  if (response.status >= 200 && response.status <= 299) return { ok: true }
  const rule = findDataverseRule(response)
  const said = readDataverseError(response)
  const vendorCode = said?.code || undefined
  if (!rule) {
    const fallback = classifyHttpStatus(response, now) ?? new DeliveryError('retryable', 'Unexpected answer')
    return {
      ok: false,
      error: new DeliveryError(fallback.kind, `Dataverse: ${fallback.message}`, {
        ...fallback.details,
        ...(vendorCode && { vendorCode }),
      }),
    }
  }
  if (rule.outcome === 'unauthorized' || rule.outcome === 'exists' || rule.outcome === 'missing') {
    return { ok: false, signal: rule.outcome, rule }
  }
  return {
    ok: false,
    error: failure(rule.outcome, response, now, {
      what: rule.what,
      fix: rule.fix,
      who: 'Dataverse',
      ...(vendorCode && { vendorCode }),
      ...(said && { said }),
    }),
  }
}

/** A signal row turned into a failure: a 401 after the refresh, or an exists/missing the flow cannot absorb. */
export function signalFailure(
  kind: FailureKind,
  rule: DataverseErrorRule,
  response: HttpResponse,
  now: number,
): DeliveryError {
  const said = readDataverseError(response)
  return failure(kind, response, now, {
    what: rule.what,
    fix: rule.fix,
    who: 'Dataverse',
    ...(said?.code && { vendorCode: said.code }),
    ...(said && { said }),
  })
}

export interface EntraErrorRule {
  readonly id: string
  /** AADSTS numbers (`error_codes` in the answer, or the AADSTS prefix of `error_description`). */
  readonly codes?: readonly number[]
  /** OAuth `error` values, for answers whose AADSTS number no row knows. */
  readonly errors?: readonly string[]
  readonly outcome: FailureKind
  readonly what: string
  readonly fix: string
  /** The message Microsoft's own Dynamics lead connector shows for the same cause, if any. */
  readonly microsoftSays?: string
}

const secretHelp = 'App registrations → your app → Certificates & secrets → New client secret'

/**
 * Token endpoint answers. Codes from https://learn.microsoft.com/entra/identity-platform/reference-error-codes;
 * `microsoftSays` quotes the lead-management FAQ (azure-docs `articles/marketplace/lead-management-faq.md`).
 */
export const entraErrorTable: readonly EntraErrorRule[] = [
  {
    id: 'invalid-secret',
    codes: [7000215],
    outcome: 'auth',
    what: 'Microsoft Entra ID rejected the client secret',
    fix: `Create a new client secret (${secretHelp}) and set this destination's clientSecret to its Value, not its Secret ID.`,
    microsoftSays: 'Error validating credentials.: Invalid client secret is provided.',
  },
  {
    id: 'expired-secret',
    codes: [7000222],
    outcome: 'auth',
    what: 'The client secret has expired',
    fix: `Create a new client secret (${secretHelp}), set this destination's clientSecret to its Value, and note the new expiry date.`,
  },
  {
    id: 'app-not-found',
    codes: [700016],
    outcome: 'auth',
    what: 'No app with this clientId exists in the tenant',
    fix: 'Set clientId to the Application (client) ID shown on the app registration Overview (not its Object ID), and tenantId to the Directory (tenant) ID of the tenant the app is registered in.',
    microsoftSays: 'Application with identifier was not found in the directory',
  },
  {
    id: 'tenant-not-found',
    codes: [90002],
    outcome: 'auth',
    what: 'Microsoft Entra ID found no tenant with this tenantId',
    fix: 'Set tenantId to the Directory (tenant) ID from Microsoft Entra admin center → Overview. A tenant without any active subscription is reported the same way.',
    microsoftSays: 'Tenant not found. This instance may happen if there are no active subscriptions for the tenant.',
  },
  {
    id: 'tenant-invalid',
    codes: [900023, 90013],
    outcome: 'auth',
    what: 'tenantId is neither a tenant GUID nor a domain of a tenant',
    fix: 'Set tenantId to the Directory (tenant) ID, a GUID from Microsoft Entra admin center → Overview.',
    microsoftSays: 'Requested tenant identifier is not valid and not valid external domain format',
  },
  {
    id: 'environment-not-in-tenant',
    codes: [500011, 70011],
    errors: ['invalid_resource', 'invalid_scope'],
    outcome: 'misconfigured',
    what: 'environmentUrl is not a Dataverse environment Microsoft Entra ID can issue tokens for in this tenant',
    fix: 'Copy the Environment URL from Power Platform admin center → Environments → your environment (like https://contoso.crm4.dynamics.com); the environment must belong to the same tenant as the app.',
  },
  {
    id: 'blocked-by-policy',
    codes: [53003, 53000, 50105],
    outcome: 'auth',
    what: "A Conditional Access policy or assignment requirement blocked the app's sign-in",
    fix: "Exclude the app's service principal from the policy, or allow the addresses Leadrelay connects from.",
  },
  {
    id: 'app-disabled',
    codes: [7000112, 700025],
    outcome: 'auth',
    what: 'The app is disabled or not usable with a client secret in this tenant',
    fix: 'Enable the enterprise application (Enterprise applications → your app → Properties → Enabled for users to sign-in) and make sure it is a confidential client.',
  },
  {
    id: 'invalid-client',
    errors: ['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_request'],
    outcome: 'auth',
    what: 'Microsoft Entra ID refused to sign the app in',
    fix: 'Check tenantId, clientId and clientSecret against the app registration, then retry.',
  },
  {
    id: 'entra-unavailable',
    errors: ['temporarily_unavailable', 'server_error'],
    outcome: 'retryable',
    what: 'Microsoft Entra ID is temporarily unavailable',
    fix: 'Leadrelay retries later.',
  },
]

export interface EntraErrorBody {
  readonly error: string
  readonly description: string
  readonly codes: readonly number[]
}

export function readEntraError(response: HttpResponse): EntraErrorBody | undefined {
  try {
    const parsed = JSON.parse(response.body) as { error?: unknown; error_description?: unknown; error_codes?: unknown }
    if (typeof parsed?.error !== 'string') return undefined
    const description = typeof parsed.error_description === 'string' ? parsed.error_description : ''
    const listed = Array.isArray(parsed.error_codes) ? parsed.error_codes.filter((c) => typeof c === 'number') : []
    const fromText = /AADSTS(\d+)/.exec(description)?.[1]
    return {
      error: parsed.error,
      description,
      codes: listed.length > 0 ? listed : fromText ? [Number(fromText)] : [],
    }
  } catch {
    return undefined
  }
}

export function findEntraRule(body: EntraErrorBody): EntraErrorRule | undefined {
  return (
    entraErrorTable.find((rule) => rule.codes?.some((code) => body.codes.includes(code))) ??
    entraErrorTable.find((rule) => rule.errors?.includes(body.error))
  )
}

/** The first sentence of `error_description`, without the trace and correlation ids that follow it. */
function entraSays(body: EntraErrorBody, response: HttpResponse): string {
  const first = body.description.split(/\r?\n| Trace ID:/)[0] ?? ''
  const excerpt = responseExcerpt({ ...response, body: first })
  return excerpt ? ` Microsoft Entra ID said: "${excerpt}"` : ''
}

/** What a non-2xx answer of the token endpoint means. */
export function classifyTokenAnswer(response: HttpResponse, now: number): DeliveryError {
  if (response.status === 429 || response.status >= 500) {
    const shared = classifyHttpStatus(response, now)!
    return new DeliveryError(shared.kind, `Microsoft Entra ID token endpoint: ${shared.message}`, shared.details)
  }
  const body = readEntraError(response)
  if (!body) {
    return new DeliveryError(
      'misconfigured',
      `The token endpoint answered HTTP ${response.status} without a Microsoft Entra ID error. Check authorityHost (normally https://login.microsoftonline.com) and tenantId.`,
      { status: response.status },
    )
  }
  const rule = findEntraRule(body) ?? {
    outcome: 'auth' as const,
    what: 'Microsoft Entra ID refused to issue a token',
    fix: 'Check tenantId, clientId and clientSecret against the app registration.',
  }
  const aadsts = body.codes[0] !== undefined ? `AADSTS${body.codes[0]}` : undefined
  return new DeliveryError(
    rule.outcome,
    `${rule.what} (HTTP ${response.status}${aadsts ? `, ${aadsts}` : ''}). ${rule.fix}${entraSays(body, response)}`,
    { status: response.status, ...(aadsts && { vendorCode: aadsts }) },
  )
}

/** Anything a send threw, as the `DeliveryError` the connector contract allows. */
export function toDeliveryError(error: unknown, target: 'Dataverse' | 'Microsoft Entra ID'): DeliveryError {
  if (error instanceof DeliveryError) return error
  if (error instanceof HttpClientError) {
    const shared = classifyHttpClientError(error)
    const hint =
      error.kind === 'network' && target === 'Dataverse'
        ? ' If this persists, check environmentUrl (Power Platform admin center → Environments → Environment URL).'
        : error.kind === 'network'
          ? ' If this persists, check authorityHost.'
          : ''
    return new DeliveryError(shared.kind, `${target}: ${shared.message}${hint}`, shared.details)
  }
  // A bug of ours, not a verdict on the destination: retry, and keep the cause for the attempt log.
  return new DeliveryError('retryable', `Calling ${target} failed unexpectedly; will retry.`, { cause: error })
}
