/**
 * The Salesforce destination: Lead upserts over the REST API (OAuth 2.0 client credentials or JWT bearer), or the
 * Web-to-Lead form as a zero-setup fallback. See README.md beside it.
 */

import { DeliveryError } from '../../core/errors.ts'
import type { Connector, Destination } from '../types.ts'
import { prepareSalesforceSecrets } from './auth.ts'
import { type SalesforceConfig, salesforceConfigSchema } from './config.ts'
import { connectSalesforceApi } from './connector.ts'
import { connectSalesforceWebToLead } from './web-to-lead.ts'

export type { SalesforceConfig } from './config.ts'

/** Any error a connector's own code throws (a bug), as the `DeliveryError` the contract promises. */
function guarded(connector: Connector): Connector {
  const wrap = (error: unknown): DeliveryError =>
    error instanceof DeliveryError
      ? error
      : new DeliveryError('retryable', 'The Salesforce connector failed unexpectedly; will retry.', { cause: error })
  return {
    ...connector,
    verify: (signal) => connector.verify(signal).catch((error: unknown) => Promise.reject(wrap(error))),
    deliver: (snapshot, attempt) =>
      connector.deliver(snapshot, attempt).catch((error: unknown) => Promise.reject(wrap(error))),
    ...(connector.deliverBatch && {
      deliverBatch: (items, signal) =>
        connector.deliverBatch!(items, signal).catch((error: unknown) => Promise.reject(wrap(error))),
    }),
    ...(connector.erase && {
      erase: (request, attempt) =>
        connector.erase!(request, attempt).catch((error: unknown) => Promise.reject(wrap(error))),
    }),
  }
}

export const salesforceDestination: Destination<SalesforceConfig> = {
  kind: 'salesforce',
  displayName: 'Salesforce',
  // Production orgs allow 25 concurrent long-running (20 s or longer) API requests; the daily allocation has no
  // per-second form.
  vendorLimits: {
    maxConcurrency: 25,
    documentation:
      'https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm',
  },
  configSchema: salesforceConfigSchema,
  prepareSecrets(given) {
    return prepareSalesforceSecrets(given)
  },
  // Names as Salesforce shows them on the connected app's "Manage Consumer Details" page.
  secretFields: [
    {
      name: 'clientId',
      label: 'Consumer Key',
      required: true,
      help: 'Salesforce Setup → App Manager → your connected app → View → Manage Consumer Details → Consumer Key.',
      when: { mode: ['api'] },
    },
    {
      name: 'clientSecret',
      label: 'Consumer Secret',
      required: true,
      help: 'Salesforce Setup → App Manager → your connected app → View → Manage Consumer Details → Consumer Secret. The app needs "Enable Client Credentials Flow" and a Run As user.',
      when: { mode: ['api'], authFlow: ['client_credentials'] },
    },
    {
      name: 'privateKey',
      label: 'Private key (PEM)',
      required: true,
      multiline: true,
      help: 'The unencrypted RSA private key (-----BEGIN PRIVATE KEY-----) of the certificate uploaded to the connected app under "Use digital signatures".',
      when: { mode: ['api'], authFlow: ['jwt_bearer'] },
    },
  ],
  connect(config, secrets, deps) {
    return guarded(
      config.mode === 'web-to-lead'
        ? connectSalesforceWebToLead(config, deps)
        : connectSalesforceApi(config, secrets, deps),
    )
  },
}
