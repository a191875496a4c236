/**
 * A lead as an Azure Table entity: Microsoft's columns (so readers of Microsoft's `MarketplaceLeads` table keep
 * working), the split columns (one per customer field, plus stage, history count and flags), and the keys.
 */

import { createHash } from 'node:crypto'
import { type Customer, microsoftUserDetails } from '../../core/customer.ts'
import { applyFieldMap, type FieldMap, type MappedValue, resolveFieldMap } from '../field-map.ts'
import type { LeadSnapshot } from '../types.ts'
import type { AzureTableConfig, AzureTableLayout } from './config.ts'

/** Microsoft's own columns beside the keys. `CustomerInfo` is built separately: it is a JSON string. */
export const microsoftColumns: FieldMap = {
  ProductId: { from: 'offerId' },
  LeadSource: { from: 'leadSource' },
  ActionCode: { from: 'action' },
  // Leads reach Leadrelay without the publisher's display name; set it with a constant in the field map.
  PublisherDisplayName: { constant: '' },
  OfferDisplayName: { from: 'offerTitle' },
  CreatedTime: { from: 'firstEventAt' },
  Description: { from: 'description' },
}

/** One column per customer field, and what Leadrelay knows beyond Microsoft's layout. */
export const splitColumns: FieldMap = {
  FirstName: { from: 'customer.firstName' },
  LastName: { from: 'customer.lastName' },
  Email: { from: 'customer.email' },
  Phone: { from: 'customer.phone' },
  Country: { from: 'customer.country' },
  Company: { from: 'customer.company' },
  Title: { from: 'customer.title' },
  Stage: { from: 'stage' },
  EventCount: { from: 'eventCount' },
  DoNotContact: { from: 'doNotContact' },
  IsTest: { from: 'isTest' },
  LeadId: { from: 'leadId' },
  LeadVersion: { from: 'version' },
}

export const customerInfoColumn = 'CustomerInfo'

/** The columns of a layout, before the destination's own map overrides. `CustomerInfo` comes on top (see below). */
export function defaultAzureTableFieldMap(layout: AzureTableLayout): FieldMap {
  return layout === 'microsoft' ? microsoftColumns : { ...microsoftColumns, ...splitColumns }
}

/** Whether the layout carries Microsoft's `CustomerInfo` JSON string. */
function hasCustomerInfo(layout: AzureTableLayout): boolean {
  return layout !== 'split'
}

/**
 * Microsoft's `CustomerInfo`: a JSON string with all seven fields, empty strings for the unknown ones, in
 * Microsoft's order.
 */
export function customerInfoJson(customer: Customer): string {
  return JSON.stringify(microsoftUserDetails(customer))
}

// Forbidden in keys by the service: / \ # ? and control characters. `:` is escaped too, so unescaping is exact.
const keyEscapes = /[/\\#?:\p{Cc}]/gu
/** Keys are at most 1 KiB; longer (escaped) values keep a readable head and a hash of the whole. */
const maxKeyLength = 512

/**
 * A value usable as a PartitionKey or RowKey: forbidden characters become `:` + two hex digits, the way Microsoft
 * wrote `/` as `:2F` in its date partition keys (`9:2F28:2F2018`).
 */
export function escapeKey(value: string): string {
  const escaped = value.replace(keyEscapes, (char) => {
    const code = char.codePointAt(0) ?? 0
    return `:${code.toString(16).toUpperCase().padStart(2, '0')}`
  })
  if (escaped.length <= maxKeyLength) return escaped
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 32)
  return `${escaped.slice(0, maxKeyLength - 34)}:#${hash}`
}

/** The reverse of `escapeKey` (and of Microsoft's `:2F`): `:XX` back to the character. */
export function unescapeKey(key: string): string {
  return key.replace(/:([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

/** The entity's keys: one partition per offer, one row per Leadrelay lead, so every delivery of a lead upserts one entity. */
export function entityKeys(snapshot: LeadSnapshot): { partitionKey: string; rowKey: string } {
  const { lead } = snapshot
  return {
    partitionKey: escapeKey(lead.offerId ?? (lead.offerKey || '_')),
    rowKey: escapeKey(lead.id),
  }
}

export type EntityValue = string | number | boolean

/** An entity as the SDK takes it (`partitionKey`, `rowKey`, then properties). */
export interface LeadEntity {
  readonly partitionKey: string
  readonly rowKey: string
  readonly [property: string]: EntityValue
}

/** Azure Table has no null: an unknown value is written as an empty string, which also clears it on a merge. */
function entityValue(value: MappedValue): EntityValue {
  return value === null ? '' : value
}

export interface EntityBuilder {
  readonly map: FieldMap
  build(snapshot: LeadSnapshot): LeadEntity
}

export function createEntityBuilder(config: AzureTableConfig): EntityBuilder {
  const map = resolveFieldMap(defaultAzureTableFieldMap(config.layout), config.fieldMap)
  const withCustomerInfo = hasCustomerInfo(config.layout) && !(config.fieldMap?.omit ?? []).includes(customerInfoColumn)
  const customerInfoMapped = Object.hasOwn(map, customerInfoColumn)
  return {
    map,
    build(snapshot) {
      const properties: Record<string, EntityValue> = {}
      for (const [column, value] of Object.entries(applyFieldMap(map, snapshot))) {
        properties[column] = entityValue(value)
      }
      if (withCustomerInfo && !customerInfoMapped) {
        properties[customerInfoColumn] = customerInfoJson(snapshot.lead.customer)
      }
      return { ...properties, ...entityKeys(snapshot) }
    },
  }
}

/** The entity as the service stores it (`PartitionKey`, `RowKey` first), for previews and docs. */
export function wireEntity(entity: LeadEntity): Record<string, EntityValue> {
  const { partitionKey, rowKey, ...properties } = entity
  return { PartitionKey: partitionKey, RowKey: rowKey, ...properties }
}
