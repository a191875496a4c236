/**
 * A local HubSpot CRM (contacts) on 127.0.0.1, written from HubSpot's published API reference (see
 * ../shared/reference/destination-apis.md §4 and §7), not from Leadrelay's client:
 *
 * - `Authorization: Bearer <private app token>`; unknown token → 401 `INVALID_AUTHENTICATION`, a scope the token
 *   lacks → 403 `MISSING_SCOPES` naming the scope (`crm.objects.contacts.write` to write, `.read` to read).
 * - `POST /crm/v3/objects/contacts/batch/upsert` `{"inputs":[{"idProperty":"email","id":"…","properties":{…}}]}`:
 *   1 to 100 inputs, ids unique within the call, property values strings, properties must exist, enumeration values
 *   must be options, emails must be valid. Creates or updates by email (lower-cased, as HubSpot stores it);
 *   `200 {"status":"COMPLETE","results":[…]}`. When every input carries an `objectWriteTraceId`, a bad input fails
 *   alone (207 with `numErrors` and `errors[]`, each naming its input in `context`); otherwise the first bad input
 *   fails the whole call with a 400 and nothing is written.
 * - `GET /crm/v3/objects/contacts?limit=n` and `GET /crm/v3/properties/contacts/{name}` (404 for unknown names).
 * - `POST /crm/v3/objects/contacts/gdpr-delete` `{"objectId":"…","idProperty"?:"email"}` (scope
 *   crm.objects.contacts.write): permanently deletes the contact, `204` without a body; an unknown contact is a 404
 *   `OBJECT_NOT_FOUND` (https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/post-crm-v3-objects-contacts-gdpr-delete).
 * - Lifecycle stage never moves backwards: a lower stage than the contact has is ignored (and counted, so tests can
 *   prove the connector never asked for one).
 *
 * Faults are queued with `fail(...)` and consumed by the next matching requests: expired/invalid token, missing
 * scopes, validation error, conflict (409 `CONFLICT`), rate limit (429 with `policyName`, optional `Retry-After`),
 * 5xx, hang, and partial batch failure.
 */

import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const fakeToken = 'pat-na1-11111111-2222-4333-8444-555555555555'
export const contactScopes = ['crm.objects.contacts.read', 'crm.objects.contacts.write'] as const

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

export interface FakeContact {
  readonly id: string
  properties: Record<string, string>
  readonly createdAt: string
  updatedAt: string
  /** How many upserts touched it (1 = created and never updated). */
  writes: number
}

export interface FakeProperty {
  readonly name: string
  readonly label?: string
  readonly type: 'string' | 'enumeration' | 'bool' | 'number' | 'datetime' | 'date' | 'phone_number'
  readonly fieldType: string
  readonly options?: readonly string[]
  readonly hasUniqueValue?: boolean
}

export type FakeFault =
  | { readonly kind: 'expiredToken' }
  | { readonly kind: 'invalidToken' }
  | { readonly kind: 'missingScopes'; readonly scopes?: readonly string[] }
  | {
      readonly kind: 'validation'
      readonly code: 'INVALID_EMAIL' | 'PROPERTY_DOESNT_EXIST' | 'INVALID_OPTION' | 'INVALID_INTEGER'
      readonly property: string
    }
  | { readonly kind: 'conflict'; readonly existingId?: string }
  | {
      readonly kind: 'rateLimit'
      readonly policy?: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY'
      readonly retryAfter?: string
      readonly intervalMs?: number
    }
  | { readonly kind: 'serverError'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'hang' }
  /** Processes the batch, but the inputs with these ids (emails) fail with the given category. */
  | { readonly kind: 'partial'; readonly ids: readonly string[]; readonly category: 'VALIDATION_ERROR' | 'CONFLICT' }

export type FaultTarget = 'upsert' | 'read' | 'any'

