/**
 * OAuth 2.0 for the REST API mode: the client credentials flow (consumer key + secret, against the org's My
 * Domain) or the JWT bearer flow (an RS256 assertion signed with the app's private key). Salesforce returns no
 * expiry and no refresh token, so a token is kept until Salesforce refuses it, then fetched again once.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
 */

import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import { AppError, DeliveryError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient } from '../http-client.ts'
import type { DestinationSecrets } from '../types.ts'
import { requestToken } from './client.ts'
import { jwtAudienceFor, type SalesforceApiConfig } from './config.ts'
import { classifyTokenResponse, parseJson, toDeliveryError } from './errors.ts'

export const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
/** Salesforce accepts assertions that expire within 3 minutes; a little less leaves room for clock skew. */
export const assertionLifetimeSeconds = 150

const secretNames = ['clientId', 'clientSecret', 'privateKey'] as const
type SecretName = (typeof secretNames)[number]

function invalidSecret(name: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', `secrets.${name}: ${detail}`, { field: `secrets.${name}` })
}

/** Reads an RSA private key in PEM (PKCS#8 or PKCS#1); throws a message that never quotes the key. */
export function parsePrivateKey(pem: string): KeyObject {
  // PKCS#8 `ENCRYPTED PRIVATE KEY` or a PKCS#1 key with `Proc-Type: 4,ENCRYPTED`.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new Error(
      'The private key is protected by a passphrase; give it unencrypted (openssl pkey -in key.pem -out plain.pem)',
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch {
    throw new Error('Not a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)')
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error('The private key must be an RSA key (RS256)')
  return key
}

/**
 * Validates the secrets: `clientId` (consumer key) with `clientSecret` (client credentials) and/or `privateKey`
 * (JWT bearer, PEM). No secrets at all is valid: the Web-to-Lead mode needs none. Which flow is used is a setting,
 * so a missing secret for it is reported when the destination is verified or delivers.
 */
export function prepareSalesforceSecrets(given: Readonly<Record<string, unknown>> | undefined): DestinationSecrets {
  const secrets: Partial<Record<SecretName, string>> = {}
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!(secretNames as readonly string[]).includes(name)) {
      throw invalidSecret(name, `unknown secret; Salesforce takes ${secretNames.join(', ')}`)
    }
    if (value === undefined || value === null || value === '') continue
    if (typeof value !== 'string') throw invalidSecret(name, 'must be a string')
    if (name === 'privateKey') {
      if (value.length > 16_384) throw invalidSecret(name, 'is too long for a private key')
      try {
        parsePrivateKey(value)
      } catch (error) {
        throw invalidSecret(name, (error as Error).message)
      }
    } else if (value.length > 1024 || /\s/.test(value.trim()) || value.trim() === '') {
      throw invalidSecret(name, 'must be the value shown in the connected app, without spaces')
    }
    secrets[name as SecretName] = name === 'privateKey' ? value : value.trim()
  }
  if ((secrets.clientSecret !== undefined || secrets.privateKey !== undefined) && secrets.clientId === undefined) {
    throw invalidSecret('clientId', "the connected app's consumer key is required with clientSecret or privateKey")
  }
  return Object.fromEntries(Object.entries(secrets).filter((entry): entry is [string, string] => !!entry[1]))
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

/** The signed JWT of the bearer flow: `iss` consumer key, `sub` username, `aud` login host, `exp` soon. */
export function jwtAssertion(claims: {
  clientId: string
  username: string
  audience: string
  privateKey: KeyObject
  now: number
}): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))
  const payload = base64url(
    JSON.stringify({
      iss: claims.clientId,
      sub: claims.username,
      aud: claims.audience,
      exp: Math.floor(claims.now / 1000) + assertionLifetimeSeconds,
    }),
  )
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), claims.privateKey)
  return `${header}.${payload}.${base64url(signature)}`
}

export interface SalesforceSession {
  readonly accessToken: string
  /** Origin of the org's API host, from the token answer (`instance_url`). */
  readonly instanceUrl: string
}

