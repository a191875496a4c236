/**
 * Strings from outside (a destination kind in a request, an error code in a vendor's answer, a name in a field-map
 * template) used as keys of plain tables must find only the tables' own entries, never Object.prototype's members.
 */

import { describe, expect, test } from 'vitest'
import { lead } from '../../test/helpers/sample-lead.ts'
import { AppError } from '../core/errors.ts'
import type { LeadEvent } from '../core/lead.ts'
import { applyFieldMap, historySummary, leadValues } from './field-map.ts'
import { classifyMarketoCode, tokenRejectedError } from './marketo/errors.ts'
import { destinationOfKind, destinationRegistry } from './registry.ts'
import { classifyTokenResponse, salesforceError } from './salesforce/errors.ts'
import type { LeadSnapshot } from './types.ts'
import { leadrelayPayload, microsoftPayload } from './webhook/payload.ts'

const prototypeKeys = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']

describe('destinationOfKind', () => {
  test.each(prototypeKeys)('kind %s is VALIDATION_FAILED on kind', (kind) => {
    let thrown: unknown
    try {
      destinationOfKind(destinationRegistry, kind)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(AppError)
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', field: 'kind' })
  })

  test('a real kind is found', () => {
    expect(destinationOfKind(destinationRegistry, 'webhook')).toBe(destinationRegistry.webhook)
  })
})

describe("vendors' error codes", () => {
  test.each(prototypeKeys)('Salesforce token error %s is an auth failure', (code) => {
    const error = classifyTokenResponse(
      { status: 400, headers: {}, body: JSON.stringify({ error: code }), truncated: false },
      0,
    )
    expect(error?.kind).toBe('auth')
    expect(error?.message).toContain('Check the connected app')
  })

  test.each(prototypeKeys)('Salesforce API error %s falls back to the kind its status implies', (code) => {
    const error = salesforceError([{ errorCode: code, message: 'x', fields: [] }], {
      context: 'upsert',
      externalIdField: 'Leadrelay_Id__c',
    })
    expect(error.kind).toBe('rejected')
  })

  test.each(prototypeKeys)('Marketo code %s is an unknown, retryable code', (code) => {
    const outcome = classifyMarketoCode({ code, message: 'x' }, { now: 0, quotaResetTimeZone: 'UTC' })
    expect(outcome).toMatchObject({ kind: 'retryable', details: { vendorCode: code } })
    expect(tokenRejectedError({ code, message: 'x' }, 200).message).toContain('rejected the access token')
  })
})

describe('field-map templates', () => {
  const snapshot: LeadSnapshot = { lead, events: [] }

  test.each(prototypeKeys.filter((key) => /^\w+$/.test(key)))('{{%s}} renders empty', (name) => {
    const values = applyFieldMap({ Note: { template: `[{{${name}}}] {{customer.email}}` } }, snapshot)
    expect(values.Note).toBe('[] jane.doe@contoso.com')
  })
})

describe('a stored time that cannot be rendered does not fail a delivery', () => {
  // Written before times were checked on the way in: `new Date(9e15).toISOString()` throws "Invalid time value".
  const event: LeadEvent = {
    id: 'evt_1',
    leadId: lead.id,
    format: 'microsoft',
    receivedAt: lead.lastEventAt,
    occurredAt: 9e15,
    leadSource: 'AzureMarketplace-INS|contoso.widget-saas',
    stage: 'initial_interest',
    customer: lead.customer,
    isTest: false,
  }
  const snapshot: LeadSnapshot = { lead: { ...lead, lastEventAt: 9e15, firstEventAt: -9e15 }, events: [event] }

  test('field maps, the history summary and both webhook payloads render it at the end of the range', () => {
    expect(leadValues(snapshot).lastEventAt).toBe('9999-12-31T23:59:59.999Z')
    expect(leadValues(snapshot).firstEventAt).toBe('1970-01-01T00:00:00.000Z')
    expect(historySummary(snapshot)).toContain('9999-12-31T23:59:59.999Z')
    expect(JSON.stringify(leadrelayPayload(snapshot, lead.updatedAt))).toContain('9999-12-31T23:59:59.999Z')
    expect(() => microsoftPayload(snapshot)).not.toThrow()
  })
})