export interface HubSpotFake {
  /** `http://127.0.0.1:<port>`: the base URL a connector is configured with. */
  readonly url: string
  readonly port: number
  readonly requests: FakeRequest[]
  /** The upsert calls' bodies, in order. */
  readonly upserts: () => {
    inputs: { idProperty: string; id: string; properties: Record<string, string>; objectWriteTraceId?: string }[]
  }[]
  readonly contacts: Map<string, FakeContact>
  /** The ids of contacts deleted through the GDPR delete, in order. */
  readonly gdprDeleted: string[]
  readonly properties: Map<string, FakeProperty>
  /** Token → scopes it was granted. */
  readonly tokens: Map<string, Set<string>>
  /** Upserts that asked to move a contact's lifecycle stage backwards (HubSpot keeps the further stage). */
  readonly backwardLifecycleRequests: number
  /** With false, `objectWriteTraceId` does not enable multi-status: a bad input fails the whole call. */
  multiStatus: boolean
  /** How a 207 error names its input: by `objectWriteTraceId` (when given) or by the `ids` sent. */
  errorContext: 'objectWriteTraceId' | 'ids'
  contactByEmail(email: string): FakeContact | undefined
  addProperty(property: FakeProperty): void
  /** Queues a fault for the next `times` (default 1) requests matching `on` (default: batch upserts). */
  fail(fault: FakeFault, options?: { times?: number; on?: FaultTarget }): void
  waitForRequests(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** HubSpot's default lifecycle stages, in order (a contact only moves forward through them through the API). */
export const lifecycleOrder = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
] as const

const text = (name: string, label: string): FakeProperty => ({ name, label, type: 'string', fieldType: 'text' })

/** Standard contact properties every HubSpot account has. */
export function standardContactProperties(): FakeProperty[] {
  return [
    { ...text('email', 'Email'), hasUniqueValue: true },
    text('firstname', 'First Name'),
    text('lastname', 'Last Name'),
    { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber' },
    text('country', 'Country/Region'),
    text('company', 'Company Name'),
    text('jobtitle', 'Job Title'),
    {
      name: 'lifecyclestage',
      label: 'Lifecycle Stage',
      type: 'enumeration',
      fieldType: 'radio',
      options: [...lifecycleOrder, 'other'],
    },
    {
      name: 'hs_lead_status',
      label: 'Lead Status',
      type: 'enumeration',
      fieldType: 'radio',
      options: [
        'NEW',
        'OPEN',
        'IN_PROGRESS',
        'OPEN_DEAL',
        'UNQUALIFIED',
        'ATTEMPTED_TO_CONTACT',
        'CONNECTED',
        'BAD_TIMING',
      ],
    },
    {
      name: 'hs_email_optout',
      label: 'Unsubscribed from all email',
      type: 'enumeration',
      fieldType: 'booleancheckbox',
      options: ['true', 'false'],
    },
  ]
}

interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

interface Upsert {
  readonly idProperty: string
  readonly id: string
  readonly properties: Record<string, string>
  readonly objectWriteTraceId?: string
}

interface InputError {
  readonly category: 'VALIDATION_ERROR' | 'CONFLICT'
  readonly message: string
  readonly errors?: readonly { message: string; code: string; context?: Record<string, string[]> }[]
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(', ')
  }
  return headers
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function error(category: string, message: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra }
}

/** HubSpot's property validation message: a JSON array escaped into `message`. */
function propertyError(code: string, property: string, detail: string): InputError {
  const result = [{ isValid: false, message: detail, error: code, name: property }]
  return {
    category: 'VALIDATION_ERROR',
    message: `Property values were not valid: ${JSON.stringify(result)}`,
    errors: [{ message: detail, code, context: { propertyName: [property] } }],
  }
}

// Stricter than Leadrelay's own check, as HubSpot is: the top-level domain is at least two letters.
const validEmail = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i

function validateInput(input: Upsert, properties: Map<string, FakeProperty>): InputError | undefined {
  for (const [name, value] of Object.entries(input.properties)) {
    const property = properties.get(name)
    if (!property) return propertyError('PROPERTY_DOESNT_EXIST', name, `Property "${name}" does not exist`)
    if (property.options && value !== '' && !property.options.includes(value)) {
      return propertyError('INVALID_OPTION', name, `${value} was not one of the allowed options`)
    }
    if (name === 'email' && value !== '' && !validEmail.test(value)) {
      return propertyError('INVALID_EMAIL', 'email', `Email address ${value} is invalid`)
    }
  }
  if (!validEmail.test(input.id)) return propertyError('INVALID_EMAIL', 'email', `Email address ${input.id} is invalid`)
  return undefined
}

/** The request-level checks HubSpot makes before looking at any input: a malformed body fails the whole call. */
function parseUpsertBody(json: unknown): { inputs: Upsert[] } | { error: Reply } {
  const invalid = (message: string): { error: Reply } => ({
    error: { status: 400, body: error('VALIDATION_ERROR', message) },
  })
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { inputs?: unknown }).inputs)) {
    return invalid('Invalid input JSON on line 1: the body must be an object with an "inputs" array')
  }
  const inputs = (json as { inputs: unknown[] }).inputs
  if (inputs.length < 1 || inputs.length > 100) return invalid('inputs: size must be between 1 and 100')
  const parsed: Upsert[] = []
  for (const [index, raw] of inputs.entries()) {
    const input = raw as Record<string, unknown>
    if (typeof input !== 'object' || input === null) return invalid(`inputs[${index}] must be an object`)
    if (typeof input.id !== 'string' || input.id === '') return invalid(`inputs[${index}].id may not be null`)
    if (input.idProperty !== 'email') {
      return invalid(`inputs[${index}].idProperty must name a unique property (e.g. email)`)
    }
    const properties = input.properties
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      return invalid(`inputs[${index}].properties may not be null`)
    }
    for (const [name, value] of Object.entries(properties)) {
      if (typeof value !== 'string') return invalid(`inputs[${index}].properties.${name}: values must be strings`)
    }
    if (input.objectWriteTraceId !== undefined && typeof input.objectWriteTraceId !== 'string') {
      return invalid(`inputs[${index}].objectWriteTraceId must be a string`)
    }
    parsed.push({
      idProperty: input.idProperty,
      id: input.id.toLowerCase(),
      properties: properties as Record<string, string>,
      ...(typeof input.objectWriteTraceId === 'string' && { objectWriteTraceId: input.objectWriteTraceId }),
    })
  }
  const seen = new Set<string>()
  const duplicates = new Set<string>()
  for (const input of parsed) {
    if (seen.has(input.id)) duplicates.add(input.id)
    seen.add(input.id)
  }
  if (duplicates.size > 0) {
    return invalid(`Duplicate IDs found in batch input: [${[...duplicates].join(', ')}]. IDs must be unique`)
  }
  const traces = parsed.map((input) => input.objectWriteTraceId).filter((trace) => trace !== undefined)
  if (new Set(traces).size !== traces.length) return invalid('objectWriteTraceId values must be unique')
  return { inputs: parsed }
}

