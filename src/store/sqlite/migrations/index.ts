import type { Migration } from '../../migrations.ts'
import * as init from './0001-init.ts'
import * as delivery from './0002-delivery.ts'
import * as keys from './0003-keys.ts'
import * as deliveryHolds from './0004-delivery-holds.ts'
import * as leadList from './0005-lead-list.ts'
import * as alerts from './0006-alerts.ts'
import * as people from './0007-people.ts'
import * as privacy from './0008-privacy.ts'
import * as subscriptions from './0009-subscriptions.ts'
import * as subscriptionStageTime from './0010-subscription-stage-time.ts'
import * as attemptExchanges from './0011-attempt-exchanges.ts'
import * as funnelCounts from './0012-funnel-counts.ts'
import * as saasRelayLanesAndCertificates from './0013-saas-relay-lanes-and-certificates.ts'
import * as deliveryTraceContext from './0014-delivery-trace-context.ts'
import * as deliveriesOfALead from './0015-deliveries-of-a-lead.ts'
import * as funnelCountersInCode from './0016-funnel-counters-in-code.ts'
import * as leadListCombinations from './0017-lead-list-combinations.ts'
import * as funnelAllOffers from './0019-funnel-all-offers.ts'
import * as funnelOfferRollUps from './0020-funnel-offer-roll-ups.ts'
import * as deferredIndexes from './0021-deferred-indexes.ts'

export const sqliteMigrations: readonly Migration[] = [
  { version: 1, ...init },
  { version: 2, ...delivery },
  { version: 3, ...keys },
  { version: 4, ...deliveryHolds },
  { version: 5, ...leadList },
  { version: 6, ...alerts },
  { version: 7, ...people },
  { version: 8, ...privacy },
  { version: 9, ...subscriptions },
  { version: 10, ...subscriptionStageTime },
  { version: 11, ...attemptExchanges },
  { version: 12, ...funnelCounts },
  { version: 13, ...saasRelayLanesAndCertificates },
  { version: 14, ...deliveryTraceContext },
  { version: 15, ...deliveriesOfALead },
  { version: 16, ...funnelCountersInCode },
  { version: 17, ...leadListCombinations },
  { version: 19, ...funnelAllOffers },
  { version: 20, ...funnelOfferRollUps },
  { version: 21, ...deferredIndexes },
]
