/** What the HTTP layer is built from. Everything comes in here; nothing is imported as a global. */

import type { AlertDispatcher } from '../alerts/alert-dispatcher.ts'
import type { SignInConfig } from '../config.ts'
import type { IdGenerator } from '../core/ids.ts'
import type { Clock, SecretSealer } from '../core/ports.ts'
import type { WindowView } from '../delivery/destination-limits.ts'
import type { DestinationService } from '../services/destinations.ts'
import type { IngestService } from '../services/ingest.ts'
import type { InvitationMailer } from '../services/people.ts'
import type { SaasWebhookService } from '../services/saas-webhook.ts'
import type { SubscriptionService } from '../services/subscriptions.ts'
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
  /** Each destination's adaptive window of attempts in flight, as this node's delivery worker holds it. */
  readonly deliveryWindows?: () => ReadonlyMap<string, WindowView>
  /** People's sign-in; absent: API keys only. */
  readonly signIn?: SignInConfig
  /** Seals the login state cookie; sign-in with an identity provider needs it. */
  readonly sealer?: SecretSealer
  readonly sendInvitation?: InvitationMailer
  /** Sends test alerts and is woken by a replay; absent: alert tests answer NOT_READY. */
  readonly alertDispatcher?: Pick<AlertDispatcher, 'sendTest' | 'wake'>
  /** Marketplace subscriptions (docs/decisions/0010); absent: their routes answer NOT_READY. */
  readonly subscriptions?: SubscriptionService
  /** Microsoft's SaaS webhook calls at a relay URL; absent: that route answers NOT_READY. */
  readonly saasWebhook?: SaasWebhookService
}
