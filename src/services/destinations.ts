/** Destinations, routing, publish-with-a-test-lead and replay: the use cases behind the API and the CLI. */

import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { defaultConcurrencyCeiling } from '../core/concurrency-policy.ts'
import { conditionOf } from '../core/delivery-state.ts'
import { AppError } from '../core/errors.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock, SecretSealer } from '../core/ports.ts'
import { isoTime } from '../core/time.ts'
import type { ConnectorFactory } from '../delivery/connectors.ts'
import { storedSettings } from '../delivery/connectors.ts'
import { type DestinationRegistry, destinationOfKind } from '../destinations/registry.ts'
import type { LeadSnapshot } from '../destinations/types.ts'
import type { DeliveryFilter, DestinationRecord, ReplaySelector, RouteScope, Store, Tenant } from '../store/types.ts'
import { createAuditRecorder } from './audit-log.ts'

export interface DestinationServiceDeps {
  readonly store: Store
  readonly registry: DestinationRegistry
  readonly sealer: SecretSealer
  readonly connectors: ConnectorFactory
  readonly clock: Clock
  readonly ids: IdGenerator
  /** Deadline of one verify or test delivery, in ms. */
  readonly checkTimeoutMs: number
  readonly random?: (size: number) => Uint8Array
  /** Wakes the delivery worker after a replay. */
  readonly onReplay?: () => void
}

export const limitsSchema = z.strictObject({
  maxConcurrency: z.number().int().min(1).max(64).optional(),
  ratePerSecond: z.number().positive().max(10_000).nullable().optional(),
})

export const destinationInput = z.strictObject({
  kind: z.string().min(1),
  name: z.string().trim().min(1).max(200),
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.record(z.string(), z.unknown()).optional(),
  limits: limitsSchema.optional(),
})

export const destinationPatchInput = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(z.string(), z.unknown()).optional(),
  limits: limitsSchema.optional(),
})

/** What one destination check (Test connection, or each destination of a publish) found. */
export const checkResultSchema = z
  .object({
    destinationId: z.string(),
    name: z.string(),
    kind: z.string(),
    ok: z.boolean(),
    step: z.enum(['settings', 'verify', 'test_lead']).describe('The step that failed').optional(),
    reason: z.string().describe('What went wrong and how to fix it').optional(),
    failureKind: z.string().optional(),
    status: z.int().describe("The destination's HTTP status, when it answered").optional(),
    testLeadId: z.string().optional(),
  })
  .meta({ id: 'CheckResult' })

export type CheckResult = z.output<typeof checkResultSchema>

/**
 * The public view of a destination: never a secret. `stored` is its config in today's form and what its kind may
 * say about its secrets (e.g. the names of webhook secret headers), from `storedSettings`.
 */
export function presentDestination(
  destination: DestinationRecord,
  stored: { readonly config: unknown; readonly secrets?: Readonly<Record<string, unknown>> } = {
    config: destination.config,
  },
) {
  return {
    id: destination.id,
    kind: destination.kind,
    name: destination.name,
    config: stored.config,
    hasSecrets: destination.sealedSecrets !== undefined,
    ...stored.secrets,
    state: destination.state,
    stateReason: destination.stateReason ?? null,
    failingSince: destination.failingSince === undefined ? null : isoTime(destination.failingSince),
    throttledSince: destination.throttledSince === undefined ? null : isoTime(destination.throttledSince),
    /** What the portal's badge says; rate limiting shows only once it has lasted (`alertAfterMs`). */
    health: conditionOf(destination),
    limits: { maxConcurrency: destination.maxConcurrency, ratePerSecond: destination.ratePerSecond ?? null },
    createdAt: isoTime(destination.createdAt),
    updatedAt: isoTime(destination.updatedAt),
  }
}

/**
 * What a failed check says. Delivery errors promise a retry, but a check is never retried: it says what happened
 * and leaves trying again to the publisher.
 */
export function checkReason(error: { readonly kind?: string; readonly message: string }): string {
  const said = error.message
    .replace(/\s*\((?:next try in|Leadrelay retries)[^)]*\)/gi, '')
    .replace(/[;,]?\s*(?:Leadrelay )?will retry(?: later| with back-off| in [^.;)]+?)?(?: as asked)?(?=[.;)]|$)/gi, '')
    .replace(/\s*(?:Leadrelay )?(?:waits and )?(?:retries|tries again)(?: later)?\.(?=\s|$)/gi, '')
    .replace(/\s+\./g, '.')
    .trim()
  if (error.kind !== 'retryable' && error.kind !== 'rate_limited') return said
  const stop = /[.!?"]$/.test(said) ? '' : '.'
  return `${said}${stop} This test was not retried; run it again once the destination answers.`
}

