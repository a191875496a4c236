/** Funnel stages and how marketplace actions map onto them. The single place that knows what an action means. */

/** The stage an event puts a customer in. `do_not_contact` and `unclassified` never advance the funnel. */
export const stages = [
  'unclassified',
  'do_not_contact',
  'trial',
  'initial_interest',
  'active',
  'customer',
  'suspended',
  'churned',
] as const
export type Stage = (typeof stages)[number]

/**
 * How far along the funnel a stage is; a lead shows the furthest stage any of its events reached. The subscription
 * stages (a marketplace purchase and what became of it, docs/decisions/0010) share the top rank.
 */
export const stageRank: Readonly<Record<Stage, number>> = {
  unclassified: 0,
  do_not_contact: 0,
  trial: 1,
  initial_interest: 2,
  active: 3,
  customer: 4,
  suspended: 4,
  churned: 4,
}

/** The stages a SaaS subscription's status puts its lead in: the newest of them wins, whichever it is. */
export const subscriptionStages = ['customer', 'suspended', 'churned'] as const satisfies readonly Stage[]

export function isSubscriptionStage(stage: Stage): boolean {
  return (subscriptionStages as readonly Stage[]).includes(stage)
}

/** Per action: the stage it means and whether it is the customer acting (which lifts a do-not-contact notice). */
export interface ActionMeaning {
  readonly stage: Stage
  readonly byCustomer: boolean
}

export type ActionMeanings = Readonly<Record<string, ActionMeaning>>

/**
 * Defaults from Microsoft's lead documentation: a test drive is a trial, "Get it now" (INS) is initial interest,
 * "Contact me" (PLT) and a purchase in the Azure portal (Create) are active, DNC is a heads-up not to call.
 * Keys are upper-case; lookups are case-insensitive.
 */
export const defaultActionMeanings: ActionMeanings = {
  STARTTESTDRIVE: { stage: 'trial', byCustomer: true },
  INS: { stage: 'initial_interest', byCustomer: true },
  PLT: { stage: 'active', byCustomer: true },
  CREATE: { stage: 'active', byCustomer: true },
  DNC: { stage: 'do_not_contact', byCustomer: false },
  // SaaS subscription statuses (SaaS Fulfillment API v2), as `leadrelay` records them (docs/decisions/0010).
  PENDINGFULFILLMENTSTART: { stage: 'active', byCustomer: true },
  SUBSCRIBED: { stage: 'customer', byCustomer: true },
  SUSPENDED: { stage: 'suspended', byCustomer: false },
  UNSUBSCRIBED: { stage: 'churned', byCustomer: false },
}

const unknownAction: ActionMeaning = { stage: 'unclassified', byCustomer: false }

/** Builds the action table from the defaults plus configured overrides (`{ "INS": "active" }`). */
export function createActionMeanings(overrides: Readonly<Record<string, Stage>> = {}): ActionMeanings {
  const table: Record<string, ActionMeaning> = { ...defaultActionMeanings }
  for (const [action, stage] of Object.entries(overrides)) {
    table[action.toUpperCase()] = { stage, byCustomer: stage !== 'do_not_contact' && stage !== 'unclassified' }
  }
  return table
}

export function meaningOf(action: string | undefined, table: ActionMeanings = defaultActionMeanings): ActionMeaning {
  if (!action) return unknownAction
  const key = action.toUpperCase()
  return (Object.hasOwn(table, key) ? table[key] : undefined) ?? unknownAction
}

/** The further of two stages; on a tie the current one stays. */
export function furtherStage(current: Stage, next: Stage): Stage {
  return stageRank[next] > stageRank[current] ? next : current
}

/**
 * The stage a lead moves to when an event of stage `next` arrives: the further one, except that between two
 * subscription stages the newer event wins (a suspended customer who pays again is a customer again).
 */
export function nextStage(current: Stage, next: Stage, nextIsNewer: boolean): Stage {
  if (isSubscriptionStage(current) && isSubscriptionStage(next)) return nextIsNewer ? next : current
  return furtherStage(current, next)
}

export function isStage(value: string): value is Stage {
  return (stages as readonly string[]).includes(value)
}
