/**
 * The alert step of the batch-wide ingest (record-lead-event-batch.ts): alerts are collected while the batch's items
 * are applied and written with the other rows, one statement per table. The unique key on (rule, lead, stage)
 * decides which alerts are new, so a concurrent node's batch never doubles one.
 */

import type { AlertRule } from '../core/alert-rules.ts'
import type { AlertIngestQueries, AlertRow, AlertSendRow } from './alert-ingest.ts'
import type { Executor } from './executor.ts'

export type TenantAlertRules = (tenantId: string) => Promise<readonly AlertRule[]>

export function createBatchAlertQueries(rulesOf: TenantAlertRules): {
  queries: AlertIngestQueries
  write(trx: Executor): Promise<void>
} {
  const alerts: AlertRow[] = []
  const sends: AlertSendRow[] = []
  return {
    queries: {
      rulesOf,
      async fireAlert(alert, rows) {
        alerts.push(alert)
        sends.push(...rows)
      },
    },
    async write(trx) {
      if (alerts.length === 0) return
      const inserted = await trx
        .insertInto('alerts')
        .values(alerts)
        .onConflict((conflict) => conflict.columns(['rule_id', 'lead_id', 'stage']).doNothing())
        .returning('id')
        .execute()
      const fresh = new Set(inserted.map((row) => row.id))
      const kept = sends.filter((row) => fresh.has(row.alert_id))
      if (kept.length > 0) await trx.insertInto('alert_sends').values(kept).execute()
    },
  }
}