/** A lead anyone can recognise as a test: every text value is `LEADRELAY_TEST_<n>`. */
export function testLeadSnapshot(tenantId: string, offerId: string | undefined, n: number, now: number): LeadSnapshot {
  const marker = `LEADRELAY_TEST_${n}`
  const customer = {
    firstName: marker,
    lastName: marker,
    email: `${marker.toLowerCase()}@example.com`,
    phone: '1234567890',
    phoneDigits: '1234567890',
    country: 'US',
    company: marker,
    title: marker,
  }
  const leadId = `lead_test_${n}`
  return {
    lead: {
      id: leadId,
      tenantId,
      ...(offerId !== undefined && { offerId }),
      offerKey: offerId ?? '',
      stage: 'initial_interest',
      doNotContact: false,
      isTest: true,
      customer,
      source: 'AzureMarketplace',
      action: 'INS',
      eventCount: 1,
      firstEventAt: now,
      lastEventAt: now,
      createdAt: now,
      updatedAt: now,
      version: 1,
    },
    events: [
      {
        id: `evt_test_${n}`,
        leadId,
        format: 'api',
        receivedAt: now,
        occurredAt: now,
        leadSource: `AzureMarketplace-INS|${offerId ?? marker}`,
        source: 'AzureMarketplace',
        action: 'INS',
        stage: 'initial_interest',
        ...(offerId !== undefined && { offerRef: offerId }),
        description: marker,
        customer,
        isTest: true,
      },
    ],
  }
}

