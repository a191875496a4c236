import type { Migration } from '../../migrations.ts'
import * as init from './0001-init.ts'
import * as delivery from './0002-delivery.ts'
import * as queueStatistics from './0003-queue-statistics.ts'
import * as keys from './0004-keys.ts'
import * as deliveryHolds from './0005-delivery-holds.ts'
import * as leadList from './0006-lead-list.ts'
import * as alerts from './0007-alerts.ts'
import * as people from './0008-people.ts'
import * as privacy from './0009-privacy.ts'
import * as subscriptions from './0010-subscriptions.ts'
import * as subscriptionStageTime from './0011-subscription-stage-time.ts'
import * as attemptExchanges from './0012-attempt-exchanges.ts'
import * as funnelCounts from './0013-funnel-counts.ts'
import * as saasRelayLanesAndCertificates from './0014-saas-relay-lanes-and-certificates.ts'
import * as deliveryTraceContext from './0015-delivery-trace-context.ts'
import * as deliveriesOfALead from './0016-deliveries-of-a-lead.ts'
import * as funnelCountersInCode from './0017-funnel-counters-in-code.ts'
import * as leadListCombinations from './0018-lead-list-combinations.ts'
import * as funnelAllOffers from './0020-funnel-all-offers.ts'
import * as funnelOfferRollUps from './0021-funnel-offer-roll-ups.ts'

export const postgresMigrations: readonly Migration[] = [
  { version: 1, ...init },
  { version: 2, ...delivery },
  { version: 3, ...queueStatistics },
  { version: 4, ...keys },
  { version: 5, ...deliveryHolds },
  { version: 6, ...leadList },
  { version: 7, ...alerts },
  { version: 8, ...people },
  { version: 9, ...privacy },
  { version: 10, ...subscriptions },
  { version: 11, ...subscriptionStageTime },
  { version: 12, ...attemptExchanges },
  { version: 13, ...funnelCounts },
  { version: 14, ...saasRelayLanesAndCertificates },
  { version: 15, ...deliveryTraceContext },
  { version: 16, ...deliveriesOfALead },
  { version: 17, ...funnelCountersInCode },
  { version: 18, ...leadListCombinations },
  { version: 20, ...funnelAllOffers },
  { version: 21, ...funnelOfferRollUps },
]
