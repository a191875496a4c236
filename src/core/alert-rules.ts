/**
 * Alert rules: which lead changes tell people (Teams, Slack, email, a webhook). Pure: the ingest step hands in the
 * lead before and after one event and gets back the rules that fire. "Fired once" is kept by the store (a unique
 * key on rule, lead and stage), not here; see docs/decisions/0007-alerts.md.
 */

import { type Stage, stageRank } from './funnel.ts'
import { funnelSteps } from './funnel-report.ts'
import type { LeadState } from './lead.ts'

/** The stages a rule can wait for: the funnel's steps, the ones that advance it and a customer leaving. */
export const alertStages = funnelSteps
export type AlertStage = (typeof alertStages)[number]

/** Which leads a rule is about. Empty lists mean "any". */
export interface AlertCriteria {
  /** Offer ids (or the names leads carry for offers not configured yet). */
  readonly offers: readonly string[]
  /** The rule fires when a lead reaches this stage (or a further one) for the first time. */
  readonly stage: AlertStage
  /** Lead sources, e.g. `AzureMarketplace`, `AppSource`; compared without regard to case. */
  readonly sources: readonly string[]
  /** ISO 3166 alpha-2 country codes; compared without regard to case. */
  readonly countries: readonly string[]
  /** Test leads are left out unless this is set. Do-not-contact leads are always left out. */
  readonly includeTest: boolean
}

export interface AlertRule {
  readonly id: string
  readonly tenantId: string
  readonly name: string
  readonly enabled: boolean
  readonly criteria: AlertCriteria
  /** The channels told when the rule fires, in this order. */
  readonly channelIds: readonly string[]
}

/** One lead change as ingest sees it: the merged state before the event (none for a new lead) and after. */
export interface AlertLeadChange {
  readonly before: Pick<LeadState, 'stage'> | undefined
  readonly after: Pick<LeadState, 'stage' | 'doNotContact' | 'isTest' | 'source' | 'customer'>
  /** The configured offer the lead belongs to, when known. */
  readonly offerId?: string
  /** The offer as the lead names it (the offer id when known). */
  readonly offerKey: string
}

export interface FiredAlert {
  readonly rule: AlertRule
  readonly stage: AlertStage
}

function reached(stage: Stage | undefined, wanted: AlertStage): boolean {
  // Churned is a state a customer can leave again (decision 0010), not a step every later stage has passed.
  if (wanted === 'churned') return stage === 'churned'
  return stage !== undefined && stageRank[stage] >= stageRank[wanted]
}

function inList(list: readonly string[], value: string | undefined): boolean {
  if (list.length === 0) return true
  if (value === undefined) return false
  const wanted = value.toLowerCase()
  return list.some((item) => item.toLowerCase() === wanted)
}

/** Whether the lead, as it is after the change, is one the rule is about (stage aside). */
export function ruleCovers(criteria: AlertCriteria, change: AlertLeadChange): boolean {
  const { after } = change
  if (after.doNotContact) return false
  if (after.isTest && !criteria.includeTest) return false
  if (criteria.offers.length > 0) {
    const offers = new Set(criteria.offers.map((offer) => offer.toLowerCase()))
    const ids = [change.offerId, change.offerKey].filter((id): id is string => id !== undefined && id !== '')
    if (!ids.some((id) => offers.has(id.toLowerCase()))) return false
  }
  return inList(criteria.sources, after.source) && inList(criteria.countries, after.customer.country)
}

/**
 * The enabled rules this change fires: the lead reached the rule's stage with this event and had not before. A later
 * event that leaves the stage where it is fires nothing; the store's unique key catches anything that would fire twice.
 */
export function alertsToFire(rules: readonly AlertRule[], change: AlertLeadChange): FiredAlert[] {
  const fired: FiredAlert[] = []
  for (const rule of rules) {
    if (!rule.enabled || rule.channelIds.length === 0) continue
    const stage = rule.criteria.stage
    if (!reached(change.after.stage, stage) || reached(change.before?.stage, stage)) continue
    if (!ruleCovers(rule.criteria, change)) continue
    fired.push({ rule, stage })
  }
  return fired
}
