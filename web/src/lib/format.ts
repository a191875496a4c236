/** Display helpers shared by the pages. */

import type { Customer, DeliveryState, Stage } from '../api/types.ts'

export const stageLabels: Readonly<Record<Stage, string>> = {
  unclassified: 'Unclassified',
  do_not_contact: 'Do not contact',
  trial: 'Trial',
  initial_interest: 'Initial interest',
  active: 'Active',
  customer: 'Customer',
  suspended: 'Suspended',
  churned: 'Churned',
}

export const deliveryStateLabels: Readonly<Record<DeliveryState, string>> = {
  queued: 'Queued',
  in_flight: 'Sending',
  delivered: 'Delivered',
  dead: 'Dead',
  superseded: 'Superseded',
}

export function stageLabel(stage: string): string {
  return stageLabels[stage as Stage] ?? stage
}

// Times carry their zone ("14:05 UTC", "14:05 CET"): the portal is read from many places, and logs and CRMs differ.
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
})
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
})

/** A date and time in the browser's zone, with the zone named. */
export function formatTime(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return (withSeconds ? dateTimeSeconds : dateTime).format(date)
}

/** An offer as people know it: its title, or its id when it has none. */
export function offerLabel(offerId: string, title: string | null | undefined): string {
  return title?.trim() ? title : offerId
}

export function formatPercent(rate: number | null): string {
  if (rate === null) return '—'
  return `${Math.round(rate * 1000) / 10}%`
}

export function customerName(customer: Customer): string {
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ').trim()
  return name || customer.email || customer.company || 'Unnamed customer'
}

/** `2026-11-01` (a date input's value) → the ISO instant of that local midnight; undefined when empty. */
export function startOfDay(date: string): string | undefined {
  if (!date) return undefined
  const [year, month, day] = date.split('-').map(Number)
  if (!year || !month || !day) return undefined
  return new Date(year, month - 1, day).toISOString()
}

/** The ISO instant just after the given local day (an exclusive upper bound); undefined when empty. */
export function endOfDay(date: string): string | undefined {
  if (!date) return undefined
  const [year, month, day] = date.split('-').map(Number)
  if (!year || !month || !day) return undefined
  return new Date(year, month - 1, day + 1).toISOString()
}

/** A local date as a date input's value, `days` days before today. */
export function daysAgo(days: number, now: Date = new Date()): string {
  const date = new Date(now.getFullYear(), now.getMonth(), now.getDate() - days)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
