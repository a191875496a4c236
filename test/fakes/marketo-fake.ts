/**
 * A Marketo REST API on 127.0.0.1, written from Adobe's published docs (marketo-developer: authentication.md,
 * leads.md, error-codes.md; ../shared/reference/destination-apis.md sections 3 and 7), not from Leadrelay's client:
 *
 * - identity: `GET|POST /identity/oauth/token?grant_type=client_credentials&client_id=..&client_secret=..` answers
 *   `{access_token, token_type, expires_in, scope}`; bad credentials get HTTP 401 `invalid_client`. Asking again
 *   before a token expires returns the same token with the remaining lifetime, as Marketo does.
 * - every `/rest` call needs `Authorization: Bearer <token>`: unknown → 601, expired → 602 (HTTP 200,
 *   `success: false`). The `access_token` query parameter is not accepted (Adobe removes it in 2026).
 * - `POST /rest/v1/leads.json` (Sync Leads): application/json only (612), valid JSON (609), at most 1 MB (HTTP 413)
 *   and 300 records; `action` createOrUpdate (default) | createOnly | updateOnly | createDuplicate, `lookupField`
 *   (default email), per-record results in input order: created / updated / skipped with reasons 1003 (bad value,
 *   missing lookup value, non-ASCII email), 1004 (updateOnly, no match), 1005 (createOnly, exists), 1006 (unknown
 *   field), 1007 (several people match).
 * - `GET /rest/v1/leads/describe.json`: the lead fields with their REST names.
 * - `POST /rest/v1/leads/delete.json` (Delete Leads, `{"input":[{"id":n}]}`, at most 300): per id `deleted`, or
 *   `skipped` with reason 1004 "Lead not found" (leads.md#delete,
 *   https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/leads#delete).
 * - limits: more than `rateLimit.calls` REST calls in `rateLimit.windowMs` → 606; more than `dailyQuota` → 607; more
 *   than 10 at once → 615; role permissions: no lead access → 603 everywhere, read-only → 603 on Sync Leads.
 *
 * Tests script failures on top: `failNext` (whole-call errors, HTTP statuses, hangs), `failIdentityNext`,
 * `rejectRecords` (record-level reasons, for partial batch failures), `expireTokens` / `revokeTokens`.
 */

import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeField {
  readonly name: string
  readonly displayName: string
  readonly dataType: 'string' | 'email' | 'phone' | 'boolean' | 'integer' | 'datetime' | 'text'
  readonly readOnly?: boolean
  readonly length?: number
}

/** Standard lead fields (REST API names) from Adobe's "Standard Fields" list, the ones these tests touch and a few more. */
export const standardFields: readonly FakeField[] = [
  { name: 'id', displayName: 'Id', dataType: 'integer', readOnly: true },
  { name: 'email', displayName: 'Email Address', dataType: 'email', length: 255 },
  { name: 'firstName', displayName: 'First Name', dataType: 'string', length: 255 },
  { name: 'lastName', displayName: 'Last Name', dataType: 'string', length: 255 },
  { name: 'phone', displayName: 'Phone Number', dataType: 'phone', length: 255 },
  { name: 'mobilePhone', displayName: 'Mobile Phone Number', dataType: 'phone', length: 255 },
  { name: 'company', displayName: 'Company Name', dataType: 'string', length: 255 },
  { name: 'title', displayName: 'Job Title', dataType: 'string', length: 255 },
  { name: 'country', displayName: 'Country', dataType: 'string', length: 255 },
  { name: 'city', displayName: 'City', dataType: 'string', length: 255 },
  { name: 'leadSource', displayName: 'Lead Source', dataType: 'string', length: 255 },
  { name: 'leadStatus', displayName: 'Lead Status', dataType: 'string', length: 255 },
  { name: 'unsubscribed', displayName: 'Unsubscribed', dataType: 'boolean' },
  { name: 'marketingSuspended', displayName: 'Marketing Suspended', dataType: 'boolean' },
  { name: 'doNotCall', displayName: 'Do Not Call', dataType: 'boolean' },
  { name: 'createdAt', displayName: 'Created At', dataType: 'datetime', readOnly: true },
  { name: 'updatedAt', displayName: 'Updated At', dataType: 'datetime', readOnly: true },
]

export interface FakeRequest {
  readonly method: string
  /** Path without the query. */
  readonly path: string
  readonly query: URLSearchParams
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly json: unknown
}

