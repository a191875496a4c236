/** The Marketo destination: Sync Leads upserts by email (or another lookup field). See README.md beside it. */

import { DeliveryError } from '../../core/errors.ts'
import { classifyHttpStatus } from '../http-errors.ts'
import type { BatchItem, BatchItemResult, Connector, ConnectorDeps, Destination, LeadSnapshot } from '../types.ts'
import { createTokenSource } from './auth.ts'
import { createMarketoClient, type MarketoAnswer, type MarketoClient, type SyncLeadsBody } from './client.ts'
import {
  type MarketoConfig,
  marketoBaseUrl,
  marketoConfigSchema,
  prepareMarketoSecrets,
  storedMarketoSecrets,
} from './config.ts'
import { classifyMarketoCode, toDeliveryError, unexpectedAnswerError } from './errors.ts'
import { type MarketoRecord, marketoFieldMap, marketoRecord } from './field-map.ts'

export type { MarketoConfig } from './config.ts'

/** Records per Sync Leads call (Marketo's limit). */
export const marketoMaxBatchSize = 300
/** Marketo answers 413 above 1 MB; calls stay below this many bytes of body. */
export const maxBodyBytes = 1_000_000

interface Prepared {
  readonly index: number
  readonly record: MarketoRecord
  /** The lookup value, lower-cased: Marketo matches email case-insensitively. */
  readonly key: string
  readonly bytes: number
}

/**
 * Splits records into Sync Leads calls: at most 300 records and 1 MB each, and never one person twice in a call
 * (Adobe warns that concurrent upserts of one key can create duplicates), so a later change of a person goes in a
 * later call, sent after the earlier one has answered.
 */
export function planCalls<T extends { readonly key: string; readonly bytes: number }>(
  records: readonly T[],
  envelopeBytes: number,
): T[][] {
  const calls: { records: T[]; keys: Set<string>; bytes: number }[] = []
  for (const record of records) {
    // A person's later change must not overtake its earlier one: only calls after the person's last call qualify.
    const lastWithKey = calls.findLastIndex((candidate) => candidate.keys.has(record.key))
    let call = calls
      .slice(lastWithKey + 1)
      .find(
        (candidate) =>
          candidate.records.length < marketoMaxBatchSize && candidate.bytes + record.bytes + 1 <= maxBodyBytes,
      )
    if (!call) {
      call = { records: [], keys: new Set(), bytes: envelopeBytes }
      calls.push(call)
    }
    call.records.push(record)
    call.keys.add(record.key)
    call.bytes += record.bytes + 1
  }
  return calls.map((call) => call.records)
}

