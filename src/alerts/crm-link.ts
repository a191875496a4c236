/** Where a CRM destination keeps the record a delivery created, when the vendor's record URL can be built. */

import type { DestinationRecord } from '../store/types.ts'

const sharedSalesforceLogins = new Set(['login.salesforce.com', 'test.salesforce.com'])

/**
 * Dynamics 365: https://learn.microsoft.com/power-apps/developer/model-driven-apps/open-forms-views-dialogs-reports-url
 * Salesforce: a record id after a My Domain URL opens the record; the shared login hosts do not, so no link there.
 */
export function crmRecordUrl(destination: DestinationRecord, externalId: string): string | undefined {
  const config = (destination.config ?? {}) as Record<string, unknown>
  const id = encodeURIComponent(externalId)
  if (destination.kind === 'dynamics365' && typeof config.environmentUrl === 'string') {
    return `${config.environmentUrl.replace(/\/+$/, '')}/main.aspx?pagetype=entityrecord&etn=lead&id=${id}`
  }
  if (destination.kind === 'salesforce' && typeof config.loginUrl === 'string') {
    const url = new URL(config.loginUrl)
    if (sharedSalesforceLogins.has(url.hostname)) return undefined
    return `${url.origin}/${id}`
  }
  if (/^https:\/\//.test(externalId)) return externalId
  return undefined
}
