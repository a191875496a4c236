/**
 * The portal's only way to the server: the public REST API with the tenant's API key as a bearer token. Errors are
 * RFC 9457 problems (`code`, `detail`, `field`) and surface as `ApiError`.
 */

import type {
  AlertChannel,
  AlertChannelInput,
  AlertChannelKind,
  AlertRule,
  AlertRuleInput,
  AlertSend,
  AlertTestResult,
  CreatedAlertChannel,
  DigestSettings,
} from './alert-types.ts'
import type { ErasureResult, RetentionSettings, RetentionValues } from './privacy-types.ts'
import type {
  Answer,
  ApiKey,
  ApiKeyScope,
  ApiKeyWithSecret,
  AuditEntry,
  AuthConfig,
  CheckResult,
  CreatedInvitation,
  Delivery,
  Destination,
  DestinationAttemptLog,
  DestinationInput,
  DestinationKind,
  DestinationPatch,
  DestinationWithSecrets,
  FunnelReport,
  IngestToken,
  LeadDetail,
  LeadSubscription,
  ListedTenant,
  NotificationContacts,
  Offer,
  OfferInput,
  Page,
  Person,
  PublishResult,
  QueryOf,
  ReplayResult,
  RequestBody,
  Role,
  RotatedIngestToken,
  SavedOffer,
  Schemas,
  SubscriptionPollSummary,
  SubscriptionSource,
  SubscriptionSourceInput,
  Tenant,
  TenantSignIn,
} from './types.ts'

/** The header an operator's admin key names a tenant with. */
export const tenantHeader = 'Leadrelay-Tenant'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined

  constructor(status: number, code: string, detail: string, field?: string) {
    super(detail)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }
}

/** True when the key is an operator's admin key that must name a tenant (the API says so on `GET /v1/tenant`). */
export function needsTenant(error: unknown): boolean {
  return error instanceof ApiError && error.field === tenantHeader
}

export type QueryValue = string | number | boolean | undefined | null
export type Query = Readonly<Record<string, QueryValue>>

