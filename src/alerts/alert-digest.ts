/**
 * The digest: a daily or weekly email per tenant with the funnel numbers of the period that just ended, per offer,
 * next to the period before, and the leads still waiting for a destination. A period is claimed in the database
 * before its mail is sent (`claimDigestPeriod`), so a restart or a second node never sends it twice
 * (docs/decisions/0007-alerts.md). Periods are UTC days, or ISO weeks starting Monday 00:00 UTC.
 */

import { escapeHtml } from '../alerts/channels/email.ts'
import { buildFunnelReport } from '../core/funnel-report.ts'
import type { Clock } from '../core/ports.ts'
import type { Logger } from '../logger.ts'
import type { Mailer } from '../notifications/mailer.ts'
import type { DigestFrequency } from '../store/alert-queries.ts'
import type { Store, Tenant } from '../store/types.ts'

const dayMs = 86_400_000

export interface DigestPeriod {
  /** `2026-11-24` for a day, `2026-W48` for an ISO week. */
  readonly key: string
  readonly since: number
  readonly until: number
  readonly previous: { readonly since: number; readonly until: number }
}

function isoWeekKey(mondayMs: number): string {
  // The ISO week's year is the year of its Thursday; week 1 holds the year's first Thursday.
  const thursday = new Date(mondayMs + 3 * dayMs)
  const year = thursday.getUTCFullYear()
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * dayMs)) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}

/** The last whole period before `now`: yesterday (UTC), or last week (Monday to Monday, UTC). */
export function lastDigestPeriod(frequency: Exclude<DigestFrequency, 'off'>, now: number): DigestPeriod {
  const today = Math.floor(now / dayMs) * dayMs
  if (frequency === 'daily') {
    const since = today - dayMs
    return {
      key: new Date(since).toISOString().slice(0, 10),
      since,
      until: today,
      previous: { since: since - dayMs, until: since },
    }
  }
  // 1970-01-01 was a Thursday: days since the epoch + 3, mod 7, counts days since Monday.
  const sinceMonday = (Math.floor(now / dayMs) + 3) % 7
  const thisMonday = today - sinceMonday * dayMs
  const since = thisMonday - 7 * dayMs
  return { key: isoWeekKey(since), since, until: thisMonday, previous: { since: since - 7 * dayMs, until: since } }
}

interface FunnelLine {
  readonly label: string
  readonly now: Readonly<Record<'leads' | 'initial_interest' | 'active' | 'customer', number>>
  readonly before: Readonly<Record<'leads' | 'initial_interest' | 'active' | 'customer', number>>
}

export interface Digest {
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly lines: readonly FunnelLine[]
  readonly waiting: number
}

const columns = [
  { key: 'leads', label: 'Leads' },
  { key: 'initial_interest', label: 'Interested' },
  { key: 'active', label: 'Active' },
  { key: 'customer', label: 'Customers' },
] as const

