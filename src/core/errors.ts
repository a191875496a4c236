/** The two error families: `AppError` (API, CLI, config; one catalogue of stable codes) and `DeliveryError`. */

/** Every API error code, its HTTP status and a human title. `docs/errors.md` lists exactly these (tested). */
export const errorCatalogue = {
  INVALID_JSON: { status: 400, title: 'Request body is not valid JSON' },
  LEAD_INVALID: { status: 400, title: 'Lead failed validation' },
  LEAD_EMPTY: { status: 400, title: 'Lead carries neither a lead source nor customer info' },
  VALIDATION_FAILED: { status: 400, title: 'Request failed validation' },
  BODY_TOO_DEEP: { status: 400, title: 'Request body is nested too deeply' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Idempotency key is malformed' },
  UNAUTHORIZED: { status: 401, title: 'Missing or unknown API key' },
  INGEST_TOKEN_UNKNOWN: { status: 401, title: 'Unknown ingest token' },
  SAAS_WEBHOOK_TOKEN_INVALID: { status: 401, title: 'The SaaS webhook call carries no valid Microsoft Entra token' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  SAAS_WEBHOOK_UNKNOWN: { status: 404, title: 'No SaaS webhook relay at this URL' },
  FORBIDDEN: { status: 403, title: 'The API key lacks the scope this call needs' },
  CROSS_SITE_REQUEST: { status: 403, title: 'A signed-in change must come from the portal itself' },
  SIGN_IN_REFUSED: { status: 403, title: 'This sign-in is not accepted' },
  LEAD_NOT_FOUND: { status: 404, title: 'No such lead' },
  OFFER_NOT_FOUND: { status: 404, title: 'No such offer' },
  DESTINATION_NOT_FOUND: { status: 404, title: 'No such destination' },
  DELIVERY_NOT_FOUND: { status: 404, title: 'No such delivery' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'Idempotency key was used for a different request' },
  CONFLICT: { status: 409, title: 'Conflicts with the current state' },
  OFFER_NOT_ROUTED: { status: 409, title: 'The offer has no destinations' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'A path parameter is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Too many failed authentications from this address' },
  INTERNAL: { status: 500, title: 'Internal error' },
  NOT_READY: { status: 503, title: 'Service is not ready' },
  CONFIG_INVALID: { status: 500, title: 'Configuration is invalid' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof errorCatalogue

/** An error meant for the API or CLI user: a stable code, a detail sentence and, where known, the field at fault. */
export class AppError extends Error {
  override readonly name = 'AppError'
  readonly code: ErrorCode
  readonly field: string | undefined
  readonly extra: Readonly<Record<string, unknown>> | undefined
  constructor(code: ErrorCode, detail: string, options: { field?: string; extra?: Record<string, unknown> } = {}) {
    super(detail)
    this.code = code
    this.field = options.field
    this.extra = options.extra
  }
  get status(): number {
    return errorCatalogue[this.code].status
  }
}

/** What the delivery worker does next with a failed attempt. */
export const failureKinds = ['retryable', 'rate_limited', 'auth', 'rejected', 'misconfigured', 'gone'] as const
export type FailureKind = (typeof failureKinds)[number]

export interface FailureDetails {
  /** HTTP status the destination answered with, if any. */
  readonly status?: number
  /** The destination's own error code (e.g. Salesforce `errorCode`, Marketo `601`). */
  readonly vendorCode?: string
  /** How long the destination asked us to wait, already parsed from `Retry-After` or a vendor field. */
  readonly retryAfterMs?: number
  readonly cause?: unknown
}

/** Thrown by connectors; its `kind` decides the delivery's next state. Never wraps customer data in `message`. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError'
  readonly kind: FailureKind
  readonly details: FailureDetails
  constructor(kind: FailureKind, message: string, details: FailureDetails = {}) {
    super(message, { cause: details.cause })
    this.kind = kind
    this.details = details
  }
}