export function createDestinationService(deps: DestinationServiceDeps) {
  const { store, clock, ids } = deps
  const random = deps.random ?? randomBytes

  const audit = createAuditRecorder(deps)

  function validateConfig(kind: string, config: unknown): unknown {
    const definition = destinationOfKind(deps.registry, kind)
    const result = definition.configSchema.safeParse(config)
    if (!result.success) {
      const issue = result.error.issues[0]
      const field = ['config', ...(issue?.path.map(String) ?? [])].join('.')
      throw new AppError('VALIDATION_FAILED', `${field}: ${issue?.message ?? 'invalid'}`, { field })
    }
    return result.data
  }

  function prepareSecrets(kind: string, given: Record<string, unknown> | undefined) {
    const definition = destinationOfKind(deps.registry, kind)
    const secrets = definition.prepareSecrets(given, random)
    // Generated values the publisher did not send are shown once, in this answer only; nothing else ever is.
    const generated = new Set((definition.secretFields ?? []).filter((field) => field.generated).map((f) => f.name))
    const revealed = Object.fromEntries(
      Object.entries(secrets).filter(([key]) => generated.has(key) && given?.[key] === undefined),
    )
    return { secrets, revealed }
  }

  /** The view of a stored destination, with its settings in today's form (see `Destination.normalizeStored`). */
  function present(destination: DestinationRecord) {
    const definition = Object.hasOwn(deps.registry, destination.kind)
      ? deps.registry[destination.kind as keyof DestinationRegistry]
      : undefined
    if (!definition?.normalizeStored && !definition?.describeSecrets) return presentDestination(destination)
    const stored = storedSettings(definition, deps.sealer, destination)
    return presentDestination(destination, {
      config: stored.config,
      ...(definition.describeSecrets && { secrets: definition.describeSecrets(stored.secrets) }),
    })
  }

  async function requireDestination(tenant: Tenant, id: string): Promise<DestinationRecord> {
    const destination = await store.getDestination(tenant.id, id)
    if (!destination) throw new AppError('DESTINATION_NOT_FOUND', `No destination ${id}`, { field: 'destinationId' })
    return destination
  }

  async function check(destination: DestinationRecord, offerId: string | undefined): Promise<CheckResult> {
    const base = { destinationId: destination.id, name: destination.name, kind: destination.kind }
    let connector: ReturnType<ConnectorFactory['connectorFor']>
    try {
      connector = deps.connectors.connectorFor(destination)
    } catch (error) {
      return { ...base, ok: false, step: 'settings', reason: (error as Error).message, failureKind: 'misconfigured' }
    }
    const step = async (
      name: 'verify' | 'test_lead',
      work: () => Promise<unknown>,
    ): Promise<CheckResult | undefined> => {
      try {
        await work()
        return undefined
      } catch (error) {
        const details = error as { kind?: string; message: string; details?: { status?: number } }
        return {
          ...base,
          ok: false,
          step: name,
          reason: checkReason(details),
          ...(details.kind !== undefined && { failureKind: details.kind }),
          ...(details.details?.status !== undefined && { status: details.details.status }),
        }
      }
    }
    const verified = await step('verify', () => connector.verify(AbortSignal.timeout(deps.checkTimeoutMs)))
    if (verified) return verified
    const n = clock.now()
    const snapshot = testLeadSnapshot(destination.tenantId, offerId, n, n)
    const delivered = await step('test_lead', () =>
      connector.deliver(snapshot, {
        deliveryId: `dlv_test_${n}_${destination.id}`,
        number: 1,
        signal: AbortSignal.timeout(deps.checkTimeoutMs),
      }),
    )
    if (delivered) return delivered
    if (destination.state !== 'active')
      await store.setDestinationHealth(destination.id, { state: 'active' }, clock.now())
    return { ...base, ok: true, testLeadId: snapshot.lead.id }
  }

  async function requireOwnDestinations(tenant: Tenant, destinationIds: readonly string[]): Promise<void> {
    for (const id of destinationIds) await requireDestination(tenant, id)
  }

  return {
    /** Every destination kind with its config JSON Schema and secret fields, for forms. */
    kinds() {
      return Object.values(deps.registry).map((definition) => ({
        kind: definition.kind,
        displayName: definition.displayName,
        configSchema: z.toJSONSchema(definition.configSchema, { io: 'input', unrepresentable: 'any' }),
        secretFields: definition.secretFields ?? [],
        supportsSecretRotation: definition.rotateSecrets !== undefined,
      }))
    },

    /** New secrets (e.g. a new signing secret, the old one still valid 24 h); the new values are shown once. */
    async rotateSecrets(tenant: Tenant, id: string, actor: string) {
      const current = await requireDestination(tenant, id)
      const definition = destinationOfKind(deps.registry, current.kind)
      if (!definition.rotateSecrets) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${definition.displayName} destinations have no secret Leadrelay can rotate`,
          {
            field: 'destinationId',
          },
        )
      }
      const stored = storedSettings(definition, deps.sealer, current)
      const secrets = definition.rotateSecrets(stored.secrets, random, clock.now())
      await store.updateDestination(
        tenant.id,
        id,
        {
          sealedSecrets: deps.sealer.seal(JSON.stringify(secrets), id),
          ...(stored.changed && { config: stored.config }),
        },
        clock.now(),
      )
      await audit(tenant, actor, 'destination.secrets_rotated', id)
      const previous = stored.secrets
      const revealed = Object.fromEntries(
        Object.entries(secrets).filter(
          ([key, value]) => previous[key] !== value && !/expires/i.test(key) && !/^previous/.test(key),
        ),
      )
      return {
        destination: present((await store.getDestination(tenant.id, id))!),
        revealedSecrets: revealed,
      }
    },

    async create(tenant: Tenant, input: z.output<typeof destinationInput>, actor: string) {
      const definition = destinationOfKind(deps.registry, input.kind)
      const given = validateConfig(input.kind, input.config)
      const prepared = prepareSecrets(input.kind, input.secrets)
      // A header given both as a setting and as a secret is sent with the secret value only.
      const { config, secrets } = definition.normalizeStored?.(given, prepared.secrets) ?? {
        config: given,
        secrets: prepared.secrets,
      }
      const revealed = prepared.revealed
      const id = ids.next('dst')
      const destination = await store.createDestination(
        {
          id,
          tenantId: tenant.id,
          kind: input.kind,
          name: input.name,
          config,
          ...(Object.keys(secrets).length > 0 && { sealedSecrets: deps.sealer.seal(JSON.stringify(secrets), id) }),
          maxConcurrency: input.limits?.maxConcurrency ?? defaultConcurrencyCeiling,
          ...(input.limits?.ratePerSecond != null && { ratePerSecond: input.limits.ratePerSecond }),
        },
        clock.now(),
      )
      await audit(tenant, actor, 'destination.created', id, { kind: input.kind, name: input.name })
      return { destination: present(destination), revealedSecrets: revealed }
    },

    async update(tenant: Tenant, id: string, input: z.output<typeof destinationPatchInput>, actor: string) {
      const current = await requireDestination(tenant, id)
      const definition = destinationOfKind(deps.registry, current.kind)
      // Settings stored under an older rule (credential headers in a webhook's plain config) are saved in today's
      // form by any update, so their values leave the plain config.
      const stored = storedSettings(definition, deps.sealer, current)
      let config = input.config === undefined ? stored.config : validateConfig(current.kind, input.config)
      let secrets = stored.secrets
      let revealed: Record<string, string> = {}
      if (input.secrets !== undefined) {
        const prepared = prepareSecrets(current.kind, { ...stored.secrets, ...input.secrets })
        secrets = prepared.secrets
        revealed = prepared.revealed
      }
      const normalized = definition.normalizeStored?.(config, secrets)
      if (normalized?.changed) ({ config, secrets } = normalized)
      const configChanged = input.config !== undefined || stored.changed || normalized?.changed === true
      const secretsChanged = input.secrets !== undefined || stored.changed || normalized?.changed === true
      const sealedSecrets = secretsChanged ? deps.sealer.seal(JSON.stringify(secrets), id) : undefined
      const updated = await store.updateDestination(
        tenant.id,
        id,
        {
          ...(input.name !== undefined && { name: input.name }),
          ...(configChanged && { config }),
          ...(sealedSecrets !== undefined && { sealedSecrets }),
          ...(input.limits?.maxConcurrency !== undefined && { maxConcurrency: input.limits.maxConcurrency }),
          ...(input.limits?.ratePerSecond !== undefined && { ratePerSecond: input.limits.ratePerSecond }),
        },
        clock.now(),
      )
      // A changed setting deserves a fresh try: a paused or disabled destination resumes.
      if (current.state !== 'active' && (input.config !== undefined || input.secrets !== undefined)) {
        await store.setDestinationHealth(id, { state: 'active' }, clock.now())
      }
      await audit(tenant, actor, 'destination.updated', id, {
        fields: Object.keys(input).filter((key) => input[key as keyof typeof input] !== undefined),
      })
      const fresh = (await store.getDestination(tenant.id, id)) ?? updated!
      return { destination: present(fresh), revealedSecrets: revealed }
    },

    async remove(tenant: Tenant, id: string, actor: string) {
      if (!(await store.deleteDestination(tenant.id, id, clock.now()))) {
        throw new AppError('DESTINATION_NOT_FOUND', `No destination ${id}`, { field: 'destinationId' })
      }
      await audit(tenant, actor, 'destination.deleted', id)
    },

    async get(tenant: Tenant, id: string) {
      return present(await requireDestination(tenant, id))
    },

    async list(tenant: Tenant) {
      return (await store.listDestinations(tenant.id)).map(present)
    },

    /** What the destination would receive for this lead, without sending anything. */
    async preview(tenant: Tenant, id: string, leadId: string) {
      const destination = await requireDestination(tenant, id)
      const lead = await store.getLead(tenant.id, leadId)
      if (!lead) throw new AppError('LEAD_NOT_FOUND', `No lead ${leadId}`, { field: 'leadId' })
      const [events, offer] = await Promise.all([
        store.listLeadEvents(tenant.id, lead.id),
        lead.offerId === undefined ? undefined : store.getOffer(tenant.id, lead.offerId),
      ])
      let connector: ReturnType<ConnectorFactory['connectorFor']>
      try {
        connector = deps.connectors.connectorFor(destination)
      } catch (error) {
        throw new AppError('VALIDATION_FAILED', (error as Error).message, { field: 'destinationId' })
      }
      if (!connector.preview) {
        throw new AppError('VALIDATION_FAILED', `${destination.kind} destinations have no preview`, {
          field: 'destinationId',
        })
      }
      return connector.preview({ lead, events, ...(offer?.title !== undefined && { offerTitle: offer.title }) })
    },

    /** "Test connection": verify, then send one test lead. A passing check resumes a paused destination. */
    async verify(tenant: Tenant, id: string, actor: string): Promise<CheckResult> {
      const result = await check(await requireDestination(tenant, id), undefined)
      await audit(tenant, actor, 'destination.verified', id, {
        ok: result.ok,
        ...(result.reason && { reason: result.reason }),
      })
      return result
    },

    async setRoutes(tenant: Tenant, scope: RouteScope, destinationIds: readonly string[]) {
      await requireOwnDestinations(tenant, destinationIds)
      await store.setRoutes(tenant.id, scope, [...new Set(destinationIds)])
    },

    getRoutes: (tenant: Tenant, scope: RouteScope) => store.getRoutes(tenant.id, scope),

    /** Verifies every destination routed for the offer and sends each a test lead; the offer goes live only if all pass. */
    async publish(tenant: Tenant, offerId: string, actor: string) {
      const offer = await store.getOffer(tenant.id, offerId)
      if (!offer) throw new AppError('OFFER_NOT_FOUND', `No offer ${offerId}`, { field: 'offerId' })
      let destinationIds = await store.getRoutes(tenant.id, `offer:${offerId}`)
      const usesDefault = destinationIds.length === 0
      if (usesDefault) destinationIds = await store.getRoutes(tenant.id, 'default')
      if (destinationIds.length === 0) {
        throw new AppError('OFFER_NOT_ROUTED', `Offer ${offerId} has no destinations and there is no default route`, {
          field: 'destinations',
        })
      }
      const results: CheckResult[] = []
      for (const id of destinationIds) results.push(await check(await requireDestination(tenant, id), offerId))
      const live = results.every((result) => result.ok)
      await store.setOfferStatus(tenant.id, offerId, live ? 'live' : 'draft', clock.now())
      // Only a publish that made the offer live is `offer.published`; a failed one says which check failed and why.
      const failed = results.filter((result) => !result.ok)
      await audit(
        tenant,
        actor,
        live ? 'offer.published' : 'offer.publish_failed',
        offerId,
        live
          ? { destinations: results.map((result) => result.destinationId), usesDefaultRoute: usesDefault }
          : {
              usesDefaultRoute: usesDefault,
              failed: failed.map((result) => ({
                destinationId: result.destinationId,
                name: result.name,
                step: result.step,
                reason: result.reason,
                ...(result.status !== undefined && { status: result.status }),
              })),
            },
      )
      return { offerId, status: live ? ('live' as const) : ('draft' as const), usesDefaultRoute: usesDefault, results }
    },

    async replay(tenant: Tenant, selector: ReplaySelector, actor: string) {
      const result = await store.replayDeliveries(tenant.id, selector, clock.now())
      await audit(tenant, actor, 'deliveries.replayed', 'ids' in selector ? 'ids' : 'filter', {
        replayed: result.replayed.length,
        skipped: result.skipped,
        ...('ids' in selector ? { ids: selector.ids.slice(0, 100) } : { filter: selector.filter as DeliveryFilter }),
      })
      if (result.replayed.length > 0) deps.onReplay?.()
      return result
    },

    /**
     * Makes a queued delivery due now (audited). A destination held by a rate limit, paused or disabled still gets
     * nothing before it may: the answer says when it will be tried, so the portal can explain.
     */
    async retryNow(tenant: Tenant, deliveryId: string, actor: string) {
      const now = clock.now()
      const outcome = await store.retryDelivery(tenant.id, deliveryId, now)
      if (outcome.status === 'not_found')
        throw new AppError('DELIVERY_NOT_FOUND', `No delivery ${deliveryId}`, { field: 'deliveryId' })
      if (outcome.status === 'not_queued')
        throw new AppError(
          'CONFLICT',
          `Delivery ${deliveryId} is ${outcome.state.replace('_', ' ')}: only a queued delivery can be retried now (replay a dead one)`,
          { field: 'deliveryId' },
        )
      const destination = await store.getDestination(tenant.id, outcome.destinationId)
      const heldUntil =
        destination?.heldUntil !== undefined && destination.heldUntil > now ? destination.heldUntil : undefined
      await audit(tenant, actor, 'delivery.retried', deliveryId, {
        destinationId: outcome.destinationId,
        ...(heldUntil !== undefined && { heldUntil }),
      })
      deps.onReplay?.()
      return {
        delivery: (await store.getDelivery(tenant.id, deliveryId))!,
        destinationState: destination?.state ?? 'active',
        ...(heldUntil !== undefined && { heldUntil }),
      }
    },
  }
}

export type DestinationService = ReturnType<typeof createDestinationService>
