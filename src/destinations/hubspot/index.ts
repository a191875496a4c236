/**
 * The HubSpot destination: leads become contacts, upserted by email with the batch upsert call (one input for a
 * single lead, up to 100 for a batch). See README.md beside it.
 */

import { DeliveryError } from '../../core/errors.ts'
import type { HttpResponse } from '../http-client.ts'
import type {
  BatchItemResult,
  Connector,
  ConnectorDeps,
  Destination,
  DestinationSecrets,
  LeadSnapshot,
} from '../types.ts'
import { authorizationHeader, prepareHubSpotSecrets } from './auth.ts'
import { createHubSpotClient, type PropertyDefinition, type UpsertResult } from './client.ts'
import { type HubSpotConfig, hubspotConfigSchema, lifecycleFunnelStages } from './config.ts'
import {
  classifyBatchItemError,
  classifyHubSpotResponse,
  type ErrorContext,
  type HubSpotErrorBody,
  parseErrorBody,
  settingsPropertyNames,
  toDeliveryError,
} from './errors.ts'
import { mappedPropertyNames, type UpsertInput, upsertInput } from './field-map.ts'

export type { HubSpotConfig } from './config.ts'

/** HubSpot's batch limit: at most 100 inputs per upsert call. */
export const hubspotMaxBatchSize = 100

interface Pending {
  /** Position in the caller's list of leads. */
  readonly index: number
  readonly input: UpsertInput
}

type Results = Map<number, BatchItemResult>

/** Every string an error names its input by: `context` values, `id`, `objectWriteTraceId`. */
function namesOf(entry: HubSpotErrorBody): Set<string> {
  const names = new Set<string>()
  const add = (value: unknown) => {
    if (typeof value === 'string') names.add(value.toLowerCase())
    else if (Array.isArray(value)) for (const item of value) add(item)
  }
  for (const value of Object.values(entry.context ?? {})) add(value)
  add(entry.id)
  add(entry.objectWriteTraceId)
  return names
}

function isNamed(names: ReadonlySet<string>, pending: Pending): boolean {
  return names.has(pending.input.id) || names.has(pending.input.objectWriteTraceId.toLowerCase())
}

/** Splits inputs into calls: ids unique within a call (HubSpot refuses duplicates), at most 100 per call. */
export function planCalls<T extends { readonly input: { readonly id: string } }>(pending: readonly T[]): T[][] {
  const rounds: T[][] = []
  const seen = new Map<string, number>()
  for (const entry of pending) {
    const round = seen.get(entry.input.id) ?? 0
    seen.set(entry.input.id, round + 1)
    const list = rounds[round] ?? []
    list.push(entry)
    rounds[round] = list
  }
  return rounds.flatMap((round) =>
    Array.from({ length: Math.ceil(round.length / hubspotMaxBatchSize) }, (_, i) =>
      round.slice(i * hubspotMaxBatchSize, (i + 1) * hubspotMaxBatchSize),
    ),
  )
}

