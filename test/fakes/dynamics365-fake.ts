/**
 * A local Microsoft Entra ID token endpoint plus Dataverse Web API v9.2 on 127.0.0.1, written from Microsoft's
 * published docs (../shared/reference/destination-apis.md sections 2 and 7), not from the connector:
 *
 * - `POST /{tenant}/oauth2/v2.0/token` (client credentials, form body): checks tenant, grant_type, client_id,
 *   client_secret and the `{environment}/.default` scope, and answers Entra's AADSTS errors the way Entra does.
 * - `/api/data/v9.2/…`: needs a Bearer token it issued for this environment (else 401, empty body,
 *   `WWW-Authenticate: Bearer`), keeps leads by id with their column values, validates bodies against the standard
 *   lead columns (unknown column, wrong type, too long, option out of range), honours `If-Match: *` /
 *   `If-None-Match: *` on upserts by primary or alternate key, `$select`/`$filter … eq '…'`/`$orderby`/`$top`, and
 *   answers `WhoAmI` and the two metadata reads the connector's verify makes.
 * - `DELETE leads(<guid>)` or `DELETE leads(<column>='<value>')`: 204 without a body, 404 when no such lead
 *   (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#basic-delete).
 *
 * Tests script faults with `when(…)` (a rate limit, a 5xx, a hang, any Dataverse error body) and change the
 * environment with `expireTokens()`, `applicationUser` and `keys`. Message texts follow Microsoft's where known;
 * the connector classifies by status and code, so they are illustrative.
 */

import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface FakeRequest {
  readonly method: string
  /** Path and query, as sent. */
  readonly url: string
  readonly pathname: string
  readonly query: URLSearchParams
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly json: unknown
  /** The form fields of a token request. */
  readonly form?: Readonly<Record<string, string>>
  readonly kind: 'token' | 'api'
}

export type FakeReply =
  | {
      readonly status: number
      readonly headers?: Readonly<Record<string, string>>
      readonly body?: string
      readonly delayMs?: number
    }
  | { readonly hang: true }

export type FakeMatch = 'token' | 'api' | ((request: FakeRequest) => boolean)

export interface FakeLead {
  readonly leadid: string
  /** Order of creation, for `$orderby=createdon`. */
  readonly createdon: number
  versionnumber: number
  readonly values: Record<string, unknown>
}

export interface LeadKey {
  readonly logicalName: string
  readonly column: string
  indexStatus: 'Active' | 'Pending' | 'InProgress' | 'Failed'
}

export type ApplicationUserState = 'ok' | 'missing' | 'no-roles' | 'no-create-privilege'

export interface DataverseFakeOptions {
  readonly tenantId?: string
  readonly clientId?: string
  readonly clientSecret?: string
  /** Custom text columns on the lead table, with their maximum length (default `leadrelay_leadid`: 100). */
  readonly customColumns?: Readonly<Record<string, number>>
  /** Alternate keys on the lead table (default: an Active key on `leadrelay_leadid`). */
  readonly keys?: readonly LeadKey[]
  readonly tokenLifetimeSeconds?: number
}

export interface DataverseFake {
  /** The environment URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** The Entra ID authority host: the same server. */
  readonly authorityHost: string
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  /** Every request, in arrival order. */
  readonly requests: FakeRequest[]
  readonly tokenRequests: FakeRequest[]
  readonly apiRequests: FakeRequest[]
  readonly leads: FakeLead[]
  /** Ids of leads deleted through the Web API, in order. */
  readonly deleted: string[]
  /** Alternate keys of the lead table; tests may change them. */
  readonly keys: LeadKey[]
  applicationUser: ApplicationUserState
  leadById(id: string): FakeLead | undefined
  leadsWhere(column: string, value: unknown): FakeLead[]
  /** Adds a lead as if someone had created it in Dynamics 365. */
  seed(values: Record<string, unknown>): FakeLead
  /** Every token issued so far stops working: the next API call with one answers 401. */
  expireTokens(): void
  /** The next `times` requests that match get `reply` instead of the normal behaviour. */
  when(match: FakeMatch, reply: FakeReply | ((request: FakeRequest) => FakeReply), times?: number): void
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** Dataverse's error body. */
export function dataverseError(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json; odata.metadata=minimal', ...headers },
    body: JSON.stringify({ error: { code, message } }),
  } satisfies FakeReply
}