export interface SessionSource {
  /** The cached session, or a new one. */
  current(signal: AbortSignal): Promise<SalesforceSession>
  /** A new session in place of `stale` (shared with concurrent callers that saw the same stale one). */
  renew(stale: SalesforceSession | undefined, signal: AbortSignal): Promise<SalesforceSession>
  /** A new session whatever is cached: proves the credentials still work. */
  fresh(signal: AbortSignal): Promise<SalesforceSession>
}

function missingSecret(config: SalesforceApiConfig, name: string): DeliveryError {
  const needs =
    config.authFlow === 'jwt_bearer'
      ? 'clientId (consumer key) and privateKey (PEM)'
      : 'clientId (consumer key) and clientSecret (consumer secret)'
  return new DeliveryError(
    'misconfigured',
    `This destination uses the ${config.authFlow} flow but has no ${name} secret. Set the secrets ${needs} with PATCH /v1/destinations/<id>.`,
  )
}

function readSession(body: string): SalesforceSession | undefined {
  const answer = parseJson(body) as { access_token?: unknown; instance_url?: unknown } | undefined
  if (typeof answer?.access_token !== 'string' || answer.access_token === '') return undefined
  if (typeof answer.instance_url !== 'string') return undefined
  try {
    const url = new URL(answer.instance_url)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
    return { accessToken: answer.access_token, instanceUrl: url.origin }
  } catch {
    return undefined
  }
}

export function createSessionSource(deps: {
  http: HttpClient
  clock: Clock
  config: SalesforceApiConfig
  secrets: DestinationSecrets
}): SessionSource {
  const { http, clock, config, secrets } = deps
  const loginOrigin = new URL(config.loginUrl).origin
  let privateKey: KeyObject | undefined
  let pending: Promise<SalesforceSession> | undefined
  let session: SalesforceSession | undefined

  function grant(): Record<string, string> {
    const clientId = secrets.clientId
    if (!clientId) throw missingSecret(config, 'clientId')
    if (config.authFlow === 'client_credentials') {
      if (!secrets.clientSecret) throw missingSecret(config, 'clientSecret')
      return { grant_type: 'client_credentials', client_id: clientId, client_secret: secrets.clientSecret }
    }
    if (!secrets.privateKey) throw missingSecret(config, 'privateKey')
    try {
      privateKey ??= parsePrivateKey(secrets.privateKey)
    } catch (error) {
      throw new DeliveryError('misconfigured', `The privateKey secret cannot be used: ${(error as Error).message}.`)
    }
    const assertion = jwtAssertion({
      clientId,
      username: config.username ?? '',
      audience: jwtAudienceFor(config),
      privateKey,
      now: clock.now(),
    })
    return { grant_type: jwtBearerGrant, assertion }
  }

  async function fetchSession(signal: AbortSignal): Promise<SalesforceSession> {
    const form = grant()
    let response: Awaited<ReturnType<typeof requestToken>>
    try {
      response = await requestToken(http, { loginUrl: loginOrigin, form, signal, timeoutMs: config.timeoutMs })
    } catch (error) {
      throw toDeliveryError(error)
    }
    const failure = classifyTokenResponse(response, clock.now())
    if (failure) throw failure
    const fresh = readSession(response.body)
    if (!fresh) {
      throw new DeliveryError(
        'misconfigured',
        `The token endpoint at ${loginOrigin} answered HTTP ${response.status} without an access token and instance URL: check that loginUrl is your Salesforce login address.`,
        { status: response.status },
      )
    }
    return fresh
  }

  function start(signal: AbortSignal): Promise<SalesforceSession> {
    const request = fetchSession(signal).then(
      (fresh) => {
        if (pending === request) session = fresh
        return fresh
      },
      (error: unknown) => {
        if (pending === request) pending = undefined
        throw error
      },
    )
    pending = request
    session = undefined
    return request
  }

  return {
    current(signal) {
      if (session) return Promise.resolve(session)
      return pending ?? start(signal)
    },
    renew(stale, signal) {
      // Another caller already replaced the stale token: use theirs instead of asking again.
      if (session && session !== stale) return Promise.resolve(session)
      if (!session && pending) return pending
      return start(signal)
    },
    fresh: start,
  }
}
