/** Opens a stored destination into a live Connector: parses its config, decrypts its secrets, binds its deps. */

import { DeliveryError } from '../core/errors.ts'
import type { SecretSealer } from '../core/ports.ts'
import { type DestinationRegistry, destinationOfKind } from '../destinations/registry.ts'
import type { Connector, ConnectorDeps, DestinationSecrets } from '../destinations/types.ts'
import type { DestinationRecord } from '../store/types.ts'

export interface ConnectorFactory {
  /** Throws DeliveryError('misconfigured') when the stored config or secrets cannot be used. */
  connectorFor(destination: DestinationRecord): Connector
}

export function openSecrets(sealer: SecretSealer, destination: DestinationRecord): DestinationSecrets {
  if (destination.sealedSecrets === undefined) return {}
  return JSON.parse(sealer.open(destination.sealedSecrets, destination.id)) as DestinationSecrets
}

export function createConnectorFactory(deps: {
  registry: DestinationRegistry
  sealer: SecretSealer
  connectorDeps: ConnectorDeps
}): ConnectorFactory {
  const cache = new Map<string, { updatedAt: number; connector: Connector }>()
  return {
    connectorFor(destination) {
      const cached = cache.get(destination.id)
      if (cached && cached.updatedAt === destination.updatedAt) return cached.connector
      let connector: Connector
      try {
        const definition = destinationOfKind(deps.registry, destination.kind)
        const config = definition.configSchema.parse(destination.config)
        connector = definition.connect(config, openSecrets(deps.sealer, destination), deps.connectorDeps)
      } catch (error) {
        throw new DeliveryError('misconfigured', `The stored settings cannot be used: ${(error as Error).message}`, {
          cause: error,
        })
      }
      cache.set(destination.id, { updatedAt: destination.updatedAt, connector })
      return connector
    },
  }
}