export interface FakeLead {
  readonly id: number
  fields: Record<string, string | number | boolean>
  /** How many Sync Leads calls changed this person after creating it. */
  updates: number
}

export interface MarketoErrorBody {
  readonly code: string
  readonly message: string
}

/** A scripted answer to the next REST (or identity) call, instead of the normal one. */
export type FakeFailure =
  | { readonly errors: readonly MarketoErrorBody[] }
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | { readonly hang: true }

export type Role = 'read-write' | 'read-only' | 'none'

export interface MarketoFakeOptions {
  readonly clientId?: string
  readonly clientSecret?: string
  /** The fake's clock, for token lifetimes and the rate window (default Date.now). */
  readonly now?: () => number
  readonly tokenLifetimeSeconds?: number
  readonly role?: Role
  /** Custom fields on top of the standard ones. */
  readonly customFields?: readonly FakeField[]
  readonly rateLimit?: { readonly calls: number; readonly windowMs: number }
  readonly dailyQuota?: number
}

export interface MarketoFake {
  /** `http://127.0.0.1:<port>`: the REST base; identity is `<url>/identity`. */
  readonly url: string
  readonly requests: FakeRequest[]
  /** Sync Leads requests only (`POST /rest/v1/leads.json`). */
  readonly syncCalls: () => FakeRequest[]
  readonly identityCalls: () => FakeRequest[]
  readonly leads: Map<number, FakeLead>
  /** Ids of people deleted through Delete Leads, in order. */
  readonly deleted: number[]
  /** People whose `field` equals `value` (case-insensitive for email, as Marketo matches). */
  findLeads(field: string, value: string | number | boolean): FakeLead[]
  /** Adds a person directly (e.g. a duplicate the publisher already has). */
  seedLead(fields: Record<string, string | number | boolean>): FakeLead
  /** Sync Leads calls that carried the same lookup value twice (Adobe warns this can duplicate people). */
  readonly sameKeyInOneCall: () => number
  readonly tokensIssued: string[]
  /** Every token issued so far is expired from now on (602). */
  expireTokens(): void
  /** Every token issued so far becomes unknown (601). */
  revokeTokens(): void
  setCredentials(clientId: string, clientSecret: string): void
  setRole(role: Role): void
  addField(field: FakeField): void
  removeField(name: string): void
  /** Describe answers padded with this many extra fields (to make the answer long). */
  padDescribe(count: number): void
  /** The next REST calls get these answers, one each, in order. */
  failNext(...failures: FakeFailure[]): void
  failIdentityNext(...failures: FakeFailure[]): void
  /** Records matching `when` are skipped with `reason` (record level), until `clearRejections`. */
  rejectRecords(when: (record: Record<string, unknown>) => boolean, reason: MarketoErrorBody): void
  clearRejections(): void
  /** REST calls currently being answered (for the 10-concurrent limit). */
  readonly inFlight: () => number
  close(): Promise<void>
}

const maxBodyBytes = 1024 * 1024
const maxBatch = 300
const actions = new Set(['createOrUpdate', 'createOnly', 'updateOnly', 'createDuplicate'])

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

function requestId(): string {
  return `${Math.floor(Math.random() * 0xffff).toString(16)}#${Date.now().toString(16)}`
}

