/**
 * The REST API mode: every delivery is an upsert, keyed on Leadrelay's lead id in an External ID field (one PATCH,
 * or sObject Collections for up to 200 leads), or on the email address found with SOQL (`matchBy: email`).
 */

import { DeliveryError } from '../../core/errors.ts'
import type { HttpResponse } from '../http-client.ts'
import type {
  BatchItem,
  BatchItemResult,
  Connector,
  ConnectorDeps,
  DeliveryReceipt,
  DestinationSecrets,
  ErasureRequest,
  LeadSnapshot,
} from '../types.ts'
import { createSessionSource } from './auth.ts'
import { type ApiRequest, findByEmailSoql, type LeadFields, leadRequests, sendApi } from './client.ts'
import type { SalesforceApiConfig } from './config.ts'
import { describeProblems, parseLeadDescribe } from './describe.ts'
import {
  type CallContext,
  classifyApiResponse,
  parseJson,
  readApiErrors,
  salesforceError,
  toDeliveryError,
} from './errors.ts'
import { apiFieldMap, apiLeadFields } from './field-map.ts'

/** sObject Collections take at most 200 records per call. */
export const maxCollectionSize = 200

interface SaveResult {
  readonly id?: string
  readonly success?: boolean
  readonly created?: boolean
  readonly errors?: unknown
}

function receipt(status: number, id: string | undefined, created: boolean): DeliveryReceipt {
  const record = id ? `Lead ${id}` : 'the Lead'
  return { status, ...(id && { externalId: id }), note: created ? `created ${record}` : `updated ${record}` }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = []
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size))
  return result
}

