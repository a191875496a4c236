/**
 * A Salesforce org on 127.0.0.1, written from the published REST API, OAuth and Web-to-Lead documentation (see
 * ../shared/reference/destination-apis.md §1 and §7), not from Leadrelay's client. One fake serves the token
 * endpoint, the REST API under /services/data/vNN.N and the Web-to-Lead servlet, keeps Leads by id and by
 * external id, records every request, and can be told to fail the ways Salesforce does.
 *
 * Faithful details: form-encoded token requests for the client credentials and JWT bearer flows (RS256 checked
 * with the public key); tokens without expiry that stop working when `expireTokens()` is called (401
 * INVALID_SESSION_ID); top-level errors as `[{ message, errorCode, fields }]`, per-record errors in sObject
 * Collections as `{ statusCode, message, fields }`; upsert answers 201/200 with `created`, 300 with record URLs
 * on several matches, 404 NOT_FOUND for an unknown external id field; Lead's required fields, field lengths,
 * field-level security, restricted picklists, validation rules and duplicate rules; `Sforce-Limit-Info` on every
 * API answer; a SOQL subset with the documented string escapes; Web-to-Lead answering 200 whatever happens.
 * `DELETE /sobjects/Lead/{Id}` and `DELETE /sobjects/Lead/{externalIdField}/{value}` answer 204 and move the Lead to
 * `deleted`; an unknown or already deleted Lead is a 404 NOT_FOUND
 * (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_delete_record.htm and
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm for the external id form).
 */

import { createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeRequest {
  readonly method: string
  /** Path without the query. */
  readonly path: string
  readonly query: URLSearchParams
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly json?: unknown
  readonly form?: URLSearchParams
  /** Which part of the org answered it. */
  readonly area: 'token' | 'api' | 'webToLead' | 'other'
}

export interface FieldDef {
  readonly name: string
  readonly type: 'id' | 'string' | 'email' | 'phone' | 'textarea' | 'picklist' | 'boolean' | 'datetime' | 'reference'
  readonly length?: number
  readonly createable: boolean
  readonly updateable: boolean
  readonly nillable: boolean
  readonly externalId?: boolean
  readonly unique?: boolean
  readonly restrictedPicklist?: boolean
  readonly picklistValues?: readonly string[]
  /** Set by Salesforce when left out on create. */
  readonly defaultValue?: string | boolean
}

export type FakeLead = Record<string, unknown> & { Id: string }

/** An answer to send instead of the real one. */
export type FakeFailure =
  | 'expired-session'
  | 'validation'
  | 'duplicate'
  | 'rate-limit'
  | 'concurrent-limit'
  | 'lock'
  | 'server-error'
  | 'unavailable'
  | 'hang'
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }

export interface FailOptions {
  /** How many matching requests get it (default 1). */
  readonly times?: number
  /** Which requests: the REST API (default), the token endpoint, the Web-to-Lead servlet. */
  readonly area?: FakeRequest['area']
  readonly when?: (request: FakeRequest) => boolean
}

export interface SalesforceFakeOptions {
  readonly clientId?: string
  readonly clientSecret?: string
  /** Enables the JWT bearer flow for `username`, checking signatures with `publicKey`. */
  readonly jwt?: { readonly publicKey: KeyObject | string; readonly username: string }
  readonly orgId?: string
  /** The org's clock, for JWT `exp` (default Date.now). */
  readonly now?: () => number
  /** Daily API request allocation reported in Sforce-Limit-Info. */
  readonly apiLimit?: number
}

export interface SalesforceFake {
  /** `http://127.0.0.1:<port>`: the login URL, the instance URL and the Web-to-Lead host at once. */
  readonly url: string
  readonly webToLeadUrl: string
  readonly orgId: string
  readonly clientId: string
  readonly clientSecret: string
  readonly requests: FakeRequest[]
  /** Leads by Id. */
  readonly leads: Map<string, FakeLead>
  /** The Ids of Leads deleted through the REST API, in order. */
  readonly deleted: string[]
  /** Lead fields by name: change it to simulate a different org (see `setField`, `removeField`). */
  readonly schema: Map<string, FieldDef>
  /** Requests to the REST API (not the token endpoint), oldest first. */
  apiRequests(): FakeRequest[]
  tokenRequests(): FakeRequest[]
  leadsWhere(predicate: (lead: FakeLead) => boolean): FakeLead[]
  leadByExternalId(value: string, field?: string): FakeLead | undefined
  /** A Lead that was already there (created by someone else), bypassing validation. */
  seedLead(fields: Record<string, unknown>): FakeLead
  failNext(failure: FakeFailure, options?: FailOptions): void
  /** Every token issued so far stops working (sessions expire). */
  expireTokens(): void
  /** Refuses every token, even new ones: an integration user who lost API access. */
  refuseAllSessions(refuse: boolean): void
  /** Runs on every save; a returned message refuses it with FIELD_CUSTOM_VALIDATION_EXCEPTION. */
  addValidationRule(rule: (lead: Readonly<Record<string, unknown>>) => string | undefined): void
  /** An org duplicate rule on Email: `block` refuses, `alert` refuses unless the request says allowSave=true. */
  setDuplicateRule(rule: 'off' | 'block' | 'alert'): void
  setField(name: string, patch: Partial<FieldDef>): void
  removeField(name: string): void
  /** Object permissions of the integration user on Lead (describe `createable` / `updateable`; saves refused). */
  setObjectAccess(access: { createable: boolean; updateable: boolean }): void
  /** Pads the describe answer with filler fields (before the custom ones) until it is at least this many bytes. */
  padDescribeTo(bytes: number): void
  close(): Promise<void>
}

const jwtGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const jwtAudiences = new Set(['https://login.salesforce.com', 'https://test.salesforce.com'])
const minVersion = 20
const maxVersion = 66

function standardLeadSchema(): Map<string, FieldDef> {
  const text = (name: string, length: number, extra: Partial<FieldDef> = {}): FieldDef => ({
    name,
    type: 'string',
    length,
    createable: true,
    updateable: true,
    nillable: true,
    ...extra,
  })
  const system = (name: string, type: FieldDef['type'], length?: number): FieldDef => ({
    name,
    type,
    ...(length !== undefined && { length }),
    createable: false,
    updateable: false,
    nillable: false,
  })
  const flag = (name: string): FieldDef => ({
    name,
    type: 'boolean',
    createable: true,
    updateable: true,
    nillable: false,
    defaultValue: false,
  })
  const fields: FieldDef[] = [
    system('Id', 'id', 18),
    system('IsDeleted', 'boolean'),
    text('LastName', 80, { nillable: false }),
    text('FirstName', 40),
    system('Name', 'string', 121),
    text('Title', 128),
    text('Company', 255, { nillable: false }),
    text('Country', 80),
    { ...text('Phone', 40), type: 'phone' },
    { ...text('Email', 80), type: 'email' },
    {
      ...text('LeadSource', 255),
      type: 'picklist',
      restrictedPicklist: false,
      picklistValues: ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'],
    },
    {
      ...text('Status', 255, { nillable: false }),
      type: 'picklist',
      restrictedPicklist: true,
      picklistValues: ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'],
      defaultValue: 'Open - Not Contacted',
    },
    { ...text('Description', 32_000), type: 'textarea' },
    flag('HasOptedOutOfEmail'),
    flag('DoNotCall'),
    system('IsConverted', 'boolean'),
    { ...system('OwnerId', 'reference', 18), createable: true, updateable: true, defaultValue: '0055g00000FAKEUSER' },
    system('CreatedDate', 'datetime'),
    system('LastModifiedDate', 'datetime'),
    text('Leadrelay_Id__c', 64, { externalId: true, unique: true }),
  ]
  return new Map(fields.map((field) => [field.name, field]))
}

function apiError(errorCode: string, message: string, fields?: string[]) {
  return { message, errorCode, ...(fields && { fields }) }
}

class SaveError extends Error {
  readonly code: string
  readonly fields: string[]
  readonly extra: Record<string, unknown>
  constructor(code: string, message: string, fields: string[] = [], extra: Record<string, unknown> = {}) {
    super(message)
    this.code = code
    this.fields = fields
    this.extra = extra
  }
}

/** Errors in the request itself (unknown field, wrong JSON type): the whole call fails with 400. */
class RequestError extends SaveError {}

// ---- SOQL subset: SELECT f[, f] FROM Lead [WHERE f = lit [AND f = lit]] [ORDER BY f [ASC|DESC]] [LIMIT n] ----

type Literal = string | number | boolean | null
type Token = { kind: 'word'; text: string } | { kind: 'string'; value: string } | { kind: 'symbol'; text: string }

const soqlEscapes: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < soql.length) {
    const char = soql[i]!
    if (/\s/.test(char)) {
      i++
    } else if (char === "'") {
      let value = ''
      i++
      for (;;) {
        if (i >= soql.length) throw new SaveError('MALFORMED_QUERY', 'unterminated string literal')
        const c = soql[i]!
        if (c === "'") break
        if (c === '\\') {
          const next = soql[i + 1] ?? ''
          if (next.toLowerCase() === 'u' && /^[0-9a-fA-F]{4}$/.test(soql.slice(i + 2, i + 6))) {
            value += String.fromCharCode(Number.parseInt(soql.slice(i + 2, i + 6), 16))
            i += 6
            continue
          }
          const escaped = soqlEscapes[next] ?? soqlEscapes[next.toLowerCase()]
          if (escaped === undefined || (next !== next.toLowerCase() && !/[NRTBF]/.test(next))) {
            throw new SaveError('MALFORMED_QUERY', `Invalid string literal: illegal escape sequence \\${next}`)
          }
          value += escaped
          i += 2
          continue
        }
        value += c
        i++
      }
      i++
      tokens.push({ kind: 'string', value })
    } else if (char === ',' || char === '=') {
      tokens.push({ kind: 'symbol', text: char })
      i++
    } else {
      const match = /^[A-Za-z0-9_.@+-]+/.exec(soql.slice(i))
      if (!match) throw new SaveError('MALFORMED_QUERY', `unexpected character ${char}`)
      tokens.push({ kind: 'word', text: match[0] })
      i += match[0].length
    }
  }
  return tokens
}

