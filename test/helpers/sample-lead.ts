/** One merged lead used by the connector tests: every customer field set, two events over two days. */

import type { Lead } from '../../src/core/lead.ts'

export const t0 = Date.UTC(2026, 2, 1, 9, 0, 0)
export const t1 = Date.UTC(2026, 2, 3, 15, 30, 0)

export const lead: Lead = {
  id: 'lead_01JQ',
  tenantId: 'tnt_01',
  offerId: 'contoso.widget-saas',
  offerKey: 'contoso.widget-saas',
  stage: 'active',
  doNotContact: false,
  isTest: false,
  customer: {
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane.doe@contoso.com',
    phone: '+1 617 555 0100',
    phoneDigits: '16175550100',
    country: 'US',
    company: 'Contoso',
    title: 'CTO',
  },
  source: 'AzureMarketplace',
  action: 'PLT',
  eventCount: 2,
  firstEventAt: t0,
  lastEventAt: t1,
  createdAt: t0,
  updatedAt: t1,
  version: 3,
}