/**
 * Service protection limit: 429 with `Retry-After` in seconds and one of the three documented codes (number of
 * requests, execution time, concurrent requests), per
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits#service-protection-api-limit-errors-returned
 */
export function rateLimited(seconds: number, code = '0x80072322'): FakeReply {
  const messages: Record<string, string> = {
    '0x80072322': 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
    '0x80072321':
      'Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.',
    '0x80072326': 'Number of concurrent requests exceeded the limit of 52.',
  }
  return dataverseError(429, code, messages[code] ?? 'Too many requests.', { 'retry-after': `${seconds}` })
}

export function serverError(status = 500): FakeReply {
  return dataverseError(status, '0x80040216', 'An unexpected error occurred.')
}

type ColumnType =
  | { readonly type: 'string'; readonly maxLength: number }
  | { readonly type: 'choice'; readonly options: readonly number[] }
  | { readonly type: 'boolean' }
  | { readonly type: 'readonly' }

/** The standard lead columns the fake knows (a subset of the lead table reference). */
const standardLeadColumns: Readonly<Record<string, ColumnType>> = {
  leadid: { type: 'readonly' },
  createdon: { type: 'readonly' },
  fullname: { type: 'readonly' },
  firstname: { type: 'string', maxLength: 50 },
  lastname: { type: 'string', maxLength: 50 },
  emailaddress1: { type: 'string', maxLength: 100 },
  emailaddress2: { type: 'string', maxLength: 100 },
  telephone1: { type: 'string', maxLength: 50 },
  mobilephone: { type: 'string', maxLength: 20 },
  companyname: { type: 'string', maxLength: 100 },
  jobtitle: { type: 'string', maxLength: 100 },
  address1_city: { type: 'string', maxLength: 80 },
  address1_country: { type: 'string', maxLength: 80 },
  subject: { type: 'string', maxLength: 300 },
  description: { type: 'string', maxLength: 2000 },
  leadsourcecode: { type: 'choice', options: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  leadqualitycode: { type: 'choice', options: [1, 2, 3] },
  // Status and Status Reason, from the lead table reference: state 0 Open, 1 Qualified, 2 Disqualified.
  statecode: { type: 'choice', options: [0, 1, 2] },
  statuscode: { type: 'choice', options: [1, 2, 3, 4, 5, 6, 7] },
  donotemail: { type: 'boolean' },
  donotphone: { type: 'boolean' },
  donotbulkemail: { type: 'boolean' },
  donotpostalmail: { type: 'boolean' },
  donotsendmm: { type: 'boolean' },
  donotfax: { type: 'boolean' },
}

/**
 * Which Status Reason belongs to which Status (lead table reference): Open 1 New, 2 Contacted; Qualified 3 Qualified;
 * Disqualified 4 Lost, 5 Cannot Contact, 6 No Longer Interested, 7 Canceled.
 */
const leadStateOfStatus: Readonly<Record<number, number>> = { 1: 0, 2: 0, 3: 1, 4: 2, 5: 2, 6: 2, 7: 2 }

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const apiPrefix = '/api/data/v9.2/'

function entraError(status: number, error: string, code: number, description: string): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: 2026-11-25 12:00:00Z`,
      error_codes: [code],
      timestamp: '2026-11-25 12:00:00Z',
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    }),
  }
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/json; odata.metadata=minimal', 'odata-version': '4.0', ...headers },
    body: JSON.stringify(value),
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(', ')
  }
  return headers
}

/** An OData string literal `'…'` with `''` for a quote, or undefined. */
function readStringLiteral(text: string): string | undefined {
  const match = /^'((?:[^']|'')*)'$/.exec(text)
  return match ? match[1]!.replaceAll("''", "'") : undefined
}

export async function startDataverseFake(options: DataverseFakeOptions = {}): Promise<DataverseFake> {
  const tenantId = options.tenantId ?? '6f1c3e52-0d7a-4b1e-9a55-2f0d8c1b7e40'
  const tenantDomain = 'contoso.onmicrosoft.com'
  const clientId = options.clientId ?? '0b3a9c7e-5d21-4f6a-8e0b-9c4d2a1f7e63'
  const clientSecret = options.clientSecret ?? 'Qz88Q~fake.client-secret_value.0123456789abcd'
  const lifetime = options.tokenLifetimeSeconds ?? 3599
  const columns: Record<string, ColumnType> = { ...standardLeadColumns }
  for (const [name, maxLength] of Object.entries(options.customColumns ?? { leadrelay_leadid: 100 })) {
    columns[name] = { type: 'string', maxLength }
  }
  const keys: LeadKey[] = (
    options.keys ?? [{ logicalName: 'leadrelay_leadidkey', column: 'leadrelay_leadid', indexStatus: 'Active' }]
  ).map((key) => ({ ...key }))
  const applicationUserId = randomUUID()

  const requests: FakeRequest[] = []
  const leads: FakeLead[] = []
  const deleted: string[] = []
  /** token → the scope it was issued for. */
  const tokens = new Map<string, string>()
  const rules: { match: FakeMatch; reply: FakeReply | ((request: FakeRequest) => FakeReply); left: number }[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const sockets = new Set<Socket>()
  const hung = new Set<ServerResponse>()
  let created = 0
  let issued = 0
  let url = ''

  const fake: DataverseFake = {
    get url() {
      return url
    },
    get authorityHost() {
      return url
    },
    tenantId,
    clientId,
    clientSecret,
    requests,
    get tokenRequests() {
      return requests.filter((request) => request.kind === 'token')
    },
    get apiRequests() {
      return requests.filter((request) => request.kind === 'api')
    },
    leads,
    deleted,
    keys,
    applicationUser: 'ok',
    leadById: (id) => leads.find((lead) => lead.leadid.toLowerCase() === id.toLowerCase()),
    leadsWhere: (column, value) => leads.filter((lead) => lead.values[column] === value),
    seed: (values) => createLead(values),
    expireTokens: () => tokens.clear(),
    when(match, reply, times = 1) {
      rules.push({ match, reply, left: times })
    },
    waitForRequests(count, timeoutMs = 5000) {
      if (requests.length >= count) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Only ${requests.length} of ${count} requests`)), timeoutMs)
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        })
      })
    },
    async close() {
      for (const response of hung) response.destroy()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  // ---- Microsoft Entra ID: client credentials (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)

  function token(request: FakeRequest, tenant: string): FakeReply {
    if (request.method !== 'POST') {
      return entraError(
        400,
        'invalid_request',
        900561,
        'The endpoint only accepts POST, OPTIONS requests. Received a GET request.',
      )
    }
    if (tenant !== tenantId && tenant !== tenantDomain) {
      if (!guid.test(tenant) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(tenant)) {
        return entraError(
          400,
          'invalid_request',
          900023,
          `Specified tenant identifier '${tenant}' is neither a valid DirectoryName nor a valid ObjectId.`,
        )
      }
      return entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      )
    }
    if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      )
    }
    const form = request.form ?? {}
    if (form.grant_type !== 'client_credentials') {
      return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.')
    }
    if (form.client_id !== clientId) {
      return entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id ?? ''}' was not found in the directory '${tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      )
    }
    if (form.client_secret === undefined) {
      return entraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      )
    }
    if (form.client_secret !== clientSecret) {
      return entraError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      )
    }
    const scope = form.scope ?? ''
    if (!scope.endsWith('/.default')) {
      return entraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      )
    }
    if (scope !== `${url}/.default`) {
      return entraError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${scope.replace(/\/\.default$/, '')} was not found in the tenant named ${tenantDomain}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      )
    }
    issued++
    const value = `fake-access-token-${issued}-${randomUUID()}`
    tokens.set(value, scope)
    return json(200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: value })
  }

  // ---- Dataverse Web API v9.2

  function unauthorized(): FakeReply {
    return {
      status: 401,
      headers: {
        'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${tenantId}/oauth2/authorize, resource_id=${url}/`,
      },
      body: '',
    }
  }

  function applicationUserFailure(request: FakeRequest, writesLeads: boolean): FakeReply | undefined {
    switch (fake.applicationUser) {
      case 'ok':
        return undefined
      case 'missing':
        return dataverseError(403, '0x80072560', 'The user is not a member of the organization.')
      case 'no-roles':
        return dataverseError(
          403,
          '0x80042f09',
          `SecLib::RetrievePrivilegeForUser failed - no roles are assigned to user. Returned hr = -2147209463, User: ${applicationUserId}`,
        )
      case 'no-create-privilege':
        if (!writesLeads) return undefined
        return dataverseError(
          403,
          '0x80040220',
          `Principal user (Id=${applicationUserId}, type=8, roleCount=1, privilegeCount=612, accessMode=4), is missing prv${request.method === 'POST' ? 'Create' : 'Write'}Lead privilege (Id=${randomUUID()}) on OTC=4 for entity 'lead'. Consider assigning a role with the required privilege.`,
        )
    }
  }

  /** Checks a lead body the way the Web API does; the error reply, or undefined when it is fine. */
  function validateBody(body: unknown): FakeReply | undefined {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return dataverseError(
        400,
        '0x80048d19',
        "Error identified in Payload provided by the user for Entity :'leads', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ----> InnerException : Microsoft.OData.ODataException: Does not support untyped value in non-open type.",
      )
    }
    for (const [name, value] of Object.entries(body)) {
      if (name.startsWith('@')) continue
      const column = columns[name]
      if (!column || column.type === 'readonly') {
        return dataverseError(
          400,
          '0x80048d19',
          `Error identified in Payload provided by the user for Entity :'leads', For more information on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ----> InnerException : Microsoft.OData.ODataException: The property '${name}' does not exist on type 'Microsoft.Dynamics.CRM.lead'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
        )
      }
      if (value === null) continue
      const wrongType = (edm: string) =>
        dataverseError(
          400,
          '0x80048d19',
          `Error identified in Payload provided by the user for Entity :'leads' ----> InnerException : Microsoft.OData.ODataException: Cannot convert the literal '${String(value)}' to the expected type '${edm}'.`,
        )
      if (column.type === 'string') {
        if (typeof value !== 'string') return wrongType('Edm.String')
        if (value.length > column.maxLength) {
          return dataverseError(
            400,
            '0x80044331',
            `A validation error occurred. The length of the '${name}' attribute of the 'lead' entity exceeded the maximum allowed length of '${column.maxLength}'.`,
          )
        }
      } else if (column.type === 'boolean') {
        if (typeof value !== 'boolean') return wrongType('Edm.Boolean')
      } else if (column.type === 'choice') {
        if (typeof value !== 'number' || !Number.isInteger(value)) return wrongType('Edm.Int32')
        if (!column.options.includes(value)) {
          return dataverseError(
            400,
            '0x8004431a',
            `A validation error occurred. The value ${value} of '${name}' on record of type 'lead' is outside the valid range. Accepted Values: ${column.options.join(',')}`,
          )
        }
      }
    }
    const { statecode, statuscode } = body as { statecode?: unknown; statuscode?: unknown }
    if (
      typeof statecode === 'number' &&
      typeof statuscode === 'number' &&
      leadStateOfStatus[statuscode] !== statecode
    ) {
      return dataverseError(
        400,
        '0x80040203',
        `${statuscode} is not a valid status code for state code LeadState.${['Open', 'Qualified', 'Disqualified'][statecode] ?? statecode} on lead.`,
      )
    }
    return undefined
  }

  function leadRow(lead: FakeLead, select: readonly string[] | undefined): Record<string, unknown> {
    const row: Record<string, unknown> = { '@odata.etag': `W/"${lead.versionnumber}"` }
    for (const name of select ?? ['leadid', ...Object.keys(lead.values)]) {
      row[name] = name === 'leadid' ? lead.leadid : (lead.values[name] ?? null)
    }
    return row
  }

  function parseSelect(query: URLSearchParams): string[] | FakeReply | undefined {
    const select = query.get('$select')
    if (select === null) return undefined
    const names = select.split(',').map((name) => name.trim())
    const unknown = names.find((name) => !columns[name])
    if (unknown !== undefined) {
      return dataverseError(
        400,
        '0x80060888',
        `Could not find a property named '${unknown}' on type 'Microsoft.Dynamics.CRM.lead'.`,
      )
    }
    return names
  }

  function entityId(lead: FakeLead): string {
    return `${url}${apiPrefix}leads(${lead.leadid})`
  }

  /** The answer to a successful write: 204 + OData-EntityId, or the row with `Prefer: return=representation`. */
  function written(request: FakeRequest, lead: FakeLead, wasCreated: boolean, select: string[] | undefined): FakeReply {
    if ((request.headers.prefer ?? '').includes('return=representation')) {
      return json(wasCreated ? 201 : 200, leadRow(lead, select), { 'odata-entityid': entityId(lead) })
    }
    return { status: 204, headers: { 'odata-version': '4.0', 'odata-entityid': entityId(lead) }, body: '' }
  }

  function createLead(values: Record<string, unknown>, id: string = randomUUID()): FakeLead {
    const lead: FakeLead = { leadid: id, createdon: ++created, versionnumber: 1, values: {} }
    Object.assign(lead.values, values)
    leads.push(lead)
    return lead
  }

  function listLeads(request: FakeRequest): FakeReply {
    const select = parseSelect(request.query)
    if (select !== undefined && !Array.isArray(select)) return select
    let rows = [...leads]
    const filter = request.query.get('$filter')
    if (filter !== null) {
      const match = /^(\w+) eq (.+)$/.exec(filter.trim())
      const literal = match ? readStringLiteral(match[2]!) : undefined
      if (!match || literal === undefined)
        return dataverseError(400, '0x8006088a', 'Bad Request - Error in query syntax.')
      if (!columns[match[1]!]) {
        return dataverseError(
          400,
          '0x80060888',
          `Could not find a property named '${match[1]}' on type 'Microsoft.Dynamics.CRM.lead'.`,
        )
      }
      // Dataverse compares text case-insensitively.
      rows = rows.filter((lead) => String(lead.values[match[1]!] ?? '').toLowerCase() === literal.toLowerCase())
    }
    const orderby = request.query.get('$orderby')
    if (orderby !== null) {
      const match = /^createdon( asc| desc)?$/.exec(orderby.trim())
      if (!match) return dataverseError(400, '0x8006088a', 'Bad Request - Error in query syntax.')
      rows.sort((a, b) => (match[1] === ' desc' ? b.createdon - a.createdon : a.createdon - b.createdon))
    }
    const top = request.query.get('$top')
    if (top !== null) {
      if (!/^\d+$/.test(top)) return dataverseError(400, '0x8006088a', 'Bad Request - Error in query syntax.')
      rows = rows.slice(0, Number(top))
    }
    return json(200, {
      '@odata.context': `${url}${apiPrefix}$metadata#leads(${select?.join(',') ?? ''})`,
      value: rows.map((lead) => leadRow(lead, select)),
    })
  }

  /** `PATCH leads(<guid>)` or `PATCH leads(<column>='<value>')`: an upsert unless If-Match / If-None-Match says. */
  function patchLead(request: FakeRequest, keySegment: string): FakeReply {
    const select = parseSelect(request.query)
    if (select !== undefined && !Array.isArray(select)) return select
    let existing: FakeLead | undefined
    let keyValues: Record<string, unknown> = {}
    let newId: string | undefined
    let missing: FakeReply
    if (guid.test(keySegment)) {
      existing = fake.leadById(keySegment)
      newId = keySegment.toLowerCase()
      missing = dataverseError(404, '0x80040217', `lead With Id = ${keySegment} Does Not Exist`)
    } else {
      const match = /^(\w+)=(.*)$/.exec(keySegment)
      const value = match ? readStringLiteral(match[2]!) : undefined
      if (!match || value === undefined)
        return dataverseError(400, '0x8006088a', 'Bad Request - Error in query syntax.')
      const column = match[1]!
      if (!columns[column]) {
        return dataverseError(
          400,
          '0x80060888',
          `Could not find a property named '${column}' on type 'Microsoft.Dynamics.CRM.lead'.`,
        )
      }
      // An alternate key that is not defined (or whose index is not active yet) makes the URL unreadable.
      if (!keys.some((key) => key.column === column && key.indexStatus === 'Active')) {
        return dataverseError(400, '0x8006088a', 'Bad Request - Error in query syntax.')
      }
      existing = leads.find((lead) => lead.values[column] === value)
      keyValues = { [column]: value }
      missing = dataverseError(
        404,
        '0x80060891',
        'A record with the specified key values does not exist in lead entity',
      )
    }
    const ifMatch = request.headers['if-match']
    const ifNoneMatch = request.headers['if-none-match']
    if (ifMatch === '*' && !existing) return missing
    if (ifNoneMatch === '*' && existing) {
      return dataverseError(412, '', 'A record with matching key values already exists.')
    }
    const invalid = validateBody(request.json)
    if (invalid) return invalid
    const body = request.json as Record<string, unknown>
    if (existing) {
      // Key columns in the body of an update are ignored: the key in the URL wins.
      Object.assign(existing.values, body, keyValues)
      existing.versionnumber++
      return written(request, existing, false, select)
    }
    const lead = createLead({ ...body, ...keyValues }, newId)
    return written(request, lead, true, select)
  }

  function deleteLead(keySegment: string): FakeReply {
    const match = guid.test(keySegment) ? undefined : /^(\w+)=(.*)$/.exec(keySegment)
    const value = match ? readStringLiteral(match[2]!) : undefined
    const existing = guid.test(keySegment)
      ? fake.leadById(keySegment)
      : match && value !== undefined
        ? leads.find((lead) => lead.values[match[1]!] === value)
        : undefined
    if (!existing) return dataverseError(404, '0x80040217', `lead With Id = ${keySegment} Does Not Exist`)
    leads.splice(leads.indexOf(existing), 1)
    deleted.push(existing.leadid)
    return { status: 204 }
  }

  function metadata(rest: string): FakeReply {
    const attribute = /^EntityDefinitions\(LogicalName='lead'\)\/Attributes\(LogicalName='(\w+)'\)$/.exec(rest)
    if (attribute) {
      const name = attribute[1]!
      if (!columns[name]) {
        return dataverseError(
          404,
          '0x80060888',
          `Could not find attribute with LogicalName '${name}' for entity 'lead'.`,
        )
      }
      return json(200, {
        '@odata.context': `${url}${apiPrefix}$metadata#EntityDefinitions('lead')/Attributes(LogicalName)/$entity`,
        LogicalName: name,
        MetadataId: randomUUID(),
      })
    }
    if (rest === "EntityDefinitions(LogicalName='lead')/Keys") {
      return json(200, {
        '@odata.context': `${url}${apiPrefix}$metadata#EntityDefinitions('lead')/Keys`,
        value: keys.map((key) => ({
          LogicalName: key.logicalName,
          KeyAttributes: [key.column],
          EntityKeyIndexStatus: key.indexStatus,
          MetadataId: randomUUID(),
        })),
      })
    }
    return dataverseError(404, '0x80060888', `Resource not found for the segment '${rest.split(/[(/]/)[0]}'.`)
  }

  function api(request: FakeRequest): FakeReply {
    const authorization = request.headers.authorization ?? ''
    const bearer = /^Bearer (.+)$/.exec(authorization)?.[1]
    if (!bearer || tokens.get(bearer) !== `${url}/.default`) return unauthorized()
    const rest = decodeURIComponent(request.pathname.slice(apiPrefix.length))
    const leadKey = /^leads\((.+)\)$/.exec(rest)?.[1]
    const writesLeads =
      (rest === 'leads' && request.method === 'POST') || (leadKey !== undefined && request.method === 'PATCH')
    const denied = applicationUserFailure(request, writesLeads)
    if (denied) return denied
    const hasNoBody = request.method === 'GET' || request.method === 'DELETE'
    if (!hasNoBody && !(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return dataverseError(415, '', 'The request must have a JSON body with Content-Type: application/json.')
    }
    if (rest === 'WhoAmI' && request.method === 'GET') {
      return json(200, {
        '@odata.context': `${url}${apiPrefix}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
        BusinessUnitId: '2e5ad6e6-0c5f-4b74-b7a1-5b2a4f7c9d10',
        UserId: applicationUserId,
        OrganizationId: '7c1d3b9a-44e2-4f0b-8d1e-0a9b8c7d6e5f',
      })
    }
    if (rest === 'leads' && request.method === 'GET') return listLeads(request)
    if (rest === 'leads' && request.method === 'POST') {
      const invalid = validateBody(request.json)
      if (invalid) return invalid
      return written(request, createLead(request.json as Record<string, unknown>), true, undefined)
    }
    if (leadKey !== undefined && request.method === 'PATCH') return patchLead(request, leadKey)
    if (leadKey !== undefined && request.method === 'DELETE') return deleteLead(leadKey)
    if (rest.startsWith('EntityDefinitions(') && request.method === 'GET') return metadata(rest)
    if (rest === 'leads' || leadKey !== undefined) {
      return dataverseError(405, '0x80060888', `The HTTP method '${request.method}' is not allowed here.`)
    }
    return dataverseError(404, '0x80060888', `Resource not found for the segment '${rest.split(/[(/?]/)[0]}'.`)
  }

  function route(request: FakeRequest): FakeReply {
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(request.pathname)
    if (tokenPath) return token(request, decodeURIComponent(tokenPath[1]!))
    if (request.pathname.startsWith(apiPrefix)) return api(request)
    return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' }
  }

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const raw = incoming.url ?? '/'
      const queryAt = raw.indexOf('?')
      const pathname = queryAt === -1 ? raw : raw.slice(0, queryAt)
      const body = Buffer.concat(chunks).toString('utf8')
      const headers = headersOf(incoming)
      const isToken = /\/oauth2\/v2\.0\/token$/.test(pathname)
      const request: FakeRequest = {
        method: incoming.method ?? 'GET',
        url: raw,
        pathname,
        query: new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1)),
        headers,
        body,
        json: parseJson(body),
        kind: isToken ? 'token' : 'api',
        ...(isToken && { form: Object.fromEntries(new URLSearchParams(body)) }),
      }
      requests.push(request)
      for (const waiter of waiters.splice(0)) {
        if (requests.length >= waiter.count) waiter.resolve()
        else waiters.push(waiter)
      }
      const rule = rules.find(
        (candidate) =>
          candidate.left > 0 &&
          (candidate.match === request.kind || (typeof candidate.match === 'function' && candidate.match(request))),
      )
      let reply: FakeReply
      if (rule) {
        rule.left--
        reply = typeof rule.reply === 'function' ? rule.reply(request) : rule.reply
      } else {
        reply = route(request)
      }
      if ('hang' in reply) {
        hung.add(response)
        response.on('close', () => hung.delete(response))
        return
      }
      const send = () => {
        response.writeHead(reply.status, reply.headers)
        response.end(reply.body ?? '')
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}
