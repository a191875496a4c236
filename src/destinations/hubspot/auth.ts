/**
 * HubSpot private app access tokens. A private app token is static: it does not expire and there is no refresh
 * flow, so there is nothing to fetch or cache beyond the secret itself. A 401 means the token was rotated, deleted
 * or mistyped, and only the publisher can fix that (errors.ts turns it into `auth` at once, without a retry).
 */

import { AppError, DeliveryError } from '../../core/errors.ts'
import type { DestinationSecrets } from '../types.ts'

export const secretName = 'accessToken'

// Legacy HubSpot API keys ("hapikey") were UUIDs; HubSpot switched them off in 2022.
const legacyApiKey = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const tokenPattern = /^[A-Za-z0-9._~+/=-]{20,1000}$/

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', `secrets.${secretName}: ${message}`, { field: `secrets.${secretName}` })
}

/** Validates the secrets a publisher sends: exactly an `accessToken` that looks like a private app token. */
export function prepareHubSpotSecrets(given: Readonly<Record<string, unknown>> | undefined): DestinationSecrets {
  const token = given?.[secretName]
  if (token === undefined || token === null || token === '') {
    throw invalid(
      "required: the access token of a HubSpot private app (Settings → Integrations → Private Apps → your app → Auth; it starts with 'pat-')",
    )
  }
  if (typeof token !== 'string') throw invalid('must be a string')
  const unknown = Object.keys(given ?? {}).filter((key) => key !== secretName)
  if (unknown.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `secrets: unknown secret ${unknown.join(', ')}; HubSpot takes only ${secretName}`,
      {
        field: 'secrets',
      },
    )
  }
  const trimmed = token.trim()
  if (legacyApiKey.test(trimmed)) {
    throw invalid(
      'this looks like a legacy HubSpot API key, which HubSpot no longer accepts. Create a private app and use its access token (pat-…)',
    )
  }
  if (!tokenPattern.test(trimmed)) {
    throw invalid("is not a HubSpot access token (expected something like 'pat-na1-…', without spaces)")
  }
  return { [secretName]: trimmed }
}

/** The `Authorization` header for every call. Throws `misconfigured` when the stored secret is missing. */
export function authorizationHeader(secrets: DestinationSecrets): string {
  const token = secrets[secretName]
  if (!token) {
    throw new DeliveryError(
      'misconfigured',
      'This HubSpot destination has no access token stored. Set the private app\'s token as the destination\'s accessToken secret (PATCH /v1/destinations/:id with {"secrets":{"accessToken":"pat-…"}}).',
    )
  }
  return `Bearer ${token}`
}