export async function startMarketoFake(options: MarketoFakeOptions = {}): Promise<MarketoFake> {
  const now = options.now ?? Date.now
  const lifetimeMs = (options.tokenLifetimeSeconds ?? 3600) * 1000
  let clientId = options.clientId ?? 'client-id-1'
  let clientSecret = options.clientSecret ?? 'client-secret-1'
  let role: Role = options.role ?? 'read-write'
  const fields = new Map<string, FakeField>(
    [...standardFields, ...(options.customFields ?? [])].map((f) => [f.name, f]),
  )
  let padding = 0
  const rateLimit = options.rateLimit ?? { calls: 100, windowMs: 20_000 }
  const dailyQuota = options.dailyQuota ?? 50_000

  const requests: FakeRequest[] = []
  const leads = new Map<number, FakeLead>()
  const deleted: number[] = []
  let nextId = 1000
  const tokens = new Map<string, { clientId: string; expiresAt: number }>()
  const tokensIssued: string[] = []
  const restCallTimes: number[] = []
  let quotaUsed = 0
  let inFlight = 0
  let sameKeyInOneCall = 0
  const restScript: FakeFailure[] = []
  const identityScript: FakeFailure[] = []
  let rejections: { when: (record: Record<string, unknown>) => boolean; reason: MarketoErrorBody }[] = []

  function matches(field: string, stored: unknown, value: unknown): boolean {
    if (field === 'email' && typeof stored === 'string' && typeof value === 'string') {
      return stored.toLowerCase() === value.toLowerCase()
    }
    return stored === value
  }

  function findLeads(field: string, value: unknown): FakeLead[] {
    if (field === 'id') {
      const lead = leads.get(Number(value))
      return lead ? [lead] : []
    }
    return [...leads.values()].filter((lead) => matches(field, lead.fields[field], value))
  }

  function createLead(values: Record<string, string | number | boolean>): FakeLead {
    const lead: FakeLead = { id: nextId++, fields: { ...values }, updates: 0 }
    leads.set(lead.id, lead)
    return lead
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    response.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers })
    response.end(text)
  }

  function marketoError(response: ServerResponse, code: string, message: string) {
    send(response, 200, { requestId: requestId(), success: false, errors: [{ code, message }] })
  }

  /** Answers with a scripted failure; true when one was used. */
  function scripted(script: FakeFailure[], response: ServerResponse): boolean {
    const failure = script.shift()
    if (!failure) return false
    if ('hang' in failure) return true
    if ('errors' in failure) {
      send(response, 200, { requestId: requestId(), success: false, errors: failure.errors })
      return true
    }
    send(response, failure.status, failure.body ?? '', failure.headers)
    return true
  }

  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
  function identity(request: FakeRequest, response: ServerResponse) {
    if (scripted(identityScript, response)) return
    const query =
      request.method === 'POST' && request.headers['content-type']?.includes('x-www-form-urlencoded')
        ? new URLSearchParams(request.body)
        : request.query
    if (query.get('grant_type') !== 'client_credentials') {
      send(response, 400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' })
      return
    }
    if (query.get('client_id') !== clientId || query.get('client_secret') !== clientSecret) {
      send(response, 401, { error: 'invalid_client', error_description: 'Bad client credentials' })
      return
    }
    const at = now()
    // "If you call the Identity endpoint before your token has expired, the same token ... will be returned."
    const current = [...tokens.entries()].find(([, token]) => token.clientId === clientId && token.expiresAt > at)
    const [token, entry] = current ?? [`${randomUUID()}:ab`, { clientId, expiresAt: at + lifetimeMs }]
    if (!current) {
      tokens.set(token, entry)
      tokensIssued.push(token)
    }
    send(response, 200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: Math.max(0, Math.floor((entry.expiresAt - at) / 1000)),
      scope: 'leadrelay-api@example.com',
    })
  }

  /** Checks the bearer token; answers 601/602 and returns false when it is not good. */
  function authorised(request: FakeRequest, response: ServerResponse): boolean {
    const header = request.headers.authorization ?? ''
    const match = /^Bearer (\S+)$/i.exec(header)
    const token = match ? tokens.get(match[1]!) : undefined
    if (!token) {
      marketoError(response, '601', 'Access token invalid')
      return false
    }
    if (token.expiresAt <= now()) {
      marketoError(response, '602', 'Access token expired')
      return false
    }
    return true
  }

  /** Rate window, daily quota (calls that fail these do not count, as Adobe documents). */
  function withinLimits(response: ServerResponse): boolean {
    const at = now()
    while (restCallTimes.length > 0 && restCallTimes[0]! <= at - rateLimit.windowMs) restCallTimes.shift()
    if (restCallTimes.length >= rateLimit.calls) {
      marketoError(response, '606', `Max rate limit '${rateLimit.calls}' exceeded with in '20' secs`)
      return false
    }
    if (quotaUsed >= dailyQuota) {
      marketoError(response, '607', 'Daily quota reached')
      return false
    }
    restCallTimes.push(at)
    quotaUsed++
    return true
  }

  function describe(response: ServerResponse) {
    if (role === 'none') return marketoError(response, '603', 'Access denied')
    const result = [...fields.values()].map((field, index) => ({
      id: index + 1,
      displayName: field.displayName,
      dataType: field.dataType,
      ...(field.length !== undefined && { length: field.length }),
      rest: { name: field.name, readOnly: field.readOnly === true },
      soap: { name: field.name.charAt(0).toUpperCase() + field.name.slice(1), readOnly: field.readOnly === true },
    }))
    for (let i = 0; i < padding; i++) {
      result.push({
        id: 10_000 + i,
        displayName: `Padding Field ${i}`,
        dataType: 'string',
        length: 255,
        rest: { name: `paddingField${i}`, readOnly: false },
        soap: { name: `PaddingField${i}`, readOnly: false },
      })
    }
    send(response, 200, { requestId: requestId(), success: true, result })
  }

  type RecordResult = { seq: number; id?: number; status: string; reasons?: MarketoErrorBody[] }

  function skipped(seq: number, code: string, message: string): RecordResult {
    return { seq, status: 'skipped', reasons: [{ code, message }] }
  }

  /** One input record of Sync Leads. */
  function syncRecord(seq: number, record: Record<string, unknown>, action: string, lookupField: string): RecordResult {
    const rejection = rejections.find((entry) => entry.when(record))
    if (rejection) return { seq, status: 'skipped', reasons: [rejection.reason] }
    const values: Record<string, string | number | boolean> = {}
    for (const [name, value] of Object.entries(record)) {
      const field = fields.get(name)
      if (!field) return skipped(seq, '1006', `Field '${name}' not found`)
      if (name === 'id' && action !== 'updateOnly') return skipped(seq, '1003', 'Invalid data: id only with updateOnly')
      if (field.readOnly && name !== 'id') return skipped(seq, '1003', `Field '${name}' is read only`)
      if (field.dataType === 'boolean' && typeof value !== 'boolean' && value !== 'true' && value !== 'false') {
        // Marketo quotes the offending value in this message.
        return skipped(seq, '1001', `Invalid value '${String(value)}'. Required of type 'boolean'`)
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return skipped(seq, '1003', `Invalid data for field '${name}'`)
      }
      if (name === 'email' && typeof value === 'string' && /[^\x20-\x7e]/.test(value)) {
        return skipped(seq, '1003', 'Invalid email address')
      }
      if (field.length !== undefined && typeof value === 'string' && value.length > field.length) {
        return skipped(seq, '1003', `Value for field '${name}' exceeds ${field.length} characters`)
      }
      values[name] = value === 'true' ? true : value === 'false' ? false : value
    }
    const key = values[lookupField]
    if (action === 'createDuplicate') {
      return { seq, id: createLead(values).id, status: 'created' }
    }
    if (key === undefined || key === '')
      return skipped(seq, '1003', `Value for lookup field '${lookupField}' not found`)
    const found = findLeads(lookupField, key)
    if (found.length > 1 && action !== 'createOnly') {
      return skipped(seq, '1007', 'Multiple lead match lookup criteria')
    }
    const existing = found[0]
    if (action === 'createOnly' && existing) return skipped(seq, '1005', 'Lead already exists')
    if (action === 'updateOnly' && !existing) return skipped(seq, '1004', 'Lead not found')
    if (!existing) return { seq, id: createLead(values).id, status: 'created' }
    const { id: _ignored, ...changes } = values
    Object.assign(existing.fields, changes)
    existing.updates++
    return { seq, id: existing.id, status: 'updated' }
  }

  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/lead-database/leads#create-and-update
  function syncLeads(request: FakeRequest, response: ServerResponse) {
    if (request.method !== 'POST') return marketoError(response, '605', 'Request method not supported')
    if (role !== 'read-write') return marketoError(response, '603', 'Access denied')
    if (!request.headers['content-type']?.startsWith('application/json')) {
      return marketoError(response, '612', 'Invalid Content Type')
    }
    const body = request.json as Record<string, unknown> | undefined
    if (body === undefined || typeof body !== 'object' || body === null) {
      return marketoError(response, '609', 'Invalid JSON')
    }
    const action = body.action ?? 'createOrUpdate'
    if (typeof action !== 'string' || !actions.has(action)) {
      return marketoError(response, '1003', `Invalid action '${String(action)}'`)
    }
    const lookupField = body.lookupField ?? 'email'
    if (typeof lookupField !== 'string' || !fields.has(lookupField)) {
      return marketoError(response, '1006', `Field '${String(lookupField)}' not found`)
    }
    if (lookupField === 'id' && action !== 'updateOnly') {
      return marketoError(response, '1003', "lookupField 'id' is only allowed with updateOnly")
    }
    if (body.partitionName !== undefined && action === 'updateOnly') {
      return marketoError(response, '1003', 'partitionName only with createOnly or createOrUpdate')
    }
    const input = body.input
    if (!Array.isArray(input) || input.length === 0) {
      return marketoError(response, '1002', "Missing value for the required parameter 'input'")
    }
    if (input.length > maxBatch) return marketoError(response, '1003', `Batch size exceeds ${maxBatch}`)
    const keys = input.map((record: Record<string, unknown>) => String(record?.[lookupField] ?? '').toLowerCase())
    if (new Set(keys.filter(Boolean)).size < keys.filter(Boolean).length) sameKeyInOneCall++
    const result = input.map((record: unknown, seq) =>
      typeof record === 'object' && record !== null && !Array.isArray(record)
        ? syncRecord(seq, record as Record<string, unknown>, action, lookupField)
        : skipped(seq, '1003', 'Invalid data'),
    )
    send(response, 200, { requestId: requestId(), success: true, result })
  }

  function deleteLeads(request: FakeRequest, response: ServerResponse) {
    if (request.method !== 'POST') return marketoError(response, '605', 'Request method not supported')
    if (role !== 'read-write') return marketoError(response, '603', 'Access denied')
    const input = (request.json as { input?: unknown } | undefined)?.input
    if (!Array.isArray(input) || input.length === 0) {
      return marketoError(response, '1002', "Missing value for the required parameter 'input'")
    }
    if (input.length > maxBatch) return marketoError(response, '1003', `Batch size exceeds ${maxBatch}`)
    const result = input.map((entry: { id?: unknown }) => {
      const id = typeof entry?.id === 'number' ? entry.id : Number.NaN
      if (!leads.has(id))
        return { id: entry?.id, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] }
      leads.delete(id)
      deleted.push(id)
      return { id, status: 'deleted' }
    })
    send(response, 200, { requestId: requestId(), success: true, result })
  }

  async function handle(request: FakeRequest, response: ServerResponse): Promise<void> {
    if (request.path === '/identity/oauth/token' && (request.method === 'GET' || request.method === 'POST')) {
      return identity(request, response)
    }
    if (!request.path.startsWith('/rest/')) return send(response, 404, '<html><body>Not Found</body></html>')
    if (scripted(restScript, response)) return
    if (Buffer.byteLength(request.body) > maxBodyBytes) return send(response, 413, 'Request Entity Too Large')
    if (!authorised(request, response)) return
    if (inFlight > 10) return marketoError(response, '615', 'Concurrent access limit reached')
    if (!withinLimits(response)) return
    if (request.path === '/rest/v1/leads.json') return syncLeads(request, response)
    if (request.path === '/rest/v1/leads/delete.json') return deleteLeads(request, response)
    if (request.path === '/rest/v1/leads/describe.json' && request.method === 'GET') return describe(response)
    return marketoError(response, '610', 'Requested resource not found')
  }

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const url = new URL(incoming.url ?? '/', 'http://fake')
      const recorded: FakeRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: headersOf(incoming),
        body,
        json: parseJson(body),
      }
      requests.push(recorded)
      const rest = recorded.path.startsWith('/rest/')
      if (rest) inFlight++
      response.on('close', () => {
        if (rest) inFlight--
      })
      handle(recorded, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { error: String(error) })
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    syncCalls: () => requests.filter((r) => r.path === '/rest/v1/leads.json' && r.method === 'POST'),
    identityCalls: () => requests.filter((r) => r.path === '/identity/oauth/token'),
    leads,
    deleted,
    findLeads: (field, value) => findLeads(field, value),
    seedLead: (values) => createLead(values),
    sameKeyInOneCall: () => sameKeyInOneCall,
    tokensIssued,
    expireTokens() {
      const at = now()
      for (const token of tokens.values()) token.expiresAt = Math.min(token.expiresAt, at)
    },
    revokeTokens() {
      tokens.clear()
    },
    setCredentials(id, secret) {
      clientId = id
      clientSecret = secret
    },
    setRole(next) {
      role = next
    },
    addField(field) {
      fields.set(field.name, field)
    },
    removeField(name) {
      fields.delete(name)
    },
    padDescribe(count) {
      padding = count
    },
    failNext(...failures) {
      restScript.push(...failures)
    },
    failIdentityNext(...failures) {
      identityScript.push(...failures)
    },
    rejectRecords(when, reason) {
      rejections.push({ when, reason })
    },
    clearRejections() {
      rejections = []
    },
    inFlight: () => inFlight,
    async close() {
      // Hung requests and keep-alive sockets would otherwise hold `close` open.
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
