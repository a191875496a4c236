/** Opens a stored destination into a live Connector: parses its config, decrypts its secrets, binds its deps. */

import { DeliveryError } from '../core/errors.ts'
import type { SecretSealer } from '../core/ports.ts'
import { type DestinationRegistry, destinationOfKind } from '../destinations/registry.ts'
import type { Connector, ConnectorDeps, Destination, DestinationSecrets, VendorLimits } from '../destinations/types.ts'
import type { DestinationRecord } from '../store/types.ts'

export interface ConnectorFactory {
  /** Throws DeliveryError('misconfigured') when the stored config or secrets cannot be used. */
  connectorFor(destination: DestinationRecord): Connector
  /** What the destination's vendor documents as its limits, if anything. */
  vendorLimitsOf(destination: DestinationRecord): VendorLimits | undefined
}

export function openSecrets(sealer: SecretSealer, destination: DestinationRecord): DestinationSecrets {
  if (destination.sealedSecrets === undefined) return {}
  return JSON.parse(sealer.open(destination.sealedSecrets, destination.id)) as DestinationSecrets
}

/**
 * A stored destination's config and decrypted secrets in today's form (see `Destination.normalizeStored`);
 * `changed` says whether the stored row still needs saving in that form.
 */
export function storedSettings(
  definition: Destination<unknown>,
  sealer: SecretSealer,
  destination: DestinationRecord,
): { config: unknown; secrets: DestinationSecrets; changed: boolean } {
  const secrets = openSecrets(sealer, destination)
  return (
    definition.normalizeStored?.(destination.config, secrets) ?? { config: destination.config, secrets, changed: false }
  )
}

export function createConnectorFactory(deps: {
  registry: DestinationRegistry
  sealer: SecretSealer
  connectorDeps: ConnectorDeps
}): ConnectorFactory {
  // Keyed on the settings, not `updatedAt`, which every health change moves: a connector (and the access token it
  // holds) lives as long as the destination's settings do.
  const cache = new Map<string, { settings: string; connector: Connector }>()
  return {
    connectorFor(destination) {
      const settings = `${destination.kind}\n${destination.sealedSecrets ?? ''}\n${JSON.stringify(destination.config)}`
      const cached = cache.get(destination.id)
      if (cached && cached.settings === settings) return cached.connector
      let connector: Connector
      try {
        const definition = destinationOfKind(deps.registry, destination.kind)
        const stored = storedSettings(definition, deps.sealer, destination)
        const config = definition.configSchema.parse(stored.config)
        connector = definition.connect(config, stored.secrets, deps.connectorDeps)
      } catch (error) {
        throw new DeliveryError('misconfigured', `The stored settings cannot be used: ${(error as Error).message}`, {
          cause: error,
        })
      }
      cache.set(destination.id, { settings, connector })
      return connector
    },
    vendorLimitsOf(destination) {
      return Object.hasOwn(deps.registry, destination.kind)
        ? deps.registry[destination.kind as keyof DestinationRegistry]?.vendorLimits
        : undefined
    },
  }
}
