/**
 * The HubSpot calls this connector makes, and nothing else, all through the `HttpClient` port:
 * - `POST /crm/v3/objects/contacts/batch/upsert` (scope crm.objects.contacts.write)
 * - `GET /crm/v3/objects/contacts?limit=1` (crm.objects.contacts.read)
 * - `GET /crm/v3/properties/contacts/{name}` (crm.objects.contacts.read)
 * - `POST /crm/v3/objects/contacts/gdpr-delete` (crm.objects.contacts.write), for an erased customer
 * Every call passes the request-rate guard first.
 */

import { DeliveryError } from '../../core/errors.ts'
import type { Clock } from '../../core/ports.ts'
import type { HttpClient, HttpResponse } from '../http-client.ts'
import type { UpsertBody } from './field-map.ts'

export const hubspotUserAgent = 'Leadrelay-HubSpot/1'
export const upsertPath = '/crm/v3/objects/contacts/batch/upsert'
/** https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/post-crm-v3-objects-contacts-gdpr-delete */
export const gdprDeletePath = '/crm/v3/objects/contacts/gdpr-delete'

/** A result of the batch upsert: the contact and whether it was created (`new`) or updated. */
export interface UpsertResult {
  readonly id: string
  readonly new?: boolean
  readonly properties?: Readonly<Record<string, string | null>>
  readonly objectWriteTraceId?: string
}

export interface PropertyDefinition {
  readonly name: string
  readonly type?: string
  readonly fieldType?: string
  readonly options?: readonly { readonly value: string; readonly hidden?: boolean }[]
}

export interface HubSpotClientOptions {
  readonly http: HttpClient
  readonly clock: Clock
  readonly baseUrl: string
  /** `Bearer pat-…`, or a function that throws when no token is stored. */
  readonly authorization: () => string
  readonly timeoutMs: number
  readonly requestsPer10Seconds: number
}

export interface HubSpotClient {
  upsertContacts(body: UpsertBody, signal: AbortSignal): Promise<HttpResponse>
  listContacts(limit: number, signal: AbortSignal): Promise<HttpResponse>
  getContactProperty(name: string, signal: AbortSignal): Promise<HttpResponse>
  /** Permanently deletes a contact and its content (GDPR); `objectId` is the contact's record id. */
  gdprDeleteContact(objectId: string, signal: AbortSignal): Promise<HttpResponse>
}

/**
 * A rolling-window guard: at most `limit` calls per 10 s. HubSpot's burst limit is per account and a 429 costs a
 * call, so the connector holds back instead of asking. Throws `rate_limited` (no call made) when the window is full.
 */
export function createRequestWindow(clock: Clock, limit: number, windowMs = 10_000) {
  const sent: number[] = []
  return {
    take(): void {
      const now = clock.now()
      while (sent.length > 0 && sent[0]! <= now - windowMs) sent.shift()
      if (sent.length >= limit) {
        const retryAfterMs = sent[0]! + windowMs - now
        throw new DeliveryError(
          'rate_limited',
          `This destination made its ${limit} HubSpot calls of the last 10 s (requestsPer10Seconds); waiting ${Math.ceil(retryAfterMs / 1000)} s before the next, to stay under HubSpot's limit.`,
          { retryAfterMs },
        )
      }
      sent.push(now)
    },
  }
}

export function createHubSpotClient(options: HubSpotClientOptions): HubSpotClient {
  const root = options.baseUrl.replace(/\/+$/, '')
  const window = createRequestWindow(options.clock, options.requestsPer10Seconds)

  function send(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: unknown): Promise<HttpResponse> {
    const authorization = options.authorization()
    window.take()
    return options.http.send({
      method,
      url: `${root}${path}`,
      headers: {
        authorization,
        accept: 'application/json',
        'user-agent': hubspotUserAgent,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      timeoutMs: options.timeoutMs,
      signal,
    })
  }

  return {
    upsertContacts: (body, signal) => send('POST', upsertPath, signal, body),
    listContacts: (limit, signal) => send('GET', `/crm/v3/objects/contacts?limit=${limit}`, signal),
    getContactProperty: (name, signal) =>
      send('GET', `/crm/v3/properties/contacts/${encodeURIComponent(name)}`, signal),
    gdprDeleteContact: (objectId, signal) => send('POST', gdprDeletePath, signal, { objectId }),
  }
}