export function connectSalesforceApi(
  config: SalesforceApiConfig,
  secrets: DestinationSecrets,
  deps: ConnectorDeps,
): Connector {
  const { http, clock } = deps
  const map = apiFieldMap(config)
  const version = config.apiVersion
  const externalIdField = config.externalIdField
  const sessions = createSessionSource({ http, clock, config, secrets })
  // Request headers of every create and update. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_autoassign.htm
  const writeHeaders: Record<string, string> = {
    'sforce-auto-assign':
      config.assignmentRule === 'active' ? 'TRUE' : config.assignmentRule === 'none' ? 'FALSE' : config.assignmentRule,
    ...(config.allowSaveOnDuplicate && { 'sforce-duplicate-rule-header': 'allowSave=true' }),
  }

  /** Sends with the cached token; on 401 fetches a new token once and sends again. Throws only DeliveryError. */
  async function call(request: ApiRequest, signal: AbortSignal): Promise<HttpResponse> {
    try {
      const options = {
        signal,
        timeoutMs: config.timeoutMs,
        ...(request.method !== 'GET' && { headers: writeHeaders }),
      }
      const session = await sessions.current(signal)
      const response = await sendApi(http, session, request, options)
      if (response.status !== 401) return response
      const renewed = await sessions.renew(session, signal)
      return await sendApi(http, renewed, request, options)
    } catch (error) {
      throw toDeliveryError(error)
    }
  }

  function check(response: HttpResponse, context: CallContext): void {
    const failure = classifyApiResponse(response, { now: clock.now(), context, externalIdField })
    if (failure) throw failure
  }

  function unexpected(what: string, response: HttpResponse): DeliveryError {
    return new DeliveryError('retryable', `Salesforce answered the ${what} with something unexpected; will retry.`, {
      status: response.status,
    })
  }

  async function upsertByExternalId(snapshot: LeadSnapshot, signal: AbortSignal): Promise<DeliveryReceipt> {
    const request = leadRequests.upsert(
      version,
      externalIdField,
      snapshot.lead.id,
      apiLeadFields(map, snapshot, config),
    )
    const response = await call(request, signal)
    check(response, 'upsert')
    const answer = parseJson(response.body) as SaveResult | undefined
    // Before v46 an update answered 204 without a body.
    return receipt(response.status, answer?.id, answer?.created ?? response.status === 201)
  }

  function emailFields(snapshot: LeadSnapshot, email: string): LeadFields {
    // The email is the key: a Lead created without it would not be found next time.
    return { Email: email, ...apiLeadFields(map, snapshot, config) }
  }

  async function upsertByEmail(snapshot: LeadSnapshot, signal: AbortSignal): Promise<DeliveryReceipt> {
    const email = snapshot.lead.customer.email
    if (!email) {
      throw new DeliveryError(
        'rejected',
        'This lead has no email address and the destination matches Leads by email (matchBy: "email"): sending it could create a duplicate on every retry. Use matchBy: "externalId" to deliver leads without email, then replay the delivery.',
      )
    }
    const fields = emailFields(snapshot, email)
    const found = await call(leadRequests.query(version, findByEmailSoql(email)), signal)
    check(found, 'query')
    const records = (parseJson(found.body) as { records?: unknown } | undefined)?.records
    if (!Array.isArray(records)) throw unexpected('lookup by email', found)
    const id = (records[0] as { Id?: unknown } | undefined)?.Id
    if (typeof id === 'string') {
      const updated = await call(leadRequests.update(version, id, fields), signal)
      check(updated, 'update')
      return receipt(updated.status, id, false)
    }
    const created = await call(leadRequests.create(version, fields), signal)
    check(created, 'create')
    const answer = parseJson(created.body) as SaveResult | undefined
    return receipt(created.status, answer?.id, true)
  }

  async function upsertCollection(items: readonly BatchItem[], signal: AbortSignal): Promise<BatchItemResult[]> {
    const records = items.map((item) => ({
      [externalIdField]: item.snapshot.lead.id,
      ...apiLeadFields(map, item.snapshot, config),
    }))
    const response = await call(leadRequests.upsertMany(version, externalIdField, records), signal)
    check(response, 'collections')
    const answer = parseJson(response.body)
    if (!Array.isArray(answer) || answer.length !== items.length) throw unexpected('batch', response)
    return answer.map((entry: SaveResult): BatchItemResult => {
      if (entry?.success === true) {
        return { ok: true, receipt: receipt(entry.created ? 201 : 200, entry.id, entry.created === true) }
      }
      const errors = readApiErrors(entry?.errors)
      return {
        ok: false,
        error: salesforceError(errors.length > 0 ? errors : [{ errorCode: 'UNKNOWN', message: '' }], {
          context: 'collections',
          externalIdField,
        }),
      }
    })
  }

  async function verify(signal: AbortSignal): Promise<void> {
    try {
      // A new token, not the cached one: "Test connection" must prove the credentials as they are now.
      await sessions.fresh(signal)
      const response = await call(leadRequests.describe(version), signal)
      check(response, 'describe')
      const description = parseLeadDescribe(response.body, response.truncated)
      if (!description) throw unexpected('Lead describe', response)
      const writtenFields = Object.keys(map).filter((field) => field !== externalIdField || config.matchBy === 'email')
      const { problems, unseen } = describeProblems(description, {
        ...(config.matchBy === 'externalId' && { externalIdField }),
        writtenFields,
        ...(config.sourceField !== null && { sourceField: config.sourceField }),
        ...(config.leadSource !== null && map.LeadSource && { leadSource: config.leadSource }),
      })
      if (unseen.length > 0) {
        // Fields the cut-off describe did not reach: a query naming them fails with INVALID_FIELD if one is missing.
        const soql = `SELECT Id, ${unseen.join(', ')} FROM Lead LIMIT 1`
        const probe = await call(leadRequests.query(version, soql), signal)
        const failure = classifyApiResponse(probe, { now: clock.now(), context: 'query', externalIdField })
        if (failure?.details.vendorCode === 'INVALID_FIELD') {
          problems.push(
            `One of ${unseen.join(', ')} does not exist on Lead or the integration user cannot see it: create it or grant access to it, or change the settings. ${failure.message}`,
          )
        } else if (failure) {
          throw failure
        }
      }
      if (problems.length > 0) {
        throw new DeliveryError('misconfigured', `Salesforce is not ready for these leads. ${problems.join(' ')}`)
      }
    } catch (error) {
      throw toDeliveryError(error)
    }
  }

  /** Deletes the erased customer's Lead: by the record id the upsert answered, else by the External ID. */
  async function eraseLead(request: ErasureRequest, signal: AbortSignal): Promise<DeliveryReceipt> {
    const byExternalId = request.externalId === undefined && config.matchBy === 'externalId'
    if (request.externalId === undefined && !byExternalId) {
      throw new DeliveryError(
        'rejected',
        "Salesforce never told Leadrelay this Lead's record id, and with matchBy email the erased address was the only key. Delete the Lead in Salesforce by hand.",
      )
    }
    const response = await call(
      byExternalId
        ? leadRequests.delete(version, request.lead.id, externalIdField)
        : leadRequests.delete(version, request.externalId!),
      signal,
    )
    // NOT_FOUND or ENTITY_IS_DELETED: the Lead is gone already (by hand, or an attempt whose answer was lost).
    if (response.status === 404) return { status: 404, note: 'Lead already deleted' }
    check(response, 'update')
    return { status: response.status, note: 'Lead deleted' }
  }

  const connector: Connector = {
    verify,
    erase: (request, attempt) => eraseLead(request, attempt.signal),
    async deliver(snapshot, attempt) {
      return config.matchBy === 'email'
        ? upsertByEmail(snapshot, attempt.signal)
        : upsertByExternalId(snapshot, attempt.signal)
    },
    preview(snapshot) {
      if (config.matchBy === 'externalId') {
        return leadRequests.upsert(version, externalIdField, snapshot.lead.id, apiLeadFields(map, snapshot, config))
      }
      const email = snapshot.lead.customer.email
      if (!email) return { error: 'This lead has no email address; matchBy "email" cannot deliver it.' }
      const fields = emailFields(snapshot, email)
      return {
        lookup: leadRequests.query(version, findByEmailSoql(email)),
        whenFound: { method: 'PATCH', path: `/services/data/v${version}/sobjects/Lead/{Id}`, body: fields },
        whenNotFound: leadRequests.create(version, fields),
      }
    },
  }
  if (config.matchBy === 'email') return connector

  return {
    ...connector,
    maxBatchSize: maxCollectionSize,
    async deliverBatch(items, signal) {
      const parts = chunks(items, maxCollectionSize)
      const results: BatchItemResult[] = []
      const failures: DeliveryError[] = []
      for (const part of parts) {
        try {
          results.push(...(await upsertCollection(part, signal)))
        } catch (error) {
          const failure = toDeliveryError(error)
          failures.push(failure)
          results.push(...part.map((): BatchItemResult => ({ ok: false, error: failure })))
        }
      }
      // Every call failed as a whole: say so, so each lead gets that outcome.
      if (failures.length === parts.length && failures[0]) throw failures[0]
      return results
    },
  }
}