function connectHubSpot(config: HubSpotConfig, secrets: DestinationSecrets, deps: ConnectorDeps): Connector {
  const client = createHubSpotClient({
    http: deps.http,
    clock: deps.clock,
    baseUrl: config.baseUrl,
    authorization: () => authorizationHeader(secrets),
    timeoutMs: config.timeoutMs,
    requestsPer10Seconds: config.requestsPer10Seconds,
  })
  const fromSettings = settingsPropertyNames(config)
  const context = (): ErrorContext => ({
    now: deps.clock.now(),
    timeZone: config.accountTimeZone,
    settingsProperties: fromSettings,
  })

  async function call(send: () => Promise<HttpResponse>): Promise<HttpResponse> {
    try {
      return await send()
    } catch (error) {
      throw toDeliveryError(error)
    }
  }

  /** Reads a 200/207 answer into per-input results; conflicting inputs are upserted once more. */
  async function readAnswer(
    response: HttpResponse,
    pending: readonly Pending[],
    results: Results,
    signal: AbortSignal,
    retryConflicts: boolean,
  ): Promise<void> {
    const body = parseErrorBody(response.body) as
      | (HubSpotErrorBody & { results?: UpsertResult[]; errors?: HubSpotErrorBody[] })
      | undefined
    const byTrace = new Map(pending.map((entry) => [entry.input.objectWriteTraceId, entry]))
    const byEmail = new Map(pending.map((entry) => [entry.input.id, entry]))
    // HubSpot does not promise result order: match each result by its trace id, else by its email.
    for (const result of body?.results ?? []) {
      const email = result.properties?.email?.toLowerCase()
      const entry =
        (result.objectWriteTraceId !== undefined ? byTrace.get(result.objectWriteTraceId) : undefined) ??
        (email !== undefined ? byEmail.get(email) : undefined)
      if (!entry || typeof result.id !== 'string') continue
      results.set(entry.index, {
        ok: true,
        receipt: {
          externalId: result.id,
          status: response.status,
          note: result.new === true ? 'created contact' : result.new === false ? 'updated contact' : 'upserted contact',
        },
      })
    }
    const conflicts: Pending[] = []
    const unattributed: HubSpotErrorBody[] = []
    for (const entry of body?.errors ?? []) {
      const names = namesOf(entry)
      const named = pending.filter((item) => !results.has(item.index) && isNamed(names, item))
      if (named.length === 0) unattributed.push(entry)
      for (const item of named) {
        if (entry.category === 'CONFLICT' && retryConflicts) conflicts.push(item)
        else results.set(item.index, { ok: false, error: classifyBatchItemError(entry, context(), response.status) })
      }
    }
    const leftover = pending.filter((item) => !results.has(item.index) && !conflicts.includes(item))
    const [onlyLeft] = leftover
    const [onlyError] = unattributed
    if (leftover.length === 1 && unattributed.length === 1 && onlyLeft && onlyError) {
      results.set(onlyLeft.index, { ok: false, error: classifyBatchItemError(onlyError, context(), response.status) })
    } else {
      for (const item of leftover) {
        results.set(item.index, {
          ok: false,
          error: new DeliveryError(
            'retryable',
            `HubSpot answered HTTP ${response.status} without a result for this contact; will retry.`,
            { status: response.status },
          ),
        })
      }
    }
    if (conflicts.length > 0) await upsert(conflicts, results, signal, false)
  }

  /**
   * One upsert call. Per-input outcomes go into `results`; a failure of the whole call is thrown. A lead-specific
   * refusal of a multi-input call (HubSpot without multi-status) never fails the other inputs: the named input
   * fails alone and the rest are sent again, or, when HubSpot names none, each is sent on its own.
   */
  async function upsert(
    pending: readonly Pending[],
    results: Results,
    signal: AbortSignal,
    retryConflicts: boolean,
  ): Promise<void> {
    const response = await call(() => client.upsertContacts({ inputs: pending.map((entry) => entry.input) }, signal))
    if (response.status >= 200 && response.status <= 299) {
      return readAnswer(response, pending, results, signal, retryConflicts)
    }
    const failure = classifyHubSpotResponse(response, context())!
    if (failure.details.vendorCode === 'CONFLICT' && retryConflicts) return upsert(pending, results, signal, false)
    if (failure.kind !== 'rejected') throw failure
    const [single] = pending
    if (pending.length === 1 && single) {
      results.set(single.index, { ok: false, error: failure })
      return
    }
    const body = parseErrorBody(response.body)
    const names = body ? namesOf(body) : new Set<string>()
    const named = pending.filter((entry) => isNamed(names, entry))
    if (named.length > 0) {
      for (const entry of named) results.set(entry.index, { ok: false, error: failure })
      const rest = pending.filter((entry) => !named.includes(entry))
      return rest.length > 0 ? upsert(rest, results, signal, retryConflicts) : undefined
    }
    for (const entry of pending) await upsert([entry], results, signal, retryConflicts)
  }

  async function upsertAll(snapshots: readonly LeadSnapshot[], signal: AbortSignal): Promise<BatchItemResult[]> {
    const results: Results = new Map()
    const pending: Pending[] = []
    for (const [index, snapshot] of snapshots.entries()) {
      try {
        pending.push({ index, input: upsertInput(snapshot, config) })
      } catch (error) {
        results.set(index, { ok: false, error: toDeliveryError(error) })
      }
    }
    const calls = planCalls(pending)
    for (const [position, batch] of calls.entries()) {
      try {
        await upsert(batch, results, signal, true)
      } catch (error) {
        // The whole call failed (auth, limits, HubSpot down): later calls would fail alike, so none is made.
        const failure = toDeliveryError(error)
        for (const entry of calls.slice(position).flat()) {
          if (!results.has(entry.index)) results.set(entry.index, { ok: false, error: failure })
        }
        break
      }
    }
    return snapshots.map(
      (_, index) =>
        results.get(index) ?? {
          ok: false,
          error: new DeliveryError('retryable', 'No HubSpot result for this contact; will retry.'),
        },
    )
  }

  async function readProperty(name: string, signal: AbortSignal): Promise<PropertyDefinition> {
    const response = await call(() => client.getContactProperty(name, signal))
    if (response.status === 404) {
      throw new DeliveryError(
        'misconfigured',
        `HubSpot has no contact property "${name}", which this destination sends. Create it in HubSpot (Settings → Data Management → Properties → Contact properties → Create property, with exactly that internal name), or remove it from this destination's settings or field map.`,
        { status: 404, vendorCode: 'PROPERTY_DOESNT_EXIST' },
      )
    }
    const failure = classifyHubSpotResponse(response, context())
    if (failure) throw failure
    return (parseErrorBody(response.body) ?? { name }) as PropertyDefinition
  }

  function requireOptions(property: PropertyDefinition, wanted: readonly string[], setting: string): void {
    const offered = new Set((property.options ?? []).map((option) => option.value))
    const missing = wanted.filter((value) => !offered.has(value))
    if (missing.length > 0) {
      throw new DeliveryError(
        'misconfigured',
        `HubSpot's contact property "${property.name}" has no option ${missing.map((value) => `"${value}"`).join(', ')}, which ${setting} names. Use the internal values listed under Settings → Data Management → Properties → ${property.name}, or add the option there.`,
        { vendorCode: 'INVALID_OPTION' },
      )
    }
  }

  function requireCheckbox(property: PropertyDefinition, setting: string): void {
    const values = new Set((property.options ?? []).map((option) => option.value))
    const checkbox = property.type === 'bool' || (values.has('true') && values.has('false'))
    if (!checkbox && property.type !== 'string') {
      throw new DeliveryError(
        'misconfigured',
        `HubSpot's contact property "${property.name}" (${setting}) is of type ${property.type ?? 'unknown'}, but it receives true or false. Use a single checkbox property (or a text property) instead.`,
      )
    }
  }

  return {
    maxBatchSize: hubspotMaxBatchSize,

    async verify(signal) {
      // Proves the token and its read scope; the properties prove the map. Writing is proven by the test lead.
      const contacts = await call(() => client.listContacts(1, signal))
      const failure = classifyHubSpotResponse(contacts, context())
      if (failure) throw failure
      for (const name of mappedPropertyNames(config)) {
        const property = await readProperty(name, signal)
        if (name === 'lifecyclestage') {
          const values = lifecycleFunnelStages.map((stage) => config.lifecycleStages[stage])
          requireOptions(
            property,
            values.filter((value): value is string => value !== null),
            'lifecycleStages',
          )
        } else if (name === 'hs_lead_status') {
          const values = [config.leadStatus, config.doNotContactLeadStatus]
          requireOptions(
            property,
            values.filter((value): value is string => value !== undefined),
            'leadStatus / doNotContactLeadStatus',
          )
        } else if (name === config.doNotContactProperty) {
          requireCheckbox(property, 'doNotContactProperty')
        } else if (name === config.testLeadProperty) {
          requireCheckbox(property, 'testLeadProperty')
        }
      }
    },

    async deliver(snapshot, attempt) {
      const [result] = await upsertAll([snapshot], attempt.signal)
      if (!result) throw new DeliveryError('retryable', 'No HubSpot result for this contact; will retry.')
      if (!result.ok) throw result.error
      return result.receipt
    },

    deliverBatch(items, signal) {
      return upsertAll(
        items.map((item) => item.snapshot),
        signal,
      )
    },

    preview(snapshot) {
      return { inputs: [upsertInput(snapshot, config)] }
    },

    async erase(request, attempt) {
      if (request.externalId === undefined) {
        throw new DeliveryError(
          'rejected',
          "HubSpot never told Leadrelay this contact's record id, and the email is erased here, so the contact cannot be found to delete it. Delete it in HubSpot by hand (Contacts → the contact → Actions → Delete, GDPR).",
        )
      }
      const response = await call(() => client.gdprDeleteContact(request.externalId!, attempt.signal))
      // Already gone (deleted by hand, or an earlier attempt whose answer was lost) is what was asked for.
      if (response.status === 404) return { status: 404, note: 'contact already deleted' }
      const failure = classifyHubSpotResponse(response, context())
      if (failure) throw failure
      return { status: response.status, note: 'contact deleted (GDPR)' }
    },
  }
}

export const hubspotDestination: Destination<HubSpotConfig> = {
  kind: 'hubspot',
  displayName: 'HubSpot (contacts)',
  // Private apps: 100 requests per 10 s on Free and Starter accounts (190 on Professional and Enterprise); the lower
  // one holds for every account. HubSpot names no concurrency limit: one second's worth of calls at once.
  vendorLimits: {
    maxConcurrency: 10,
    rate: { calls: 100, perSeconds: 10 },
    documentation: 'https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details',
  },
  configSchema: hubspotConfigSchema,
  prepareSecrets: (given) => prepareHubSpotSecrets(given),
  secretFields: [
    {
      name: 'accessToken',
      label: 'Private app access token',
      required: true,
      help: "HubSpot → Settings → Integrations → Private Apps → your app → Auth → Access token → Show token (it starts with 'pat-'). The app needs the scopes crm.objects.contacts.read and crm.objects.contacts.write.",
    },
  ],
  connect: connectHubSpot,
}
