/**
 * A local Microsoft SaaS Fulfillment API v2 and the Microsoft Entra token endpoint on 127.0.0.1, written from
 * Microsoft's published pages, not from Leadrelay's client:
 *
 * - "Register a SaaS application"
 *   (https://learn.microsoft.com/en-us/partner-center/marketplace-offers/pc-saas-registration): `POST
 *   /{tenantId}/oauth2/token` with a form body `grant_type=client_credentials`, `client_id`, `client_secret`,
 *   `resource=20e940b3-4c77-4b0b-9a53-9e16a1b010a7` (v1); or `/{tenantId}/oauth2/v2.0/token` with
 *   `scope=20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default` (v2). The answer is `{ token_type: "Bearer", expires_in,
 *   ext_expires_in, expires_on, not_before, resource, access_token }` (times in seconds, `expires_on` epoch seconds as
 *   a string). A wrong secret is a 401 `{ error: "invalid_client" }`, an unknown tenant a 400 `invalid_request`.
 * - "Microsoft identity platform application authentication certificate credentials"
 *   (https://learn.microsoft.com/entra/identity-platform/certificate-credentials): instead of `client_secret`,
 *   `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a JWT
 *   whose header names the certificate by `x5t#S256` (base64url SHA-256 of its DER; `x5t`, SHA-1, on older pages),
 *   signed PS256 (RS256 on older pages) with the certificate's key; claims `aud` the token endpoint, `iss` and `sub`
 *   the client id, `jti`, `nbf`, `exp`. Checked here with the app's certificate's public key; a failure is a 401
 *   `invalid_client` (AADSTS700027, "Client assertion failed signature validation").
 * - "SaaS fulfillment Subscription APIs v2"
 *   (https://learn.microsoft.com/en-us/partner-center/marketplace-offers/pc-saas-fulfillment-subscription-api):
 *   `GET /api/saas/subscriptions?api-version=2018-08-31` with `authorization: Bearer <token>` answers `{
 *   subscriptions: [...], "@nextLink": "<url of the next page>" }`, the link absent on the last page. Each
 *   subscription carries `id, publisherId, offerId, name, saasSubscriptionStatus (PendingFulfillmentStart,
 *   Subscribed, Suspended, Unsubscribed), beneficiary, purchaser ({emailId, objectId, tenantId, puid}), planId,
 *   term {startDate, endDate, termUnit}, autoRenew, isTest, isFreeTrial, allowedCustomerOperations, sandboxType,
 *   lastModified, created, quantity, sessionMode`. A missing or expired token is a 401, a missing or wrong
 *   `api-version` a 400; throttling is a 429 with `Retry-After` (the page's "Throttling" note for the marketplace
 *   APIs). Only GET is served here: a write (activate, change plan, cancel) is recorded as a violation.
 *
 * Faults: `throttleNext(n, seconds)` answers the next n API calls with 429; `expireTokens()` makes every token issued
 * so far answer 401 (as an expired one does); `holdPage(index)` keeps that page's request open until released.
 */

import { createHash, randomUUID, X509Certificate } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose'

export const marketplaceResource = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7'

export interface FakeApp {
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  /** The certificate registered on the app (PEM): client assertions signed with its key are accepted. */
  readonly certificatePem?: string
}

export interface FakeSubscription {
  id: string
  publisherId: string
  offerId: string
  name: string
  saasSubscriptionStatus: 'PendingFulfillmentStart' | 'Subscribed' | 'Suspended' | 'Unsubscribed'
  beneficiary: { emailId: string; objectId: string; tenantId: string; puid: string }
  purchaser: { emailId: string; objectId: string; tenantId: string; puid: string }
  planId: string
  term: { startDate: string; endDate: string; termUnit: 'P1M' | 'P1Y' }
  autoRenew: boolean
  isTest: boolean
  isFreeTrial: boolean
  allowedCustomerOperations: string[]
  sandboxType: 'None'
  lastModified: string
  created: string
  quantity: number
  sessionMode: 'None'
}

export interface SaasFulfillmentFake {
  readonly url: string
  /** Why each refused client assertion was refused; and how many were accepted. */
  readonly assertionsRefused: string[]
  readonly assertionsAccepted: () => number
  readonly subscriptions: FakeSubscription[]
  /** Every API request (not token requests), in order. */
  readonly apiRequests: { method: string; path: string; status: number }[]
  readonly tokensIssued: () => number
  /** Requests that tried to change a subscription: must stay empty. */
  readonly writes: string[]
  /** Adds a subscription with sensible defaults. */
  add(fields: Partial<FakeSubscription> & { emailId: string; beneficiaryEmail?: string }): FakeSubscription
  /** Changes a subscription as the marketplace would, moving `lastModified` on. */
  update(id: string, fields: Partial<FakeSubscription>): void
  throttleNext(count: number, retryAfterSeconds: number): void
  expireTokens(): void
  /** The next request for page `index` (0-based) waits until `release()` is called. */
  holdPage(index: number): { readonly reached: Promise<void>; release(): void }
  close(): Promise<void>
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  response.end(JSON.stringify(body))
}