interface Soql {
  readonly fields: string[]
  readonly where: { field: string; value: Literal }[]
  readonly orderBy?: { field: string; descending: boolean }
  readonly limit?: number
}

function parseSoql(soql: string, resolveField: (name: string) => string): Soql {
  const tokens = tokenize(soql)
  let at = 0
  const malformed = (): never => {
    throw new SaveError('MALFORMED_QUERY', `unexpected token near position ${at} in the query`)
  }
  const keyword = (word: string) => {
    const token = tokens[at]
    if (token?.kind === 'word' && token.text.toUpperCase() === word) {
      at++
      return true
    }
    return false
  }
  const word = (): string => {
    const token = tokens[at++]
    return token?.kind === 'word' ? token.text : malformed()
  }
  if (!keyword('SELECT')) malformed()
  const fields = [resolveField(word())]
  while (tokens[at]?.kind === 'symbol' && (tokens[at] as { text: string }).text === ',') {
    at++
    fields.push(resolveField(word()))
  }
  if (!keyword('FROM')) malformed()
  if (word().toLowerCase() !== 'lead') throw new SaveError('INVALID_TYPE', 'sObject type is not supported')
  const where: Soql['where'] = []
  if (keyword('WHERE')) {
    do {
      const field = resolveField(word())
      const eq = tokens[at++]
      if (eq?.kind !== 'symbol' || eq.text !== '=') malformed()
      const token = tokens[at++]
      let value: Literal
      if (token?.kind === 'string') value = token.value
      else if (token?.kind === 'word' && /^(true|false|null)$/i.test(token.text)) {
        value = token.text.toLowerCase() === 'null' ? null : token.text.toLowerCase() === 'true'
      } else if (token?.kind === 'word' && /^\d+$/.test(token.text)) value = Number(token.text)
      else value = malformed()
      where.push({ field, value })
    } while (keyword('AND'))
  }
  let orderBy: Soql['orderBy']
  if (keyword('ORDER')) {
    if (!keyword('BY')) malformed()
    const field = resolveField(word())
    const descending = keyword('DESC')
    if (!descending) keyword('ASC')
    orderBy = { field, descending }
  }
  let limit: number | undefined
  if (keyword('LIMIT')) {
    const text = word()
    if (!/^\d+$/.test(text)) malformed()
    limit = Number(text)
  }
  if (at !== tokens.length) malformed()
  return { fields, where, ...(orderBy && { orderBy }), ...(limit !== undefined && { limit }) }
}

// ---- the server ----

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(', ')
  }
  return headers
}

function idOf(prefix: string, n: number): string {
  // 18 characters like a real record id: key prefix, pod, counter, checksum-like suffix.
  return `${prefix}5g00000${n.toString(36).toUpperCase().padStart(5, '0')}AAA`
}