/** `?a=1&b=x` from the values that are set, in the order given; '' for none. */
export function queryString(query: Query | object | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query) as [string, QueryValue][]) {
    if (value === undefined || value === null || value === '') continue
    params.append(name, String(value))
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/** A query's `"true" | "false"` parameters as booleans (the query string spells them). */
type WithBooleans<Parameters> = {
  readonly [Name in keyof Parameters]: Exclude<Parameters[Name], undefined> extends 'true' | 'false'
    ? boolean | undefined
    : Parameters[Name]
}

export type LeadQuery = WithBooleans<QueryOf<'listLeads'>>

/** A page of leads with the number matching the filters (exact up to 10,000; beyond, `totalIsEstimate`). */
export type LeadPage = Schemas['LeadPage']

export type FunnelQuery = QueryOf<'getFunnel'>

export type DeliveryQuery = QueryOf<'listDeliveries'>

/** A page of deliveries with the number matching (exact up to 10,000; beyond, `totalIsEstimate`). */
export type DeliveryPage = Schemas['DeliveryPage']

export type DeliveryTroubleGroup = Schemas['DeliveryTrouble']

/** The delivery made due now, with its destination's state and rate-limit hold (it is sent when that ends). */
export type RetryResult = Answer<'retryDelivery'>

export interface ApiClientOptions {
  /** Absent: the person's session cookie authenticates (sign-in with an identity provider). */
  readonly apiKey?: string | undefined
  /** For an admin key: the tenant to act for. */
  readonly tenant?: string | undefined
  /** Prefix of every path; '' when the portal is served by Leadrelay itself. */
  readonly baseUrl?: string
  readonly fetch?: typeof fetch
}

const id = (value: string) => encodeURIComponent(value)

export function createApiClient(options: ApiClientOptions) {
  const baseUrl = options.baseUrl ?? ''
  const send = options.fetch ?? ((input, init) => fetch(input, init))
  // With a key, no cookie is sent; without one, the session cookie is the credential (same origin only).
  const authorization: Record<string, string> =
    options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }
  const credentials: RequestCredentials = options.apiKey === undefined ? 'same-origin' : 'omit'

  async function request<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...authorization }
    if (options.tenant) headers[tenantHeader] = options.tenant
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await send(`${baseUrl}${path}${queryString(query)}`, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        // The key travels in a header only; never let the browser cache answers carrying customer data.
        cache: 'no-store',
        credentials,
      })
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `Leadrelay could not be reached: ${(error as Error).message}`)
    }
    if (response.status === 204) return undefined as T
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const problem = (parsed ?? {}) as { code?: string; detail?: string; title?: string; field?: string }
      throw new ApiError(
        response.status,
        problem.code ?? 'HTTP_ERROR',
        problem.detail ?? problem.title ?? `The server answered ${response.status}`,
        problem.field,
      )
    }
    return parsed as T
  }

  return {
    getTenant: () => request<Tenant>('GET', '/v1/tenant'),
    /** Every tenant for an operator, oldest first; the caller's own tenant for anyone else. */
    listTenants: () => request<Page<ListedTenant>>('GET', '/v1/tenants'),
    getNotifications: () => request<NotificationContacts>('GET', '/v1/tenant/notifications'),
    putNotifications: (contacts: NotificationContacts) =>
      request<NotificationContacts>('PUT', '/v1/tenant/notifications', undefined, contacts),
    getRetention: () => request<RetentionSettings>('GET', '/v1/tenant/retention'),
    putRetention: (values: RetentionValues) =>
      request<RetentionSettings>('PUT', '/v1/tenant/retention', undefined, values),
    /** Erases the customer's personal data in every offer of the tenant and asks destinations to delete theirs. */
    eraseCustomer: (email: string) => request<ErasureResult>('DELETE', '/v1/customers', { email }),

    listLeads: (query: LeadQuery = {}) => request<LeadPage>('GET', '/v1/leads', { ...query }),
    /** The leads of these filters as CSV (one row per event), for a download. */
    exportLeadsCsv: async (query: LeadQuery = {}): Promise<Blob> => {
      const headers: Record<string, string> = { accept: 'text/csv', ...authorization }
      if (options.tenant) headers[tenantHeader] = options.tenant
      let response: Response
      try {
        response = await send(`${baseUrl}/v1/leads/export.csv${queryString(query)}`, {
          method: 'GET',
          headers,
          cache: 'no-store',
          credentials,
        })
      } catch (error) {
        throw new ApiError(0, 'NETWORK', `Leadrelay could not be reached: ${(error as Error).message}`)
      }
      if (!response.ok) {
        const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string }
        throw new ApiError(
          response.status,
          problem.code ?? 'HTTP_ERROR',
          problem.detail ?? `The server answered ${response.status}`,
        )
      }
      return response.blob()
    },
    getLead: (leadId: string) => request<LeadDetail>('GET', `/v1/leads/${id(leadId)}`),
    /** The marketplace SaaS subscriptions joined to the lead (none for most leads). */
    leadSubscriptions: (leadId: string) =>
      request<Page<LeadSubscription>>('GET', `/v1/leads/${id(leadId)}/subscriptions`),

    /** The tenant's subscription source; NOT_FOUND (404) until one is set up. */
    getSubscriptionSource: () => request<SubscriptionSource>('GET', '/v1/subscription-source'),
    putSubscriptionSource: (input: SubscriptionSourceInput) =>
      request<SubscriptionSource>('PUT', '/v1/subscription-source', undefined, input),
    deleteSubscriptionSource: () => request<void>('DELETE', '/v1/subscription-source'),
    /** Reads the SaaS Fulfillment API now and records what changed. */
    pollSubscriptions: () => request<SubscriptionPollSummary>('POST', '/v1/subscription-source/poll'),
    funnel: (query: FunnelQuery = {}) => request<FunnelReport>('GET', '/v1/funnel', { ...query }),

    listOffers: () => request<Page<Offer>>('GET', '/v1/offers'),
    getOffer: (offerId: string) => request<Offer>('GET', `/v1/offers/${id(offerId)}`),
    putOffer: (offerId: string, input: OfferInput) =>
      request<SavedOffer>('PUT', `/v1/offers/${id(offerId)}`, undefined, input),
    /** What saving would do, earlier leads included; changes nothing. */
    previewOffer: (offerId: string, input: OfferInput) =>
      request<SavedOffer>('PUT', `/v1/offers/${id(offerId)}`, undefined, { ...input, dryRun: true }),
    publishOffer: (offerId: string) => request<PublishResult>('POST', `/v1/offers/${id(offerId)}/publish`),

    destinationKinds: () => request<Page<DestinationKind>>('GET', '/v1/destination-kinds'),
    listDestinations: () => request<Page<Destination>>('GET', '/v1/destinations'),
    getDestination: (destinationId: string) => request<Destination>('GET', `/v1/destinations/${id(destinationId)}`),
    /** The destination's delivery log, newest first, with its success rate. */
    destinationAttempts: (destinationId: string, page: { limit?: number; cursor?: string } = {}) =>
      request<DestinationAttemptLog>('GET', `/v1/destinations/${id(destinationId)}/attempts`, { ...page }),
    /** The payload the destination gets for this lead, as it would be sent now. */
    previewPayload: (destinationId: string, leadId: string) =>
      request<{ payload: unknown }>('GET', `/v1/destinations/${id(destinationId)}/preview/${id(leadId)}`),
    createDestination: (input: DestinationInput) =>
      request<DestinationWithSecrets>('POST', '/v1/destinations', undefined, input),
    updateDestination: (destinationId: string, patch: DestinationPatch) =>
      request<DestinationWithSecrets>('PATCH', `/v1/destinations/${id(destinationId)}`, undefined, patch),
    deleteDestination: (destinationId: string) => request<void>('DELETE', `/v1/destinations/${id(destinationId)}`),
    verifyDestination: (destinationId: string) =>
      request<CheckResult>('POST', `/v1/destinations/${id(destinationId)}/verify`),
    rotateSecrets: (destinationId: string) =>
      request<DestinationWithSecrets>('POST', `/v1/destinations/${id(destinationId)}/rotate-secrets`),
    getDefaultRoute: () => request<{ destinations: string[] }>('GET', '/v1/routes/default'),
    putDefaultRoute: (destinations: string[]) =>
      request<{ destinations: string[] }>('PUT', '/v1/routes/default', undefined, { destinations }),

    listDeliveries: (query: DeliveryQuery = {}) => request<DeliveryPage>('GET', '/v1/deliveries', { ...query }),
    /** Dead and failing deliveries counted per destination and reason. */
    deliveryTroubles: () => request<Page<DeliveryTroubleGroup>>('GET', '/v1/deliveries/troubles'),
    /** Makes a queued delivery due now; a rate-limit hold or a paused destination still applies. */
    retryDelivery: (deliveryId: string) => request<RetryResult>('POST', `/v1/deliveries/${id(deliveryId)}/retry`),
    getDelivery: (deliveryId: string) => request<Delivery>('GET', `/v1/deliveries/${id(deliveryId)}`),
    replay: (selector: RequestBody<'replayDeliveries'>) =>
      request<ReplayResult>('POST', '/v1/deliveries/replay', undefined, selector),
    audit: () => request<Page<AuditEntry>>('GET', '/v1/audit'),

    alertChannelKinds: () => request<Page<AlertChannelKind>>('GET', '/v1/alert-channel-kinds'),
    listAlertChannels: () => request<Page<AlertChannel>>('GET', '/v1/alert-channels'),
    createAlertChannel: (input: AlertChannelInput) =>
      request<CreatedAlertChannel>('POST', '/v1/alert-channels', undefined, input),
    updateAlertChannel: (channelId: string, patch: Partial<Omit<AlertChannelInput, 'kind'>>) =>
      request<AlertChannel>('PATCH', `/v1/alert-channels/${id(channelId)}`, undefined, patch),
    deleteAlertChannel: (channelId: string) => request<void>('DELETE', `/v1/alert-channels/${id(channelId)}`),
    testAlertChannel: (channelId: string) =>
      request<AlertTestResult>('POST', `/v1/alert-channels/${id(channelId)}/test`),
    listAlertRules: () => request<Page<AlertRule>>('GET', '/v1/alert-rules'),
    createAlertRule: (input: AlertRuleInput) => request<AlertRule>('POST', '/v1/alert-rules', undefined, input),
    updateAlertRule: (ruleId: string, patch: Partial<AlertRuleInput>) =>
      request<AlertRule>('PATCH', `/v1/alert-rules/${id(ruleId)}`, undefined, patch),
    deleteAlertRule: (ruleId: string) => request<void>('DELETE', `/v1/alert-rules/${id(ruleId)}`),
    testAlertRule: (ruleId: string) =>
      request<{ ok: boolean; results: AlertTestResult[] }>('POST', `/v1/alert-rules/${id(ruleId)}/test`),
    leadAlerts: (leadId: string) => request<Page<AlertSend>>('GET', `/v1/leads/${id(leadId)}/alerts`),
    replayAlertSend: (sendId: string) => request<AlertSend>('POST', `/v1/alert-sends/${id(sendId)}/replay`),
    getAlertDigest: () => request<DigestSettings>('GET', '/v1/alert-digest'),
    putAlertDigest: (settings: DigestSettings) =>
      request<DigestSettings>('PUT', '/v1/alert-digest', undefined, settings),

    listKeys: () => request<Page<ApiKey>>('GET', '/v1/keys'),
    createKey: (input: { name: string; scopes: ApiKeyScope[] }) =>
      request<ApiKeyWithSecret>('POST', '/v1/keys', undefined, input),
    rotateKey: (keyId: string, overlapHours = 0) =>
      request<ApiKeyWithSecret>('POST', `/v1/keys/${id(keyId)}/rotate`, undefined, { overlapHours }),
    revokeKey: (keyId: string) => request<void>('DELETE', `/v1/keys/${id(keyId)}`),
    listIngestTokens: () => request<Page<IngestToken>>('GET', '/v1/tenant/ingest-tokens'),
    rotateIngestToken: (overlapHours: number) =>
      request<RotatedIngestToken>('POST', '/v1/tenant/ingest-token/rotate', undefined, { overlapHours }),
    revokeIngestToken: (tokenId: string) => request<void>('DELETE', `/v1/tenant/ingest-tokens/${id(tokenId)}`),

    listPeople: () => request<Page<Person>>('GET', '/v1/people'),
    getTenantSignIn: () => request<TenantSignIn>('GET', '/v1/tenant/sign-in'),
    putTenantSignIn: (settings: TenantSignIn) =>
      request<TenantSignIn>('PUT', '/v1/tenant/sign-in', undefined, settings),
    invite: (input: { email: string; role: Role }) =>
      request<CreatedInvitation>('POST', '/v1/invitations', undefined, input),
    changeRole: (personId: string, role: Role) =>
      request<Person>('PATCH', `/v1/people/${id(personId)}`, undefined, { role }),
    removePerson: (personId: string) => request<void>('DELETE', `/v1/people/${id(personId)}`),
    authConfig: () => request<AuthConfig>('GET', '/auth/config'),
    /**
     * Ends the person's session here (the answer clears the cookie) and says where the browser ends it at the identity
     * provider too, when the provider offers that (RP-initiated logout).
     */
    signOut: () => request<{ endSessionUrl: string | null }>('POST', '/auth/logout'),
  }
}

export type ApiClient = ReturnType<typeof createApiClient>