export async function startSaasFulfillmentFake(options: {
  readonly app: FakeApp
  readonly pageSize?: number
  /** Token lifetime in seconds (Entra issues about an hour). */
  readonly tokenLifetimeSeconds?: number
}): Promise<SaasFulfillmentFake> {
  const pageSize = options.pageSize ?? 2
  const lifetime = options.tokenLifetimeSeconds ?? 3599
  const subscriptions: FakeSubscription[] = []
  const apiRequests: SaasFulfillmentFake['apiRequests'] = []
  const writes: string[] = []
  const validTokens = new Map<string, number>()
  let issued = 0
  let throttle = { count: 0, seconds: 1 }
  const holds = new Map<number, { reached: () => void; released: Promise<void> }>()
  let clock = Date.UTC(2026, 10, 1)
  const nextTime = () => {
    clock += 60_000
    return new Date(clock).toISOString()
  }

  const assertionsRefused: string[] = []
  let assertionsAccepted = 0
  const jtis = new Set<string>()

  /** Why a client assertion is refused, or undefined when it is the app's certificate's, for this endpoint. */
  async function assertionRefusal(
    assertion: string,
    form: URLSearchParams,
    endpoint: string,
  ): Promise<string | undefined> {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return 'client_assertion_type is not jwt-bearer'
    }
    if (options.app.certificatePem === undefined) return 'the app has no certificate registered'
    const certificate = new X509Certificate(options.app.certificatePem)
    const header = decodeProtectedHeader(assertion)
    const sha256 = createHash('sha256').update(certificate.raw).digest('base64url')
    const sha1 = createHash('sha1').update(certificate.raw).digest('base64url')
    if (header['x5t#S256'] !== sha256 && header.x5t !== sha1) return 'no registered certificate has this thumbprint'
    if (header.alg !== 'PS256' && header.alg !== 'RS256') return `alg ${String(header.alg)} is not accepted`
    try {
      const { payload } = await jwtVerify(assertion, await importX509(options.app.certificatePem, header.alg), {
        audience: endpoint,
        issuer: options.app.clientId,
        subject: options.app.clientId,
        requiredClaims: ['jti', 'exp', 'nbf'],
      })
      if (form.get('client_id') !== null && form.get('client_id') !== options.app.clientId) {
        return 'client_id does not match the assertion'
      }
      if (jtis.has(String(payload.jti))) return 'the assertion (jti) was used before'
      jtis.add(String(payload.jti))
      return undefined
    } catch (error) {
      return `Client assertion failed signature validation (${(error as Error).message})`
    }
  }

  async function token(request: IncomingMessage, response: ServerResponse, path: string) {
    const match = path.match(/^\/([^/]+)\/oauth2\/(v2\.0\/)?token$/)
    const form = new URLSearchParams(await readBody(request))
    if (!match || request.method !== 'POST') return send(response, 404, { error: 'not_found' })
    if (match[1] !== options.app.tenantId) {
      return send(response, 400, {
        error: 'invalid_request',
        error_description: `AADSTS90002: Tenant '${match[1]}' not found.`,
      })
    }
    if (form.get('grant_type') !== 'client_credentials') return send(response, 400, { error: 'unsupported_grant_type' })
    const v2 = match[2] !== undefined
    const wanted = v2
      ? form.get('scope') === `${marketplaceResource}/.default`
      : form.get('resource') === marketplaceResource
    if (!wanted) return send(response, 400, { error: 'invalid_resource' })
    const assertion = form.get('client_assertion')
    if (assertion !== null) {
      const refusal = await assertionRefusal(
        assertion,
        form,
        `http://${request.headers.host}/${match[1]}/oauth2/${v2 ? 'v2.0/' : ''}token`,
      )
      if (refusal !== undefined) {
        assertionsRefused.push(refusal)
        return send(response, 401, { error: 'invalid_client', error_description: `AADSTS700027: ${refusal}` })
      }
      assertionsAccepted++
    } else if (
      form.get('client_id') !== options.app.clientId ||
      form.get('client_secret') !== options.app.clientSecret
    ) {
      return send(response, 401, {
        error: 'invalid_client',
        error_description: 'AADSTS7000215: Invalid client secret provided.',
      })
    }
    const accessToken = `fake.${randomUUID()}`
    const now = Math.floor(Date.now() / 1000)
    validTokens.set(accessToken, now + lifetime)
    issued++
    send(response, 200, {
      token_type: 'Bearer',
      expires_in: String(lifetime),
      ext_expires_in: String(lifetime),
      expires_on: String(now + lifetime),
      not_before: String(now),
      ...(v2 ? {} : { resource: marketplaceResource }),
      access_token: accessToken,
    })
  }

  async function api(request: IncomingMessage, response: ServerResponse, url: URL) {
    const record = (status: number) => apiRequests.push({ method: request.method ?? '', path: url.pathname, status })
    if (request.method !== 'GET') {
      writes.push(`${request.method} ${url.pathname}${url.search}`)
      record(405)
      return send(response, 405, { error: 'only reads are expected from Leadrelay' })
    }
    const bearer = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1]
    const expiresAt = bearer === undefined ? undefined : validTokens.get(bearer)
    if (expiresAt === undefined || expiresAt <= Math.floor(Date.now() / 1000)) {
      record(401)
      return send(response, 401, {
        error: { code: 'Unauthorized', message: 'The access token is missing, invalid or expired.' },
      })
    }
    if (throttle.count > 0) {
      throttle.count--
      record(429)
      return send(
        response,
        429,
        { error: { code: 'TooManyRequests', message: 'Too many requests' } },
        {
          'retry-after': String(throttle.seconds),
        },
      )
    }
    if (url.searchParams.get('api-version') !== '2018-08-31') {
      record(400)
      return send(response, 400, { error: { code: 'BadArgument', message: 'api-version is missing or not supported' } })
    }
    if (url.pathname !== '/api/saas/subscriptions') {
      record(404)
      return send(response, 404, { error: { code: 'NotFound' } })
    }
    const index = Number(url.searchParams.get('continuationToken') ?? '0')
    const hold = holds.get(index)
    if (hold) {
      holds.delete(index)
      hold.reached()
      await hold.released
    }
    const page = subscriptions.slice(index * pageSize, (index + 1) * pageSize)
    const more = (index + 1) * pageSize < subscriptions.length
    record(200)
    send(response, 200, {
      subscriptions: page,
      ...(more && {
        '@nextLink': `http://${request.headers.host}/api/saas/subscriptions?continuationToken=${index + 1}&api-version=2018-08-31`,
      }),
    })
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake')
    const handler = url.pathname.startsWith('/api/')
      ? api(request, response, url)
      : token(request, response, url.pathname)
    handler.catch(() => {
      if (!response.headersSent) send(response, 500, { error: 'fake failed' })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    assertionsRefused,
    assertionsAccepted: () => assertionsAccepted,
    subscriptions,
    apiRequests,
    writes,
    tokensIssued: () => issued,
    add(fields) {
      const { emailId, beneficiaryEmail, ...rest } = fields
      const created = nextTime()
      const subscription: FakeSubscription = {
        id: randomUUID(),
        publisherId: 'contoso',
        offerId: 'crm',
        name: `Subscription ${subscriptions.length + 1}`,
        saasSubscriptionStatus: 'Subscribed',
        beneficiary: {
          emailId: beneficiaryEmail ?? emailId,
          objectId: randomUUID(),
          tenantId: randomUUID(),
          puid: '1003BFFD9A2A8E3D',
        },
        purchaser: { emailId, objectId: randomUUID(), tenantId: randomUUID(), puid: '1003BFFD9A2A8E3E' },
        planId: 'silver',
        term: { startDate: '2026-11-01T00:00:00Z', endDate: '2026-11-30T00:00:00Z', termUnit: 'P1M' },
        autoRenew: true,
        isTest: false,
        isFreeTrial: false,
        allowedCustomerOperations: ['Read', 'Update', 'Delete'],
        sandboxType: 'None',
        lastModified: created,
        created,
        quantity: 1,
        sessionMode: 'None',
        ...rest,
      }
      subscriptions.push(subscription)
      return subscription
    },
    update(id, fields) {
      const subscription = subscriptions.find((entry) => entry.id === id)
      if (!subscription) throw new Error(`no subscription ${id}`)
      Object.assign(subscription, fields, { lastModified: nextTime() })
    },
    throttleNext(count, seconds) {
      throttle = { count, seconds }
    },
    expireTokens() {
      for (const token of validTokens.keys()) validTokens.set(token, 0)
    },
    holdPage(index) {
      let reached!: () => void
      let release!: () => void
      const reachedPromise = new Promise<void>((resolve) => {
        reached = resolve
      })
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      holds.set(index, { reached, released })
      return { reached: reachedPromise, release }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
