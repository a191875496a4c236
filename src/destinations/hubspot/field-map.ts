/**
 * Leadrelay lead → HubSpot contact properties. The contact is keyed on the customer's email (HubSpot's unique
 * `email` property), so every delivery for one customer upserts the same contact.
 */

import { DeliveryError } from '../../core/errors.ts'
import { isSubscriptionStage, type Stage, stageRank } from '../../core/funnel.ts'
import {
  applyFieldMap,
  type FieldMap,
  historySummary,
  leadValues,
  type MappedValue,
  resolveFieldMap,
} from '../field-map.ts'
import type { LeadSnapshot } from '../types.ts'
import type { HubSpotConfig, LifecycleFunnelStage } from './config.ts'

/** The standard contact properties every HubSpot account has. */
export const hubspotDefaultFieldMap: FieldMap = {
  email: { from: 'customer.email' },
  firstname: { from: 'customer.firstName' },
  lastname: { from: 'customer.lastName' },
  phone: { from: 'customer.phone' },
  country: { from: 'customer.country' },
  company: { from: 'customer.company' },
  jobtitle: { from: 'customer.title' },
}

/** HubSpot's cap on a text property value. */
export const maxPropertyLength = 65_536

export interface UpsertInput {
  readonly idProperty: 'email'
  /** The customer's email, lower-cased (HubSpot stores emails lower-cased). */
  readonly id: string
  readonly properties: Readonly<Record<string, string>>
  /** Names this input in a multi-status answer; enables per-input errors (a bad input fails alone). */
  readonly objectWriteTraceId: string
}

export interface UpsertBody {
  readonly inputs: readonly UpsertInput[]
}

/**
 * The furthest funnel stage the lead or any of its events reached. HubSpot does not move a lifecycle stage
 * backwards, so the connector never asks it to: a lead that went trial → active → trial stays `active`.
 */
export function furthestStage(snapshot: LeadSnapshot): Stage {
  let furthest = snapshot.lead.stage
  for (const event of snapshot.events) if (stageRank[event.stage] > stageRank[furthest]) furthest = event.stage
  return furthest
}

/** The lifecycle stage for the lead's furthest funnel stage, or undefined to leave HubSpot's value alone. */
export function lifecycleStageOf(snapshot: LeadSnapshot, config: HubSpotConfig): string | undefined {
  const stage = furthestStage(snapshot)
  if (stageRank[stage] === 0) return undefined
  const key = isSubscriptionStage(stage) ? 'customer' : stage
  return config.lifecycleStages[key as LifecycleFunnelStage] ?? undefined
}

/** Keeps the newest lines of a long history, so the property holds what happened last. */
function capHistory(text: string): string {
  if (text.length <= maxPropertyLength) return text
  const cut = text.slice(text.length - maxPropertyLength + 2)
  return `…\n${cut.slice(cut.indexOf('\n') + 1)}`
}

/** Properties the connector derives from its settings, before the field map and its overrides. */
function settingsProperties(snapshot: LeadSnapshot, config: HubSpotConfig): Record<string, MappedValue> {
  const { lead } = snapshot
  const derived: Record<string, MappedValue> = {}
  const lifecycle = lifecycleStageOf(snapshot, config)
  if (lifecycle !== undefined) derived.lifecyclestage = lifecycle
  const leadStatus = lead.doNotContact ? (config.doNotContactLeadStatus ?? config.leadStatus) : config.leadStatus
  if (leadStatus !== undefined) derived.hs_lead_status = leadStatus
  if (config.doNotContactProperty) derived[config.doNotContactProperty] = lead.doNotContact
  if (config.testLeadProperty) derived[config.testLeadProperty] = lead.isTest
  if (config.leadSourceProperty) derived[config.leadSourceProperty] = leadValues(snapshot).leadSource
  if (config.historyProperty) derived[config.historyProperty] = capHistory(historySummary(snapshot))
  return derived
}

/**
 * Every property the connector sends for a configuration: the default map, the settings' properties and the
 * overrides, minus omissions. `verify` checks that each exists in the HubSpot account.
 */
export function mappedPropertyNames(config: HubSpotConfig): string[] {
  const omitted = new Set(config.fieldMap?.omit ?? [])
  const names = new Set(Object.keys(resolveFieldMap(hubspotDefaultFieldMap, config.fieldMap)))
  const fromSettings = [
    config.lifecycleStages.trial !== null ||
    config.lifecycleStages.initial_interest !== null ||
    config.lifecycleStages.active !== null ||
    config.lifecycleStages.customer !== null
      ? 'lifecyclestage'
      : undefined,
    config.leadStatus !== undefined || config.doNotContactLeadStatus !== undefined ? 'hs_lead_status' : undefined,
    config.doNotContactProperty,
    config.testLeadProperty,
    config.leadSourceProperty,
    config.historyProperty,
  ]
  for (const name of fromSettings) if (name !== undefined && !omitted.has(name)) names.add(name)
  return [...names]
}

/**
 * HubSpot property values are strings. Absent values are left out rather than sent empty: an empty string would
 * clear what HubSpot already has (e.g. a phone number from an earlier lead).
 */
function asPropertyValue(value: MappedValue): string | undefined {
  if (value === null) return undefined
  const text = typeof value === 'string' ? value : String(value)
  return text === '' ? undefined : text.slice(0, maxPropertyLength)
}

export function contactProperties(snapshot: LeadSnapshot, config: HubSpotConfig): Record<string, string> {
  const omitted = new Set(config.fieldMap?.omit ?? [])
  const derived = Object.fromEntries(
    Object.entries(settingsProperties(snapshot, config)).filter(([name]) => !omitted.has(name)),
  )
  const mapped = applyFieldMap(resolveFieldMap(hubspotDefaultFieldMap, config.fieldMap), snapshot)
  const properties: Record<string, string> = {}
  for (const [name, value] of Object.entries({ ...derived, ...mapped })) {
    const text = asPropertyValue(value)
    if (text !== undefined) properties[name] = text
  }
  return properties
}

/** The contact key: the customer's email, or a `rejected` error for a lead that has none. */
export function contactKey(snapshot: LeadSnapshot): string {
  const email = snapshot.lead.customer.email?.trim().toLowerCase()
  if (!email) {
    throw new DeliveryError(
      'rejected',
      'This lead has no email address, and HubSpot contacts are upserted by email, so it cannot be delivered to HubSpot. It is not retried; route leads without email to another destination (e.g. a webhook) if you need them.',
      { vendorCode: 'NO_EMAIL' },
    )
  }
  return email
}

/** One batch-upsert input for the lead; throws `rejected` for a lead without email. */
export function upsertInput(snapshot: LeadSnapshot, config: HubSpotConfig): UpsertInput {
  return {
    idProperty: 'email',
    id: contactKey(snapshot),
    properties: contactProperties(snapshot, config),
    objectWriteTraceId: snapshot.lead.id,
  }
}