function connectMarketo(
  config: MarketoConfig,
  secrets: Readonly<Record<string, string>>,
  deps: ConnectorDeps,
): Connector {
  const { http, clock, log } = deps
  const map = marketoFieldMap(config)
  const baseUrl = marketoBaseUrl(config)
  const sentFields = new Set([...Object.keys(map), config.lookupField])
  const credentials = storedMarketoSecrets(secrets)
  const client: MarketoClient | undefined =
    credentials &&
    createMarketoClient({
      http,
      baseUrl,
      timeoutMs: config.timeoutMs,
      tokens: createTokenSource({
        http,
        clock,
        identityUrl: `${baseUrl}/identity`,
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        timeoutMs: config.timeoutMs,
      }),
    })

  function requireClient(): MarketoClient {
    if (client) return client
    throw new DeliveryError(
      'misconfigured',
      'This Marketo destination has no Client ID and Client Secret stored. Set secrets.clientId and secrets.clientSecret (from Admin > Integration > LaunchPoint > View Details) on the destination.',
    )
  }

  function requestBody(input: readonly MarketoRecord[]): SyncLeadsBody {
    return {
      action: config.action,
      lookupField: config.lookupField,
      ...(config.partitionName !== undefined && { partitionName: config.partitionName }),
      input,
    }
  }
  const envelopeBytes = Buffer.byteLength(JSON.stringify(requestBody([])))

  /** The record for one lead, or why it cannot be sent at all. */
  function prepare(snapshot: LeadSnapshot, index: number): Prepared | DeliveryError {
    const record = marketoRecord(map, snapshot)
    const key = record[config.lookupField]
    if (key === undefined) {
      return new DeliveryError(
        'rejected',
        config.lookupField === 'email'
          ? 'This lead has no email address, so Marketo cannot match it to a person (lookupField is email). It is not sent. To sync leads without email, map a value to a custom field Marketo de-duplicates on and set lookupField to that field.'
          : `This lead has no value for ${config.lookupField}, the lookupField Marketo matches people on, so it is not sent. Map a value to ${config.lookupField} (fieldMap.fields), then replay the delivery.`,
      )
    }
    if (typeof record.email === 'string' && /[^\x20-\x7e]/.test(record.email)) {
      return new DeliveryError(
        'rejected',
        "Marketo accepts only ASCII email addresses, and this lead's email has other characters, so it is not sent. Correct the address at the source, or leave email out of the map if you match on another lookupField.",
      )
    }
    const bytes = Buffer.byteLength(JSON.stringify(record))
    if (envelopeBytes + bytes > maxBodyBytes) {
      return new DeliveryError(
        'rejected',
        "This lead's fields add up to more than Marketo's 1 MB request limit. Shorten the mapped values (fieldMap), then replay the delivery.",
      )
    }
    return { index, record, key: String(key).toLowerCase(), bytes }
  }

  /** Throws the `DeliveryError` an answer other than `success: true` calls for. */
  function failureOf(answer: Exclude<MarketoAnswer<unknown>, { kind: 'ok' }>, what: string): DeliveryError {
    const now = clock.now()
    switch (answer.kind) {
      case 'http':
        return classifyHttpStatus(answer.response, now) ?? unexpectedAnswerError(what, answer.response.status)
      case 'unreadable':
        return unexpectedAnswerError(what, answer.status)
      case 'errors': {
        const first = answer.errors[0]!
        const outcome = classifyMarketoCode(first, {
          now,
          quotaResetTimeZone: config.quotaResetTimeZone,
          fieldNames: sentFields,
          status: answer.status,
        })
        return outcome instanceof DeliveryError ? outcome : unexpectedAnswerError(what, answer.status)
      }
    }
  }

  /** One Sync Leads call: one result per record, in order; throws when the call failed as a whole. */
  async function sync(records: readonly MarketoRecord[], signal: AbortSignal): Promise<BatchItemResult[]> {
    const answer = await requireClient().syncLeads(requestBody(records), signal)
    if (answer.kind !== 'ok') throw failureOf(answer, 'Sync Leads')
    if (answer.result.length !== records.length) {
      throw new DeliveryError(
        'retryable',
        `Marketo answered Sync Leads with ${answer.result.length} results for ${records.length} leads; will retry.`,
        { status: answer.status },
      )
    }
    return answer.result.map((result): BatchItemResult => {
      const externalId = result.id === undefined ? {} : { externalId: String(result.id) }
      if (result.status === 'created' || result.status === 'updated') {
        return { ok: true, receipt: { ...externalId, status: answer.status, note: result.status } }
      }
      const reason = result.reasons?.[0]
      if (result.status !== 'skipped' || !reason) {
        return {
          ok: false,
          error: new DeliveryError(
            'retryable',
            `Marketo answered this lead with status "${result.status ?? 'none'}" and no reason; will retry.`,
            { status: answer.status },
          ),
        }
      }
      const outcome = classifyMarketoCode(reason, {
        now: clock.now(),
        quotaResetTimeZone: config.quotaResetTimeZone,
        fieldNames: sentFields,
        status: answer.status,
      })
      if (outcome instanceof DeliveryError) return { ok: false, error: outcome }
      if (outcome.kind === 'exists') {
        return { ok: true, receipt: { ...externalId, status: answer.status, note: 'already in Marketo (createOnly)' } }
      }
      return { ok: false, error: unexpectedAnswerError('Sync Leads', answer.status) }
    })
  }

  async function deliverBatch(items: readonly BatchItem[], signal: AbortSignal): Promise<BatchItemResult[]> {
    requireClient()
    const results: (BatchItemResult | undefined)[] = items.map(() => undefined)
    const ready: Prepared[] = []
    for (const [index, item] of items.entries()) {
      const prepared = prepare(item.snapshot, index)
      if (prepared instanceof DeliveryError) results[index] = { ok: false, error: prepared }
      else ready.push(prepared)
    }
    let failure: DeliveryError | undefined
    for (const call of planCalls(ready, envelopeBytes)) {
      if (!failure) {
        try {
          const outcomes = await sync(
            call.map((prepared) => prepared.record),
            signal,
          )
          for (const [position, prepared] of call.entries()) results[prepared.index] = outcomes[position]
          continue
        } catch (error) {
          // Later calls would meet the same throttle, outage or credentials: they share this failure unsent.
          failure = toDeliveryError(error)
        }
      }
      for (const prepared of call) results[prepared.index] = { ok: false, error: failure }
    }
    if (failure && results.every((result) => result && !result.ok && result.error === failure)) throw failure
    return results.map(
      (result) =>
        result ?? {
          ok: false,
          error: new DeliveryError('retryable', 'No answer was recorded for this lead; will retry.'),
        },
    )
  }

  return {
    maxBatchSize: marketoMaxBatchSize,
    deliverBatch,

    async deliver(snapshot, attempt) {
      const [result] = await deliverBatch([{ snapshot, attempt }], attempt.signal)
      if (!result) throw new DeliveryError('retryable', 'No answer was recorded for this lead; will retry.')
      if (!result.ok) throw result.error
      return result.receipt
    },

    preview(snapshot) {
      return requestBody([marketoRecord(map, snapshot)])
    },

    async erase(request, attempt) {
      const id = request.externalId === undefined ? Number.NaN : Number(request.externalId)
      if (!Number.isSafeInteger(id)) {
        throw new DeliveryError(
          'rejected',
          "Marketo never told Leadrelay this person's lead id, and the email it matched on is erased here. Delete the person in Marketo by hand (Database → the person → Delete Person).",
        )
      }
      const answer = await requireClient().deleteLeads([id], attempt.signal)
      if (answer.kind !== 'ok') throw failureOf(answer, 'Delete Leads')
      const [result] = answer.result
      if (result?.status === 'deleted') return { status: answer.status, note: 'person deleted' }
      // 1004: no such lead (deleted by hand, or an earlier attempt whose answer was lost): what was asked for.
      if (result?.status === 'skipped' && result.reasons?.[0]?.code === '1004')
        return { status: answer.status, note: 'person already deleted' }
      throw unexpectedAnswerError('Delete Leads', answer.status)
    },

    async verify(signal) {
      const answer = await requireClient().describeLeads(signal)
      if (answer.kind !== 'ok') throw failureOf(answer, 'Describe Leads')
      const { fields, complete } = answer.result
      const known = new Map(fields.map((field) => [field.name, field]))
      const needed = [...sentFields]
      const missing = needed.filter((name) => !known.has(name))
      if (missing.length > 0 && !complete) {
        // The answer was cut by the response size cap: absence proves nothing; a delivery would report 1006.
        log.warn({ unconfirmed: missing }, 'Marketo describe answer was cut; some mapped fields could not be confirmed')
      } else if (missing.length > 0) {
        const hints = missing.map((name) => {
          const type = name === config.testLeadField ? 'Boolean' : name === config.sourceDetailField ? 'String' : ''
          return type ? `${name} (${type})` : name
        })
        throw new DeliveryError(
          'misconfigured',
          `Marketo has no lead field with the REST API name ${hints.join(', ')}. Create ${missing.length > 1 ? 'them' : 'it'} in Marketo (Admin > Field Management > New Custom Field; the API name is shown in Admin > Field Management > Export Field Names) and let the API-only user write ${missing.length > 1 ? 'them' : 'it'}, or leave ${missing.length > 1 ? 'them' : 'it'} out of the field map (fieldMap.omit); then test the connection again.`,
        )
      }
      const readOnly = needed.filter((name) => name !== 'id' && known.get(name)?.readOnly === true)
      if (readOnly.length > 0) {
        throw new DeliveryError(
          'misconfigured',
          `Marketo's REST API cannot write ${readOnly.join(', ')} (read-only). Map another field (fieldMap.fields) or leave ${readOnly.length > 1 ? 'them' : 'it'} out (fieldMap.omit); then test the connection again.`,
        )
      }
    },
  }
}

export const marketoDestination: Destination<MarketoConfig> = {
  kind: 'marketo',
  displayName: 'Marketo (Adobe Marketo Engage)',
  // Per instance: 10 concurrent API calls, 100 calls per 20 s.
  vendorLimits: {
    maxConcurrency: 10,
    rate: { calls: 100, perSeconds: 20 },
    documentation: 'https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/rest-api',
  },
  configSchema: marketoConfigSchema,
  prepareSecrets(given) {
    return prepareMarketoSecrets(given)
  },
  secretFields: [
    {
      name: 'clientId',
      label: 'Client ID',
      required: true,
      help: 'Admin → Integration → LaunchPoint → your custom service (API-only user) → View Details → Client ID.',
    },
    {
      name: 'clientSecret',
      label: 'Client Secret',
      required: true,
      help: 'Admin → Integration → LaunchPoint → your custom service → View Details → Client Secret.',
    },
  ],
  connect: connectMarketo,
}
