import type { Migration } from '../../migrations.ts'
import * as init from './0001-init.ts'
import * as delivery from './0002-delivery.ts'
import * as queueStatistics from './0003-queue-statistics.ts'
import * as keys from './0004-keys.ts'
import * as deliveryHolds from './0005-delivery-holds.ts'
import * as people from './0008-people.ts'

export const postgresMigrations: readonly Migration[] = [
  { version: 1, ...init },
  { version: 2, ...delivery },
  { version: 3, ...queueStatistics },
  { version: 4, ...keys },
  { version: 5, ...deliveryHolds },
  { version: 8, ...people },
]