function change(now: number, before: number): string {
  if (now === before) return '±0'
  return now > before ? `+${now - before}` : `−${before - now}`
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/** Gathers the period's numbers and renders the mail (text and HTML with the same facts). */
export async function buildDigest(
  store: Store,
  tenant: Tenant,
  period: DigestPeriod,
  frequency: Exclude<DigestFrequency, 'off'>,
  publicUrl: string,
): Promise<Digest> {
  const figures = async (offerId: string | undefined, since: number, until: number) => {
    const report = buildFunnelReport(
      await store.funnelCounts(tenant.id, { ...(offerId !== undefined && { offerId }), since, until }),
    )
    return {
      leads: report.leads,
      initial_interest: report.reached.initial_interest,
      active: report.reached.active,
      customer: report.reached.customer,
    }
  }
  const line = async (label: string, offerId?: string): Promise<FunnelLine> => ({
    label,
    now: await figures(offerId, period.since, period.until),
    before: await figures(offerId, period.previous.since, period.previous.until),
  })
  const offers = await store.listOffers(tenant.id)
  const lines = [await line('All offers')]
  for (const offer of offers) lines.push(await line(offer.title ? `${offer.title} (${offer.id})` : offer.id, offer.id))
  const waitingFilter = { routed: false, isTest: false }
  const [waitingCount, waitingPage] = await Promise.all([
    store.countLeads(tenant.id, waitingFilter, 10_000),
    store.listLeads(tenant.id, waitingFilter, { limit: 10 }),
  ])
  const waiting = waitingCount.count
  const base = publicUrl.replace(/\/+$/, '')
  const what = frequency === 'daily' ? 'Daily' : 'Weekly'
  const span =
    frequency === 'daily' ? day(period.since) : `${day(period.since)} to ${day(period.until - dayMs)} (${period.key})`
  const subject = `${what} lead digest for ${tenant.name}: ${lines[0]?.now.leads ?? 0} leads, ${span}`
  const versus = frequency === 'daily' ? 'the day before' : 'the week before'

  const text = [
    `${what} lead digest for ${tenant.name}, ${span} (UTC), compared with ${versus}.`,
    '',
    ...lines.flatMap((entry) => [
      entry.label,
      ...columns.map(
        (column) =>
          `  ${column.label}: ${entry.now[column.key]} (${change(entry.now[column.key], entry.before[column.key])}; ${entry.before[column.key]} before)`,
      ),
    ]),
    '',
    waiting === 0
      ? 'No lead is waiting for a destination.'
      : `${waitingCount.capped ? 'More than ' : ''}${waiting} lead${waiting === 1 ? '' : 's'} waiting for a destination (their offer has no routing yet):`,
    ...waitingPage.items.map((lead) => `  ${lead.offerKey}: ${base}/leads/${encodeURIComponent(lead.id)}`),
    '',
    `Funnel: ${base}/funnel`,
  ].join('\n')

  const cell = (entry: FunnelLine, key: (typeof columns)[number]['key']) =>
    `<td align="right">${entry.now[key]} <small style="color:#555">(${escapeHtml(change(entry.now[key], entry.before[key]))})</small></td>`
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escapeHtml(`${what} lead digest for ${tenant.name}`)}</h2>
<p>${escapeHtml(span)} (UTC), compared with ${versus}.</p>
<table cellpadding="4"><tr><th align="left">Offer</th>${columns.map((column) => `<th align="right">${column.label}</th>`).join('')}</tr>
${lines.map((entry) => `<tr><td>${escapeHtml(entry.label)}</td>${columns.map((column) => cell(entry, column.key)).join('')}</tr>`).join('\n')}
</table>
<h3>Waiting for a destination</h3>
${
  waiting === 0
    ? '<p>No lead is waiting for a destination.</p>'
    : `<p>${waitingCount.capped ? 'More than ' : ''}${waiting} lead${waiting === 1 ? '' : 's'} (their offer has no routing yet):</p>
<ul>${waitingPage.items.map((lead) => `<li><a href="${escapeHtml(`${base}/leads/${encodeURIComponent(lead.id)}`)}">${escapeHtml(lead.offerKey)}</a></li>`).join('')}</ul>`
}
<p><a href="${escapeHtml(`${base}/funnel`)}">Open the funnel</a></p>
</body></html>`
  return { subject, text, html, lines, waiting }
}

export interface DigestSchedulerDeps {
  readonly store: Store
  readonly clock: Clock
  readonly log: Logger
  /** Absent: no SMTP server configured, no digest is sent (and no period is claimed). */
  readonly mailer?: Mailer
  readonly publicUrl: string
}

export interface DigestScheduler {
  /** Sends every tenant's digest of its last whole period that was not sent yet; answers how many were sent. */
  runDue(): Promise<number>
}

export function createDigestScheduler(deps: DigestSchedulerDeps): DigestScheduler {
  const { store, clock, log } = deps
  return {
    async runDue() {
      const mailer = deps.mailer
      if (!mailer) return 0
      let sent = 0
      for (const { tenantId, settings } of await store.listDigestTenants()) {
        if (settings.frequency === 'off' || settings.emails.length === 0) continue
        const now = clock.now()
        const period = lastDigestPeriod(settings.frequency, now)
        const tenant = await store.getTenant(tenantId)
        if (!tenant) continue
        // Claimed before sending: at worst a crash right here skips one period; it never sends one twice.
        if (!(await store.claimDigestPeriod(tenantId, `${settings.frequency}:${period.key}`, now))) continue
        try {
          const digest = await buildDigest(store, tenant, period, settings.frequency, deps.publicUrl)
          await mailer.send({ to: settings.emails, subject: digest.subject, text: digest.text, html: digest.html })
          sent++
          log.info({ tenantId, period: period.key }, 'digest sent')
        } catch (error) {
          log.warn({ err: error, tenantId, period: period.key }, 'digest could not be sent; skipped this period')
        }
      }
      return sent
    },
  }
}