export async function startHubSpotFake(): Promise<HubSpotFake> {
  const requests: FakeRequest[] = []
  const contacts = new Map<string, FakeContact>()
  const gdprDeleted: string[] = []
  const properties = new Map(standardContactProperties().map((property) => [property.name, property]))
  const tokens = new Map<string, Set<string>>([[fakeToken, new Set(contactScopes)]])
  const faults: { fault: FakeFault; on: FaultTarget; left: number }[] = []
  const waiters: Array<() => void> = []
  let nextId = 101
  let backwardLifecycleRequests = 0
  const recentRequests: number[] = []

  const state = {
    multiStatus: true,
    errorContext: 'objectWriteTraceId' as 'objectWriteTraceId' | 'ids',
  }

  function contactByEmail(email: string): FakeContact | undefined {
    const wanted = email.toLowerCase()
    for (const contact of contacts.values()) if (contact.properties.email === wanted) return contact
    return undefined
  }

  function takeFault(target: 'upsert' | 'read'): FakeFault | undefined {
    const index = faults.findIndex((entry) => entry.on === 'any' || entry.on === target)
    const entry = faults[index]
    if (!entry) return undefined
    entry.left--
    if (entry.left <= 0) faults.splice(index, 1)
    return entry.fault
  }

  function presentContact(contact: FakeContact, extra: Record<string, unknown> = {}) {
    return {
      id: contact.id,
      properties: {
        ...contact.properties,
        hs_object_id: contact.id,
        createdate: contact.createdAt,
        lastmodifieddate: contact.updatedAt,
      },
      createdAt: contact.createdAt,
      updatedAt: contact.updatedAt,
      archived: false,
      ...extra,
    }
  }

  function write(input: Upsert, now: string): { contact: FakeContact; created: boolean } {
    const values: Record<string, string> = { ...input.properties, email: input.id }
    const existing = contactByEmail(input.id)
    const stage = values.lifecyclestage
    if (existing && stage !== undefined) {
      const had = lifecycleOrder.indexOf(existing.properties.lifecyclestage as (typeof lifecycleOrder)[number])
      const wants = lifecycleOrder.indexOf(stage as (typeof lifecycleOrder)[number])
      if (had >= 0 && wants >= 0 && wants < had) {
        backwardLifecycleRequests++
        delete values.lifecyclestage
      }
    }
    if (existing) {
      Object.assign(existing.properties, values)
      existing.updatedAt = now
      existing.writes++
      return { contact: existing, created: false }
    }
    const contact: FakeContact = { id: String(nextId++), properties: values, createdAt: now, updatedAt: now, writes: 1 }
    contacts.set(contact.id, contact)
    return { contact, created: true }
  }

  function faultReply(fault: FakeFault): Reply | 'hang' | undefined {
    switch (fault.kind) {
      case 'expiredToken':
        return {
          status: 401,
          body: error('EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 2 hour(s) ago.'),
        }
      case 'invalidToken':
        return {
          status: 401,
          body: error(
            'INVALID_AUTHENTICATION',
            'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          ),
        }
      case 'missingScopes':
        return missingScopes(fault.scopes ?? ['crm.objects.contacts.write'])
      case 'validation': {
        const detail = propertyError(fault.code, fault.property, `${fault.code} on ${fault.property}`)
        return { status: 400, body: error('VALIDATION_ERROR', detail.message, { errors: detail.errors }) }
      }
      case 'conflict':
        return {
          status: 409,
          body: error('CONFLICT', `Contact already exists. Existing ID: ${fault.existingId ?? '512'}`),
        }
      // https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines: 429 with `policyName`
      // (TEN_SECONDLY_ROLLING for the burst limit, DAILY); the X-HubSpot-RateLimit-* headers come with every answer.
      case 'rateLimit':
        return {
          status: 429,
          headers: {
            ...(fault.retryAfter !== undefined && { 'retry-after': fault.retryAfter }),
            ...(fault.intervalMs !== undefined && {
              'x-hubspot-ratelimit-interval-milliseconds': String(fault.intervalMs),
            }),
          },
          body: {
            status: 'error',
            message: `You have reached your ${(fault.policy ?? 'TEN_SECONDLY_ROLLING').toLowerCase()} limit.`,
            errorType: 'RATE_LIMIT',
            correlationId: randomUUID(),
            ...(fault.policy !== undefined && { policyName: fault.policy }),
            groupName: 'publicapi:privateapp:1234',
          },
        }
      case 'serverError':
        return {
          status: fault.status,
          headers: {
            'content-type': 'text/html',
            ...(fault.retryAfter !== undefined && { 'retry-after': fault.retryAfter }),
          },
          body: '<html><body><h1>Bad gateway</h1></body></html>',
        }
      case 'hang':
        return 'hang'
      case 'partial':
        return undefined
    }
  }

  function missingScopes(scopes: readonly string[]): Reply {
    return {
      status: 403,
      body: error(
        'MISSING_SCOPES',
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
        {
          errors: [
            {
              message: 'One or more of the following scopes are required.',
              context: { requiredGranularScopes: [...scopes] },
            },
          ],
          links: { scopes: 'https://developers.hubspot.com/scopes' },
        },
      ),
    }
  }

  function authorise(request: FakeRequest, scope: string): Reply | undefined {
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')
    const granted = match ? tokens.get(match[1]!) : undefined
    if (!granted) {
      return {
        status: 401,
        body: error(
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        ),
      }
    }
    return granted.has(scope) ? undefined : missingScopes([scope])
  }

  function upsert(request: FakeRequest, partial: Extract<FakeFault, { kind: 'partial' }> | undefined): Reply {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      return { status: 415, body: error('VALIDATION_ERROR', 'Content type must be application/json') }
    }
    const parsed = parseUpsertBody(request.json)
    if ('error' in parsed) return parsed.error
    const { inputs } = parsed
    const multi = state.multiStatus && inputs.every((input) => input.objectWriteTraceId !== undefined)
    const failures = new Map<Upsert, InputError>()
    for (const input of inputs) {
      const forced = partial?.ids.map((id) => id.toLowerCase()).includes(input.id)
      const failure: InputError | undefined = forced
        ? partial!.category === 'CONFLICT'
          ? { category: 'CONFLICT', message: 'Contact already exists. Existing ID: 512' }
          : propertyError('INVALID_EMAIL', 'email', `Email address ${input.id} is invalid`)
        : validateInput(input, properties)
      if (!failure) continue
      if (!multi) {
        return {
          status: failure.category === 'CONFLICT' ? 409 : 400,
          body: error(failure.category, failure.message, {
            ...(failure.errors && { errors: failure.errors }),
            context: { ids: [input.id] },
          }),
        }
      }
      failures.set(input, failure)
    }
    const startedAt = new Date().toISOString()
    const results = inputs
      .filter((input) => !failures.has(input))
      .map((input) => {
        const { contact, created } = write(input, new Date().toISOString())
        return presentContact(contact, {
          new: created,
          ...(input.objectWriteTraceId !== undefined && { objectWriteTraceId: input.objectWriteTraceId }),
        })
      })
    // HubSpot does not promise result order; reversing keeps clients honest about matching by id.
    results.reverse()
    const body: Record<string, unknown> = {
      status: 'COMPLETE',
      results,
      startedAt,
      completedAt: new Date().toISOString(),
    }
    if (failures.size === 0) return { status: 200, body }
    body.numErrors = failures.size
    body.errors = [...failures].map(([input, failure]) => ({
      status: 'error',
      category: failure.category,
      message: failure.message,
      context:
        state.errorContext === 'objectWriteTraceId'
          ? { objectWriteTraceId: [input.objectWriteTraceId!] }
          : { ids: [input.id] },
      ...(failure.errors && { errors: failure.errors }),
    }))
    return { status: 207, body }
  }

  function readContacts(request: FakeRequest): Reply {
    const limit = Number(request.query.get('limit') ?? '10')
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return { status: 400, body: error('VALIDATION_ERROR', 'limit must be between 1 and 100') }
    }
    const results = [...contacts.values()].slice(0, limit).map((contact) => presentContact(contact))
    return { status: 200, body: { results } }
  }

  function readProperty(name: string): Reply {
    const property = properties.get(name)
    if (!property) {
      return {
        status: 404,
        body: error('OBJECT_NOT_FOUND', `Unable to find property ${name} for object type 0-1`),
      }
    }
    return {
      status: 200,
      body: {
        name: property.name,
        label: property.label ?? property.name,
        type: property.type,
        fieldType: property.fieldType,
        groupName: 'contactinformation',
        description: '',
        options: (property.options ?? []).map((value, index) => ({
          label: value,
          value,
          displayOrder: index,
          hidden: false,
        })),
        displayOrder: -1,
        calculated: false,
        externalOptions: false,
        hasUniqueValue: property.hasUniqueValue ?? false,
        hidden: false,
        formField: true,
        archived: false,
        modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
        createdAt: '2020-01-01T00:00:00.000Z',
        updatedAt: '2020-01-01T00:00:00.000Z',
      },
    }
  }

  function gdprDelete(request: FakeRequest): Reply {
    const body = request.json as { objectId?: unknown; idProperty?: unknown } | undefined
    if (typeof body?.objectId !== 'string' || body.objectId === '') {
      return { status: 400, body: error('VALIDATION_ERROR', 'objectId is required') }
    }
    const contact =
      body.idProperty === 'email' ? contactByEmail(body.objectId.toLowerCase()) : contacts.get(body.objectId)
    if (!contact)
      return { status: 404, body: error('OBJECT_NOT_FOUND', `Object not found. objectId: ${body.objectId}`) }
    contacts.delete(contact.id)
    gdprDeleted.push(contact.id)
    return { status: 204 }
  }

  function route(request: FakeRequest): Reply | 'hang' {
    if (request.method === 'POST' && request.path === '/crm/v3/objects/contacts/gdpr-delete') {
      return authorise(request, 'crm.objects.contacts.write') ?? gdprDelete(request)
    }
    const isUpsert = request.method === 'POST' && request.path === '/crm/v3/objects/contacts/batch/upsert'
    const isContacts = request.method === 'GET' && request.path === '/crm/v3/objects/contacts'
    const property = request.method === 'GET' ? /^\/crm\/v3\/properties\/contacts\/([^/]+)$/.exec(request.path) : null
    if (!isUpsert && !isContacts && !property) {
      return { status: 404, body: error('OBJECT_NOT_FOUND', `No route for ${request.method} ${request.path}`) }
    }
    const fault = takeFault(isUpsert ? 'upsert' : 'read')
    const injected = fault ? faultReply(fault) : undefined
    if (injected) return injected
    const denied = authorise(request, isUpsert ? 'crm.objects.contacts.write' : 'crm.objects.contacts.read')
    if (denied) return denied
    if (isUpsert) return upsert(request, fault?.kind === 'partial' ? fault : undefined)
    if (isContacts) return readContacts(request)
    return readProperty(decodeURIComponent(property![1]!))
  }

  function rateHeaders(): Record<string, string> {
    const now = Date.now()
    while (recentRequests.length > 0 && recentRequests[0]! <= now - 10_000) recentRequests.shift()
    recentRequests.push(now)
    return {
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': '100',
      'x-hubspot-ratelimit-remaining': String(Math.max(0, 100 - recentRequests.length)),
    }
  }

  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const url = new URL(incoming.url ?? '/', 'http://127.0.0.1')
      const request: FakeRequest = {
        method: incoming.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: headersOf(incoming),
        body,
        json: parseJson(body),
      }
      requests.push(request)
      for (const wake of waiters.splice(0)) wake()
      const reply = route(request)
      if (reply === 'hang' || response.destroyed) return
      const isText = typeof reply.body === 'string'
      response.writeHead(reply.status, {
        'content-type': 'application/json;charset=utf-8',
        ...rateHeaders(),
        ...reply.headers,
      })
      response.end(reply.body === undefined ? '' : isText ? reply.body : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    upserts: () =>
      requests
        .filter((request) => request.path === '/crm/v3/objects/contacts/batch/upsert')
        .map((request) => request.json as ReturnType<HubSpotFake['upserts']>[number]),
    contacts,
    gdprDeleted,
    properties,
    tokens,
    get backwardLifecycleRequests() {
      return backwardLifecycleRequests
    },
    get multiStatus() {
      return state.multiStatus
    },
    set multiStatus(value: boolean) {
      state.multiStatus = value
    },
    get errorContext() {
      return state.errorContext
    },
    set errorContext(value: 'objectWriteTraceId' | 'ids') {
      state.errorContext = value
    },
    contactByEmail,
    addProperty(property) {
      properties.set(property.name, property)
    },
    fail(fault, options = {}) {
      faults.push({ fault, on: options.on ?? 'upsert', left: options.times ?? 1 })
    },
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (requests.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`The HubSpot fake got ${requests.length} requests, expected ${count}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
    },
  }
}
