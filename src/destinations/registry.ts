/** Every destination kind Leadrelay can deliver to, registered explicitly so the compiler and grep find them. */

import { AppError } from '../core/errors.ts'
import { azureTableDestination } from './azure-table/index.ts'
import { dynamics365Destination } from './dynamics365/index.ts'
import { hubspotDestination } from './hubspot/index.ts'
import { marketoDestination } from './marketo/index.ts'
import { salesforceDestination } from './salesforce/index.ts'
import type { Destination, DestinationKind } from './types.ts'
import { webhookDestination } from './webhook/index.ts'

export type DestinationRegistry = Partial<Record<DestinationKind, Destination<any>>>

export const destinationRegistry: DestinationRegistry = {
  'azure-table': azureTableDestination,
  dynamics365: dynamics365Destination,
  hubspot: hubspotDestination,
  marketo: marketoDestination,
  salesforce: salesforceDestination,
  webhook: webhookDestination,
}

export function destinationOfKind(registry: DestinationRegistry, kind: string): Destination<any> {
  // Own entries only: a kind such as `constructor` or `toString` must not find Object.prototype's members.
  const destination = Object.hasOwn(registry, kind) ? registry[kind as DestinationKind] : undefined
  if (!destination) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Unknown destination kind "${kind}"; one of: ${Object.keys(registry).join(', ')}`,
      {
        field: 'kind',
      },
    )
  }
  return destination
}