export async function startSalesforceFake(options: SalesforceFakeOptions = {}): Promise<SalesforceFake> {
  const clientId = options.clientId ?? '3MVG9fake.consumer.key'
  const clientSecret = options.clientSecret ?? 'FAKE0CONSUMER0SECRET'
  const orgId = options.orgId ?? '00D5g000000FAKEAAA'
  const now = options.now ?? Date.now
  const apiLimit = options.apiLimit ?? 15_000
  const jwtKey = !options.jwt
    ? undefined
    : typeof options.jwt.publicKey !== 'string' && options.jwt.publicKey.type === 'public'
      ? options.jwt.publicKey
      : createPublicKey(options.jwt.publicKey)
  const requests: FakeRequest[] = []
  const leads = new Map<string, FakeLead>()
  const deleted: string[] = []
  /** Creation order, for ORDER BY CreatedDate when several Leads share a timestamp. */
  const sequence = new Map<string, number>()
  const schema = standardLeadSchema()
  const validTokens = new Set<string>()
  const validationRules: Array<(lead: Readonly<Record<string, unknown>>) => string | undefined> = []
  const scripted: Array<{ failure: FakeFailure; left: number; area: FakeRequest['area']; when?: FailOptions['when'] }> =
    []
  let duplicateRule: 'off' | 'block' | 'alert' = 'off'
  let refuseSessions = false
  let describePadding = 0
  let objectAccess = { createable: true, updateable: true }
  let apiUsage = 0
  let counter = 0
  let url = ''

  const fieldNamed = (name: string): FieldDef | undefined =>
    schema.get(name) ?? [...schema.values()].find((field) => field.name.toLowerCase() === name.toLowerCase())

  function recordUrl(version: string, id: string): string {
    return `/services/data/v${version}/sobjects/Lead/${id}`
  }

  // ---- validation, as Salesforce applies it on save ----

  /** Deserialisation: unknown fields and wrong JSON types fail the whole request. */
  function checkShape(body: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(body)) {
      if (name === 'attributes') continue
      const field = schema.get(name)
      if (!field) {
        throw new RequestError('INVALID_FIELD', `No such column '${name}' on sobject of type Lead`, [name])
      }
      if (value === null) continue
      const expected = field.type === 'boolean' ? 'boolean' : 'string'
      if (typeof value !== expected) {
        throw new RequestError(
          'JSON_PARSER_ERROR',
          `Cannot deserialize instance of ${expected} from ${typeof value} value for field ${name}`,
          [name],
        )
      }
    }
  }

  function validateSave(
    existing: FakeLead | undefined,
    changes: Record<string, unknown>,
    allowSave: boolean,
  ): Record<string, unknown> {
    const creating = existing === undefined
    if (creating ? !objectAccess.createable : !objectAccess.updateable) {
      throw new SaveError(
        'INSUFFICIENT_ACCESS_OR_READONLY',
        `insufficient access rights on object id${creating ? '' : `: ${existing.Id}`}`,
      )
    }
    for (const [name, value] of Object.entries(changes)) {
      if (name === 'attributes') continue
      const field = schema.get(name)!
      if (creating ? !field.createable : !field.updateable) {
        throw new SaveError(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to ${creating ? 'create' : 'update'} fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [name],
        )
      }
      if (typeof value === 'string') {
        if (field.length !== undefined && value.length > field.length) {
          throw new SaveError(
            'STRING_TOO_LONG',
            `${name}: data value too large: ${value.slice(0, 20)} (max length=${field.length})`,
            [name],
          )
        }
        if (field.type === 'email' && value !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
          throw new SaveError('INVALID_EMAIL_ADDRESS', `${name}: invalid email address: ${value}`, [name])
        }
        if (field.restrictedPicklist && value !== '' && !(field.picklistValues ?? []).includes(value)) {
          throw new SaveError(
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            `${field.name}: bad value for restricted picklist field: ${value}`,
            [name],
          )
        }
      }
    }
    const merged: Record<string, unknown> = { ...existing }
    for (const [name, value] of Object.entries(changes)) if (name !== 'attributes') merged[name] = value
    if (creating) {
      for (const field of schema.values()) {
        if (merged[field.name] === undefined && field.defaultValue !== undefined)
          merged[field.name] = field.defaultValue
      }
    }
    const missing = [...schema.values()]
      .filter((field) => !field.nillable && field.createable && field.type !== 'boolean')
      .filter((field) => merged[field.name] === undefined || merged[field.name] === null || merged[field.name] === '')
      .map((field) => field.name)
    if (missing.length > 0) {
      throw new SaveError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing)
    }
    for (const rule of validationRules) {
      const message = rule(merged)
      if (message) throw new SaveError('FIELD_CUSTOM_VALIDATION_EXCEPTION', message)
    }
    if (creating && duplicateRule !== 'off' && !(duplicateRule === 'alert' && allowSave)) {
      const email = typeof merged.Email === 'string' ? merged.Email.toLowerCase() : undefined
      const match = email && [...leads.values()].find((lead) => String(lead.Email ?? '').toLowerCase() === email)
      if (match) {
        throw new SaveError('DUPLICATES_DETECTED', 'Use one of these records?', [], {
          duplicateResult: {
            allowSave: duplicateRule === 'alert',
            duplicateRule: 'Standard_Lead_Duplicate_Rule',
            duplicateRuleEntityType: 'Lead',
            errorMessage: 'Use one of these records?',
            matchResults: [
              {
                entityType: 'Lead',
                errors: [],
                matchEngine: 'FuzzyMatchEngine',
                matchRecords: [
                  {
                    additionalInformation: [],
                    fieldDiffs: [],
                    matchConfidence: 100,
                    record: { attributes: { type: 'Lead', url: recordUrl('60.0', match.Id) }, Id: match.Id },
                  },
                ],
                rule: 'Standard_Lead_Match_Rule_v1_0',
                size: 1,
                success: true,
              },
            ],
          },
        })
      }
    }
    if (existing?.IsConverted === true) {
      throw new SaveError('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead')
    }
    return merged
  }

  function store(existing: FakeLead | undefined, merged: Record<string, unknown>): FakeLead {
    const stamp = new Date(now()).toISOString()
    if (existing) {
      const updated = { ...merged, LastModifiedDate: stamp, Id: existing.Id } as FakeLead
      leads.set(existing.Id, updated)
      return updated
    }
    const id = idOf('00Q', ++counter)
    const created: FakeLead = {
      ...merged,
      Id: id,
      IsConverted: merged.IsConverted ?? false,
      IsDeleted: false,
      CreatedDate: stamp,
      LastModifiedDate: stamp,
    }
    sequence.set(id, counter)
    leads.set(id, created)
    return created
  }

  function matchesByExternalId(field: string, value: string): FakeLead[] {
    return [...leads.values()].filter((lead) => lead[field] === value)
  }

  // ---- answering ----

  function send(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
    response.writeHead(status, {
      ...(text !== '' && { 'content-type': 'application/json;charset=UTF-8' }),
      ...headers,
    })
    response.end(text)
  }

  function limitHeader(): Record<string, string> {
    return { 'sforce-limit-info': `api-usage=${apiUsage}/${apiLimit}` }
  }

  function scriptedReply(failure: FakeFailure): { status: number; body?: unknown; headers?: Record<string, string> } {
    switch (failure) {
      case 'expired-session':
        return { status: 401, body: [apiError('INVALID_SESSION_ID', 'Session expired or invalid')] }
      case 'validation':
        return {
          status: 400,
          body: [apiError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [Company]', ['Company'])],
        }
      case 'duplicate':
        return { status: 400, body: [apiError('DUPLICATES_DETECTED', 'Use one of these records?')] }
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm: 403 "If the error
      // code is REQUEST_LIMIT_EXCEEDED, you've exceeded API request limits in your org"; no Retry-After is sent.
      case 'rate-limit':
        return {
          status: 403,
          body: [apiError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.')],
          headers: { 'sforce-limit-info': `api-usage=${apiLimit}/${apiLimit}` },
        }
      case 'concurrent-limit':
        return {
          status: 403,
          body: [apiError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.')],
        }
      case 'lock':
        return {
          status: 400,
          body: [apiError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record')],
        }
      case 'server-error':
        return {
          status: 500,
          body: [
            apiError(
              'UNKNOWN_EXCEPTION',
              'An unexpected error occurred. Please include this ErrorId if you contact support: 1234-5678 (-1)',
            ),
          ],
        }
      case 'unavailable':
        return { status: 503, body: [apiError('SERVER_UNAVAILABLE', 'Server temporarily unavailable')] }
      case 'hang':
        return { status: 0 }
      default:
        return { status: failure.status, body: failure.body, ...(failure.headers && { headers: failure.headers }) }
    }
  }

  function takeScripted(request: FakeRequest): FakeFailure | undefined {
    const index = scripted.findIndex((entry) => entry.area === request.area && (!entry.when || entry.when(request)))
    const entry = scripted[index]
    if (!entry) return undefined
    entry.left--
    if (entry.left <= 0) scripted.splice(index, 1)
    return entry.failure
  }

  function tokenAnswer(request: FakeRequest, response: ServerResponse) {
    const invalid = (error: string, description: string) =>
      send(response, 400, { error, error_description: description })
    if (request.method !== 'POST') return send(response, 405, '')
    if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return invalid('unsupported_grant_type', 'grant type not supported')
    }
    const form = request.form!
    const grant = form.get('grant_type')
    if (grant === 'client_credentials') {
      if (form.get('client_id') !== clientId) return invalid('invalid_client_id', 'client identifier invalid')
      if (form.get('client_secret') !== clientSecret) return invalid('invalid_client', 'invalid client credentials')
    } else if (grant === jwtGrant) {
      if (!options.jwt || !jwtKey) return invalid('invalid_grant', 'invalid assertion')
      const parts = (form.get('assertion') ?? '').split('.')
      if (parts.length !== 3) return invalid('invalid_grant', 'invalid assertion')
      const [header, payload, signature] = parts as [string, string, string]
      let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown }
      try {
        const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }
        if (head.alg !== 'RS256') return invalid('invalid_grant', 'invalid assertion')
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      } catch {
        return invalid('invalid_grant', 'invalid assertion')
      }
      const signed = verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${payload}`),
        jwtKey,
        Buffer.from(signature, 'base64url'),
      )
      if (!signed) return invalid('invalid_grant', 'invalid assertion')
      if (claims.iss !== clientId) return invalid('invalid_client_id', 'client identifier invalid')
      if (typeof claims.aud !== 'string' || !jwtAudiences.has(claims.aud)) {
        return invalid('invalid_grant', 'audience is invalid')
      }
      const nowSeconds = now() / 1000
      if (typeof claims.exp !== 'number' || claims.exp < nowSeconds || claims.exp > nowSeconds + 180 + 5) {
        return invalid('invalid_grant', 'expired authorization code')
      }
      if (claims.sub !== options.jwt.username) return invalid('invalid_grant', "user hasn't approved this consumer")
    } else {
      return invalid('unsupported_grant_type', 'grant type not supported')
    }
    const token = `${orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`
    validTokens.add(token)
    send(response, 200, {
      access_token: token,
      signature: randomBytes(32).toString('base64'),
      scope: 'api',
      instance_url: url,
      id: `https://login.salesforce.com/id/${orgId}/0055g00000FAKEUSER`,
      token_type: 'Bearer',
      issued_at: String(now()),
    })
  }

  function describe(): unknown {
    const filler: unknown[] = []
    const standard = [...schema.values()].filter((field) => !field.name.endsWith('__c'))
    const custom = [...schema.values()].filter((field) => field.name.endsWith('__c'))
    const render = (field: FieldDef) => ({
      aggregatable: true,
      autoNumber: false,
      byteLength: (field.length ?? 0) * 3,
      calculated: false,
      caseSensitive: false,
      createable: field.createable,
      custom: field.name.endsWith('__c'),
      defaultValue: field.defaultValue ?? null,
      externalId: field.externalId === true,
      filterable: true,
      idLookup: field.externalId === true || field.name === 'Id' || field.name === 'Email',
      label: field.name.replace(/__c$/, '').replace(/_/g, ' '),
      length: field.length ?? 0,
      name: field.name,
      nillable: field.nillable,
      picklistValues: (field.picklistValues ?? []).map((value) => ({
        active: true,
        defaultValue: value === field.defaultValue,
        label: value,
        validFor: null,
        value,
      })),
      restrictedPicklist: field.restrictedPicklist === true,
      type: field.type,
      unique: field.unique === true,
      updateable: field.updateable,
    })
    const base = {
      actionOverrides: [],
      activateable: false,
      childRelationships: [],
      createable: objectAccess.createable,
      custom: false,
      deletable: true,
      fields: [] as unknown[],
      label: 'Lead',
      name: 'Lead',
      queryable: true,
      updateable: objectAccess.updateable,
      urls: { describe: '/services/data/v60.0/sobjects/Lead/describe' },
    }
    const fields = [...standard.map(render), ...custom.map(render)]
    let size = JSON.stringify({ ...base, fields }).length
    let n = 0
    while (size < describePadding) {
      const field = render({
        name: `Filler_${String(++n).padStart(4, '0')}__c`,
        type: 'string',
        length: 255,
        createable: true,
        updateable: true,
        nillable: true,
      })
      filler.push(field)
      size += JSON.stringify(field).length + 1
    }
    return { ...base, fields: [...standard.map(render), ...filler, ...custom.map(render)] }
  }

  function saveErrorBody(error: SaveError) {
    return [{ ...apiError(error.code, error.message, error.fields), ...error.extra }]
  }

  function runQuery(version: string, soql: string): unknown {
    const resolve = (name: string) => {
      const field = fieldNamed(name)
      if (!field) throw new RequestError('INVALID_FIELD', `No such column '${name}' on entity 'Lead'.`)
      return field.name
    }
    const query = parseSoql(soql, resolve)
    let rows = [...leads.values()].filter((lead) =>
      query.where.every(({ field, value }) => {
        const actual = lead[field] ?? null
        if (typeof value === 'string' && typeof actual === 'string') return actual.toLowerCase() === value.toLowerCase()
        return actual === value
      }),
    )
    if (query.orderBy) {
      const { field, descending } = query.orderBy
      rows.sort((a, b) => {
        const left = String(a[field] ?? '')
        const right = String(b[field] ?? '')
        const order = left < right ? -1 : left > right ? 1 : (sequence.get(a.Id) ?? 0) - (sequence.get(b.Id) ?? 0)
        return descending ? -order : order
      })
    }
    if (query.limit !== undefined) rows = rows.slice(0, query.limit)
    return {
      totalSize: rows.length,
      done: true,
      records: rows.map((lead) => ({
        attributes: { type: 'Lead', url: recordUrl(version, lead.Id) },
        ...Object.fromEntries(query.fields.map((field) => [field, lead[field] ?? null])),
      })),
    }
  }

  function upsertOne(
    field: string,
    value: string,
    body: Record<string, unknown>,
    allowSave: boolean,
  ): { lead: FakeLead; created: boolean } {
    const matches = matchesByExternalId(field, value)
    if (matches.length > 1)
      throw new SaveError('DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${value}`, [field])
    const existing = matches[0]
    const merged = validateSave(existing, { ...body, [field]: value }, allowSave)
    return { lead: store(existing, merged), created: existing === undefined }
  }

  function apiAnswer(request: FakeRequest, response: ServerResponse) {
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(request.path)
    const notFound = () =>
      send(response, 404, [apiError('NOT_FOUND', 'The requested resource does not exist')], limitHeader())
    if (!match) return notFound()
    const version = match[1]!
    const major = Number(version)
    if (!/^\d+\.0$/.test(version) || major < minVersion || major > maxVersion) return notFound()
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    if (!token || !validTokens.has(token) || refuseSessions) {
      return send(response, 401, [apiError('INVALID_SESSION_ID', 'Session expired or invalid')])
    }
    apiUsage++
    const rest = match[2] ?? ''
    const allowSave = /allowSave\s*=\s*true/i.test(request.headers['sforce-duplicate-rule-header'] ?? '')
    const ok = (status: number, body?: unknown) => send(response, status, body, limitHeader())
    const fail = (status: number, body: unknown) => send(response, status, body, limitHeader())
    const needsJson = request.method === 'POST' || request.method === 'PATCH'
    if (needsJson) {
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
        return fail(415, [apiError('UNSUPPORTED_MEDIA_TYPE', 'Content type not supported')])
      }
      if (typeof request.json !== 'object' || request.json === null) {
        return fail(400, [apiError('JSON_PARSER_ERROR', 'The request body is not a JSON object')])
      }
    }
    const body = (request.json ?? {}) as Record<string, unknown>
    const guard = (work: () => void) => {
      try {
        work()
      } catch (error) {
        if (error instanceof SaveError) return fail(400, saveErrorBody(error))
        throw error
      }
    }
    const removeLead = (lead: FakeLead | undefined) => {
      if (!lead) return notFound()
      leads.delete(lead.Id)
      deleted.push(lead.Id)
      return ok(204)
    }
    const methodNotAllowed = (allowed: string) =>
      fail(405, [apiError('METHOD_NOT_ALLOWED', `HTTP Method '${request.method}' not allowed. Allowed are ${allowed}`)])

    if (rest === '/sobjects/Lead/describe') {
      return request.method === 'GET' ? ok(200, describe()) : methodNotAllowed('GET,HEAD')
    }
    if (rest === '/query') {
      if (request.method !== 'GET') return methodNotAllowed('GET,HEAD')
      const soql = request.query.get('q')
      if (!soql) return fail(400, [apiError('MALFORMED_QUERY', 'A query string has to be specified')])
      return guard(() => ok(200, runQuery(version, soql)))
    }
    if (rest === '/sobjects/Lead') {
      if (request.method !== 'POST') return methodNotAllowed('GET,HEAD,POST')
      return guard(() => {
        checkShape(body)
        if ('Id' in body) throw new RequestError('INVALID_FIELD', 'Unable to create/update fields: Id', ['Id'])
        const lead = store(undefined, validateSave(undefined, body, allowSave))
        ok(201, { id: lead.Id, success: true, errors: [] })
      })
    }
    const byId = /^\/sobjects\/Lead\/([A-Za-z0-9]{15}|[A-Za-z0-9]{18})$/.exec(rest)
    if (byId && byId[1]!.startsWith('00Q')) {
      if (request.method === 'DELETE') return removeLead(leads.get(byId[1]!))
      if (request.method !== 'PATCH') return methodNotAllowed('GET,HEAD,PATCH,DELETE')
      const existing = leads.get(byId[1]!)
      if (!existing) return notFound()
      return guard(() => {
        checkShape(body)
        store(existing, validateSave(existing, body, allowSave))
        ok(204)
      })
    }
    const byExternalId = /^\/sobjects\/Lead\/([A-Za-z0-9_]+)\/([^/]+)$/.exec(rest)
    if (byExternalId && request.method === 'DELETE') {
      const field = schema.get(byExternalId[1]!)
      if (field?.externalId !== true) return notFound()
      const matches = matchesByExternalId(field.name, decodeURIComponent(byExternalId[2]!))
      return matches.length > 1
        ? fail(
            300,
            matches.map((lead) => recordUrl(version, lead.Id)),
          )
        : removeLead(matches[0])
    }
    if (byExternalId) {
      if (request.method !== 'PATCH') return methodNotAllowed('GET,HEAD,PATCH,DELETE')
      const field = schema.get(byExternalId[1]!)
      const value = decodeURIComponent(byExternalId[2]!)
      if (field?.externalId !== true) {
        return fail(404, [
          apiError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${byExternalId[1]}`),
        ])
      }
      const matches = matchesByExternalId(field.name, value)
      if (matches.length > 1)
        return fail(
          300,
          matches.map((lead) => recordUrl(version, lead.Id)),
        )
      return guard(() => {
        checkShape(body)
        if (field.name in body && body[field.name] !== value) {
          throw new RequestError('INVALID_FIELD', `The value of ${field.name} in the body does not match the URL`, [
            field.name,
          ])
        }
        const { lead, created } = upsertOne(field.name, value, body, allowSave)
        ok(created ? 201 : 200, { id: lead.Id, success: true, errors: [], created })
      })
    }
    const collection = /^\/composite\/sobjects\/Lead\/([A-Za-z0-9_]+)$/.exec(rest)
    if (collection) {
      if (request.method !== 'PATCH') return methodNotAllowed('PATCH')
      const field = schema.get(collection[1]!)
      if (field?.externalId !== true) {
        return fail(404, [
          apiError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${collection[1]}`),
        ])
      }
      const records = body.records
      if (!Array.isArray(records)) return fail(400, [apiError('JSON_PARSER_ERROR', 'records is required')])
      if (records.length > 200) {
        return fail(400, [
          apiError('EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call'),
        ])
      }
      return guard(() => {
        for (const record of records) {
          if (typeof record !== 'object' || record === null)
            throw new RequestError('JSON_PARSER_ERROR', 'records must be objects')
          const attributes = (record as { attributes?: { type?: unknown } }).attributes
          if (attributes?.type !== 'Lead') {
            throw new RequestError('INVALID_TYPE', 'Each record must have attributes.type Lead')
          }
          if ('Id' in record) throw new RequestError('INVALID_FIELD', 'Use the external id, not Id', ['Id'])
          checkShape(record as Record<string, unknown>)
        }
        const allOrNone = body.allOrNone === true
        const before = new Map(leads)
        const results = records.map((record: Record<string, unknown>) => {
          const { attributes: _, [field.name]: key, ...fields } = record
          try {
            if (typeof key !== 'string' || key === '') {
              throw new SaveError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${field.name}]`, [
                field.name,
              ])
            }
            const { lead, created } = upsertOne(field.name, key, fields, allowSave)
            return { id: lead.Id, success: true, errors: [], created }
          } catch (error) {
            if (!(error instanceof SaveError)) throw error
            return {
              success: false,
              errors: [{ statusCode: error.code, message: error.message, fields: error.fields, ...error.extra }],
            }
          }
        })
        if (allOrNone && results.some((result) => !result.success)) {
          leads.clear()
          for (const [id, lead] of before) leads.set(id, lead)
          return ok(
            200,
            results.map((result) =>
              result.success
                ? {
                    success: false,
                    errors: [
                      {
                        statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                        message:
                          'Record rolled back because not all records were valid and the request was using AllOrNone header',
                        fields: [],
                      },
                    ],
                  }
                : result,
            ),
          )
        }
        ok(200, results)
      })
    }
    return notFound()
  }

  function webToLeadAnswer(request: FakeRequest, response: ServerResponse) {
    const page =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body></body></html>'
    const html = (status: number) => {
      response.writeHead(status, { 'content-type': 'text/html;charset=UTF-8' })
      response.end(page)
    }
    if (request.method === 'GET') return html(200)
    if (request.method !== 'POST') return html(405)
    const form = request.form ?? new URLSearchParams()
    // Whatever happens next, the servlet says 200: failures are emailed to the Default Lead Creator.
    if (form.get('oid') !== orgId && form.get('oid') !== orgId.slice(0, 15)) return html(200)
    const names: Record<string, string> = {
      first_name: 'FirstName',
      last_name: 'LastName',
      email: 'Email',
      company: 'Company',
      title: 'Title',
      phone: 'Phone',
      country: 'Country',
      description: 'Description',
      lead_source: 'LeadSource',
    }
    const fields: Record<string, unknown> = {}
    for (const [name, value] of form) {
      if (names[name]) fields[names[name]] = value
      else if (name === 'emailOptOut') fields.HasOptedOutOfEmail = value === '1'
      else if (name === 'doNotCall') fields.DoNotCall = value === '1'
    }
    try {
      store(undefined, validateSave(undefined, fields, false))
    } catch (error) {
      if (!(error instanceof SaveError)) throw error
    }
    html(200)
  }

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const target = new URL(incoming.url ?? '/', 'http://fake')
      const headers = headersOf(incoming)
      const contentType = headers['content-type'] ?? ''
      let json: unknown
      if (contentType.startsWith('application/json')) {
        try {
          json = JSON.parse(body)
        } catch {
          json = undefined
        }
      }
      const area: FakeRequest['area'] =
        target.pathname === '/services/oauth2/token'
          ? 'token'
          : target.pathname.startsWith('/services/data/')
            ? 'api'
            : target.pathname === '/servlet/servlet.WebToLead'
              ? 'webToLead'
              : 'other'
      const request: FakeRequest = {
        method: incoming.method ?? '',
        path: target.pathname,
        query: target.searchParams,
        headers,
        body,
        ...(json !== undefined && { json }),
        ...(contentType.startsWith('application/x-www-form-urlencoded') && { form: new URLSearchParams(body) }),
        area,
      }
      requests.push(request)
      const failure = takeScripted(request)
      if (failure !== undefined) {
        const reply = scriptedReply(failure)
        if (reply.status === 0) return
        return send(response, reply.status, reply.body, { ...(area === 'api' && limitHeader()), ...reply.headers })
      }
      if (area === 'token') return tokenAnswer(request, response)
      if (area === 'api') {
        if (json === undefined && body !== '' && contentType.startsWith('application/json')) {
          return send(response, 400, [apiError('JSON_PARSER_ERROR', 'Unexpected character in the request body')])
        }
        return apiAnswer(request, response)
      }
      if (area === 'webToLead') return webToLeadAnswer(request, response)
      send(response, 404, [apiError('NOT_FOUND', 'The requested resource does not exist')])
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    webToLeadUrl: `${url}/servlet/servlet.WebToLead?encoding=UTF-8`,
    orgId,
    clientId,
    clientSecret,
    requests,
    leads,
    deleted,
    schema,
    apiRequests: () => requests.filter((request) => request.area === 'api'),
    tokenRequests: () => requests.filter((request) => request.area === 'token'),
    leadsWhere: (predicate) => [...leads.values()].filter(predicate),
    leadByExternalId: (value, field = 'Leadrelay_Id__c') => matchesByExternalId(field, value)[0],
    seedLead(fields) {
      const defaults = [...schema.values()].filter((field) => field.defaultValue !== undefined)
      return store(undefined, {
        ...Object.fromEntries(defaults.map((field) => [field.name, field.defaultValue])),
        ...fields,
      })
    },
    failNext(failure, failOptions = {}) {
      scripted.push({
        failure,
        left: failOptions.times ?? 1,
        area: failOptions.area ?? 'api',
        ...(failOptions.when && { when: failOptions.when }),
      })
    },
    expireTokens() {
      validTokens.clear()
    },
    refuseAllSessions(refuse) {
      refuseSessions = refuse
    },
    addValidationRule(rule) {
      validationRules.push(rule)
    },
    setDuplicateRule(rule) {
      duplicateRule = rule
    },
    setField(name, patch) {
      const current = schema.get(name)
      schema.set(name, {
        ...(current ?? { name, type: 'string', createable: true, updateable: true, nillable: true }),
        ...patch,
        name,
      })
    },
    removeField(name) {
      schema.delete(name)
      for (const lead of leads.values()) delete lead[name]
    },
    setObjectAccess(access) {
      objectAccess = access
    },
    padDescribeTo(bytes) {
      describePadding = bytes
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
