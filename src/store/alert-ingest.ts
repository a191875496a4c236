/**
 * The alert step of ingest: after a lead changed, the tenant's rules that fire are recorded as alerts with one send
 * per channel, in the lead change's own transaction. A tenant without rules costs one cached map lookup per event.
 * See docs/decisions/0007-alerts.md.
 */

import { type AlertCriteria, type AlertLeadChange, type AlertRule, alertsToFire } from '../core/alert-rules.ts'
import { createIdGenerator } from '../core/ids.ts'
import type { Database } from './schema.ts'

export type AlertRow = Database['alerts']
export type AlertSendRow = Database['alert_sends']

/** What the alert step needs from a dialect, inside the ingest transaction. */
export interface AlertIngestQueries {
  /** The tenant's enabled rules; dialects answer from `createAlertRulesCache`. */
  rulesOf(tenantId: string): Promise<readonly AlertRule[]>
  /** Inserts the alert and its sends, unless the alert's (rule, lead, stage) fired before: then nothing. */
  fireAlert(alert: AlertRow, sends: readonly AlertSendRow[]): Promise<void>
}

/** A stored rule row as the domain sees it. */
export function alertRuleOfRow(row: Database['alert_rules']): AlertRule {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    enabled: row.enabled === 1,
    criteria: JSON.parse(row.criteria) as AlertCriteria,
    channelIds: JSON.parse(row.channel_ids) as string[],
  }
}

/** How long a process keeps a tenant's rules: a new or edited rule applies to leads within this long. */
export const alertRulesCacheMs = 2000

const caches = new Set<Map<string, unknown>>()

/** Drops every rules cache of this process (the store calls it after a rule changes here). */
export function forgetCachedAlertRules(): void {
  for (const cache of caches) cache.clear()
}

/**
 * Caches `load` per tenant for `alertRulesCacheMs` of real time (not the ingest clock: freshness is about how long
 * ago the rules were read). Concurrent misses for one tenant share one load.
 */
export function createAlertRulesCache(
  load: (tenantId: string) => Promise<readonly AlertRule[]> | readonly AlertRule[],
  monotonicNow: () => number = () => performance.now(),
): (tenantId: string) => Promise<readonly AlertRule[]> {
  const cache = new Map<string, { until: number; rules: Promise<readonly AlertRule[]> }>()
  caches.add(cache)
  return (tenantId) => {
    const at = monotonicNow()
    const cached = cache.get(tenantId)
    if (cached && cached.until > at) return cached.rules
    const rules = Promise.resolve(load(tenantId)).then((loaded) => loaded.filter((rule) => rule.enabled))
    cache.set(tenantId, { until: at + alertRulesCacheMs, rules })
    // A failed load is not kept: the next event asks again.
    rules.catch(() => cache.delete(tenantId))
    return rules
  }
}

const noRules: readonly AlertRule[] = []

/** Records the alerts this change fires; call it after the lead row was written. */
export async function queueAlerts(
  queries: AlertIngestQueries,
  change: AlertLeadChange & { tenantId: string; leadId: string; leadVersion: number; now: number },
): Promise<number> {
  const rules = await queries.rulesOf(change.tenantId)
  if (rules === noRules || rules.length === 0) return 0
  const fired = alertsToFire(rules, change)
  if (fired.length === 0) return 0
  const ids = createIdGenerator({ now: () => change.now })
  for (const { rule, stage } of fired) {
    const alertId = ids.next('alr')
    await queries.fireAlert(
      {
        id: alertId,
        tenant_id: change.tenantId,
        rule_id: rule.id,
        lead_id: change.leadId,
        stage,
        lead_version: change.leadVersion,
        fired_at: change.now,
      },
      rule.channelIds.map((channelId) => ({
        id: ids.next('asn'),
        alert_id: alertId,
        tenant_id: change.tenantId,
        channel_id: channelId,
        state: 'queued',
        attempts: 0,
        run_at: change.now,
        locked_until: null,
        last_error: null,
        last_status: null,
        sent_at: null,
        created_at: change.now,
        updated_at: change.now,
      })),
    )
  }
  return fired.length
}
