/**
 * The publisher sets up the subscription source in the portal (Settings → Marketplace subscriptions) against the local
 * SaaS Fulfillment API and Entra token fake (test/fakes/saas-fulfillment-fake.ts), presses Poll now, and sees the lead
 * whose customer bought become a customer: on the Funnel page and on the lead's page with its subscription. The pages
 * it changed pass axe-core in light and dark, on a desktop and a phone.
 */

import { existsSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type SaasFulfillmentFake, startSaasFulfillmentFake } from '../fakes/saas-fulfillment-fake.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { axeViolations, viewports } from './axe-check.ts'
import { ensurePortalBuilt } from './portal-build.ts'

const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium) console.warn(`subscriptions e2e test skipped: ${chromiumPath} is missing`)

/** The publisher's Entra app, as registered for the SaaS offer. */
const app = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0b1f8e4e-5c1a-4b7e-9d0e-2f6d3f1a9c11',
  clientSecret: 'entra-secret-value-1',
}

async function freePort(): Promise<number> {
  const probe = createHttpServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe.skipIf(!hasChromium)('marketplace subscriptions in the portal', () => {
  let fake: SaasFulfillmentFake
  let t: TestServer
  let browser: Browser
  let portalUrl: string
  let leadId: string

  beforeAll(async () => {
    ensurePortalBuilt()
    fake = await startSaasFulfillmentFake({ app })
    t = await startTestServer({ LEADRELAY_ENTRA_LOGIN_URL: fake.url, LEADRELAY_MARKETPLACE_API_URL: fake.url })
    const port = await freePort()
    await t.server.app.listen({ port, host: '127.0.0.1' })
    portalUrl = `http://127.0.0.1:${port}`
    // Ann asked to be contacted about the offer; later she buys it in the Azure portal.
    const lead = await t.server.app.inject({
      method: 'POST',
      url: '/v1/leads',
      headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
      payload: JSON.stringify({
        leadSource: 'AzureMarketplace-PLT|contoso.crm',
        customer: { email: 'ann@example.com', firstName: 'Ann', lastName: 'Buyer', company: 'Fabrikam' },
      }),
    })
    expect(lead.statusCode).toBe(202)
    await t.server.ingest.drain()
    leadId = lead.json().leadId
    fake.add({ emailId: 'Ann@Example.com', planId: 'gold', quantity: 25, name: 'Contoso CRM for Fabrikam' })
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
    await fake?.close()
  })

  async function signedInPage(options: object = {}): Promise<Page> {
    const context = await browser.newContext({ ...options, locale: 'en-GB', timezoneId: 'UTC' })
    const page = await context.newPage()
    await page.goto(`${portalUrl}/`)
    await page.evaluate(`sessionStorage.setItem('leadrelay.apiKey', ${JSON.stringify(t.tenant.apiKey)})`)
    return page
  }

  /** The funnel's "reaching each step" bars over all time, as stage → count. */
  async function funnelSteps(page: Page): Promise<Record<string, number>> {
    await page.goto(`${portalUrl}/funnel`)
    await page.getByRole('button', { name: 'All time' }).click()
    const chart = page.getByRole('img', { name: /Customers reaching each step/ })
    await chart.waitFor()
    await page.waitForFunction(`!document.querySelector('[aria-busy="true"]')`)
    const bars = await chart
      .locator('g.bar')
      .evaluateAll((found) => found.map((bar) => [bar.getAttribute('data-stage'), bar.getAttribute('data-count')]))
    return Object.fromEntries(bars.map(([stage, count]) => [stage, Number(count)]))
  }

  test('set up in Settings, Poll now, and the lead is a customer on the Funnel and its page', async () => {
    const page = await signedInPage()
    expect(await funnelSteps(page)).toMatchObject({ active: 1, customer: 0 })

    await page.goto(`${portalUrl}/settings`)
    const section = page.getByRole('region', { name: 'Marketplace subscriptions' })
    await section.getByLabel('Directory (tenant) id').fill(app.tenantId)
    await section.getByLabel('Application (client) id').fill(app.clientId)
    await section.getByLabel(/^Client secret/).fill(app.clientSecret)
    await section.getByRole('button', { name: 'Set up' }).click()
    await section.getByText(/^Saved\./).waitFor()
    // Write-only: the field is empty again, says a secret is stored, and the page holds no trace of it.
    await section.getByLabel(/Client secret \(stored/).waitFor()
    expect(await page.content()).not.toContain(app.clientSecret)

    await section.getByRole('button', { name: 'Poll now' }).click()
    await section.getByText('Read 1 subscription, 1 change recorded.').waitFor()
    await section.getByText('1 subscription read').waitFor()
    expect(fake.writes).toEqual([])

    expect(await funnelSteps(page)).toMatchObject({ active: 1, customer: 1, churned: 0 })
    expect(await page.getByText('↓ 100% went on to customer').count()).toBe(1)

    await page.goto(`${portalUrl}/leads/${leadId}`)
    await page.getByRole('heading', { level: 1, name: 'Ann Buyer' }).waitFor()
    expect(await page.locator('.page-header .badge').first().textContent()).toBe('Customer')
    const panel = page.getByRole('region', { name: 'Subscription' })
    await panel.waitFor()
    const fact = async (term: string) =>
      panel
        .locator('dt', { hasText: new RegExp(`^${term}$`) })
        .locator('xpath=following-sibling::dd')
        .textContent()
    expect(await fact('Plan')).toBe('gold')
    expect(await fact('Quantity')).toBe('25')
    expect(await fact('Status')).toBe('Subscribed')
    expect(await fact('Term')).toBe('1 Nov 2026 – 30 Nov 2026 (monthly)')
    await page.context().close()
  }, 90_000)

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [device, options] of Object.entries(viewports)) {
      test(`${device}, ${colorScheme}: Settings, the lead with its subscription and the Funnel pass axe`, async () => {
        const page = await signedInPage({ ...options, colorScheme })
        const found: string[] = []
        await page.goto(`${portalUrl}/settings`)
        await page.getByRole('button', { name: 'Poll now' }).waitFor()
        found.push(await axeViolations(page, `${device} ${colorScheme} settings`))
        await page.goto(`${portalUrl}/leads/${leadId}`)
        await page.getByRole('region', { name: 'Subscription' }).waitFor()
        found.push(await axeViolations(page, `${device} ${colorScheme} lead with a subscription`))
        await funnelSteps(page)
        found.push(await axeViolations(page, `${device} ${colorScheme} funnel with customers`))
        await page.context().close()
        const violations = found.filter(Boolean)
        expect(violations, violations.join('\n')).toEqual([])
      }, 90_000)
    }
  }
})
