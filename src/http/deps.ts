/** What the HTTP layer is built from. Everything comes in here; nothing is imported as a global. */

import type { IdGenerator } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import type { DestinationService } from '../services/destinations.ts'
import type { IngestService } from '../services/ingest.ts'
import type { Store } from '../store/types.ts'
import type { Authenticator } from './auth.ts'

export interface HttpDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly ingest: IngestService
  readonly destinations: DestinationService
  readonly auth: Authenticator
  readonly publicUrl: string
}
