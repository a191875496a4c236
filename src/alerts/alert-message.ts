/** What every alert channel says, whatever its format: the facts of one lead reaching a stage, and links. */

import type { Stage } from '../core/funnel.ts'
import type { Lead } from '../core/lead.ts'

export interface AlertMessage {
  /** Unique per send (retries keep it): the idempotency key receivers may use. */
  readonly id: string
  readonly ruleName: string
  /** The stage the rule waited for. */
  readonly stage: Stage
  readonly lead: Lead
  readonly offerTitle?: string
  /** What the customer asked, from the newest event that carried a description. */
  readonly description?: string
  /** The lead's page in the portal. */
  readonly leadUrl: string
  /** The CRM record holding the lead, when a CRM destination told us where it is. */
  readonly crm?: { readonly name: string; readonly url: string }
  readonly firedAt: number
  /** A "send test alert": made-up lead, says so. */
  readonly test?: boolean
}

const stageNames: Readonly<Record<Stage, string>> = {
  unclassified: 'Unclassified',
  do_not_contact: 'Do not contact',
  trial: 'Trial',
  initial_interest: 'Initial interest',
  active: 'Active',
  customer: 'Customer',
  suspended: 'Suspended',
  churned: 'Churned',
}

export function stageName(stage: Stage): string {
  return stageNames[stage]
}

/** The lines every channel shows, in order, label → value; absent facts are left out. */
export function alertFacts(message: AlertMessage): { label: string; value: string }[] {
  const { customer } = message.lead
  const who = [customer.firstName, customer.lastName].filter(Boolean).join(' ')
  const contact = [customer.email, customer.phone].filter(Boolean).join(', ')
  const facts = [
    { label: 'Who', value: [who, customer.title].filter(Boolean).join(', ') },
    { label: 'Contact', value: contact },
    { label: 'Company', value: customer.company ?? '' },
    { label: 'Country', value: customer.country ?? '' },
    { label: 'Offer', value: message.offerTitle ?? message.lead.offerKey },
    { label: 'Stage', value: stageName(message.lead.stage) },
    { label: 'Source', value: [message.lead.source, message.lead.action].filter(Boolean).join(' / ') },
  ]
  return facts.filter((fact) => fact.value !== '')
}

/** One line: "Lead reached Active: Jane Doe (Contoso) — Offer". */
export function alertTitle(message: AlertMessage): string {
  const { customer } = message.lead
  const who = [customer.firstName, customer.lastName].filter(Boolean).join(' ') || customer.email || 'A customer'
  const company = customer.company ? ` (${customer.company})` : ''
  const prefix = message.test ? '[Test] ' : ''
  return `${prefix}${stageName(message.stage)}: ${who}${company} — ${message.offerTitle ?? message.lead.offerKey}`
}

/** Cuts text to `max` characters (code points), ending in an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const points = [...text]
  if (points.length <= max) return text
  return `${points.slice(0, Math.max(0, max - 1)).join('')}…`
}
