/** The alert step of the SQLite ingest path (store/alert-ingest.ts) over prepared statements. */

import type { Database as SqliteDatabase } from 'better-sqlite3'
import {
  type AlertIngestQueries,
  type AlertRow,
  type AlertSendRow,
  alertRuleOfRow,
  createAlertRulesCache,
} from '../alert-ingest.ts'
import type { Database } from '../schema.ts'

const alertColumns = ['id', 'tenant_id', 'rule_id', 'lead_id', 'stage', 'lead_version', 'fired_at'] as const
const sendColumns = [
  'id',
  'alert_id',
  'tenant_id',
  'channel_id',
  'state',
  'attempts',
  'run_at',
  'locked_until',
  'last_error',
  'last_status',
  'sent_at',
  'created_at',
  'updated_at',
] as const

const placeholders = (columns: readonly string[]) => columns.map((column) => `@${column}`).join(', ')

/** Prepared on first use, inside the caller's open transaction. */
export function createSqliteAlertQueries(database: SqliteDatabase): AlertIngestQueries {
  let statements:
    | {
        rules: ReturnType<SqliteDatabase['prepare']>
        alert: ReturnType<SqliteDatabase['prepare']>
        send: ReturnType<SqliteDatabase['prepare']>
      }
    | undefined
  const prepared = () => {
    statements ??= {
      rules: database.prepare(
        'select * from alert_rules where tenant_id = ? and enabled = 1 and deleted_at is null order by id',
      ),
      alert: database.prepare(
        `insert into alerts (${alertColumns.join(', ')}) values (${placeholders(alertColumns)})
         on conflict (rule_id, lead_id, stage) do nothing`,
      ),
      send: database.prepare(
        `insert into alert_sends (${sendColumns.join(', ')}) values (${placeholders(sendColumns)})`,
      ),
    }
    return statements
  }
  const rulesOf = createAlertRulesCache((tenantId) =>
    (prepared().rules.all(tenantId) as Database['alert_rules'][]).map(alertRuleOfRow),
  )
  return {
    rulesOf,
    async fireAlert(alert: AlertRow, sends: readonly AlertSendRow[]) {
      const { alert: insertAlert, send } = prepared()
      if (insertAlert.run(alert).changes === 0) return
      for (const row of sends) send.run(row)
    },
  }
}
