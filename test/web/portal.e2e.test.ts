/**
 * The publisher portal end to end, in Debian's Chromium driven by playwright-core, against a real `leadrelay serve`
 * process and a local webhook sink: sign in, create a webhook destination and an offer, publish (the sink gets the
 * test lead), receive Microsoft leads, read them merged on the lead page, break the sink, see the failures, fix it,
 * replay, see them delivered. With UPDATE_SCREENSHOTS=1 it writes a screenshot of every page to docs/screenshots/
 * (embedded in the README); otherwise it writes nothing there, so a test run leaves the tree as it was.
 */

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'

const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium) {
  console.warn(`portal e2e tests skipped: ${chromiumPath} is missing (install it with: apt-get install -y chromium)`)
}

const root = fileURLToPath(new URL('../../', import.meta.url))
const webDir = join(root, 'web')
const screenshots = join(root, 'docs', 'screenshots')
const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1'
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
/** Evaluated in the page (strings, so this file needs no DOM types). */
const focused = 'document.activeElement?.textContent'
const overflowX = 'document.documentElement.scrollWidth - window.innerWidth'
const microsoftLead = JSON.parse(readFileSync(join(root, 'examples', 'microsoft-lead.json'), 'utf8'))

function newestChange(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))))
}

/** Builds the portal when web/dist is missing or older than its sources (CI builds it first; this covers `npm test`). */
function ensurePortalBuilt(): void {
  const built = join(webDir, 'dist', 'index.html')
  const sources = ['src', 'public', 'index.html', 'vite.config.ts']
    .map((name) => join(webDir, name))
    .filter((path) => existsSync(path))
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestChange))) return
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', webDir], {
    cwd: root,
    stdio: 'pipe',
  })
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

describe.skipIf(!hasChromium)(
  'publisher portal in a real browser',
  () => {
    const dataDir = createTempDir('leadrelay-portal-')
    let sink: WebhookSink
    let serve: RunningServe
    let apiKey: string
    let ingestUrl: string
    let browser: Browser
    let context: BrowserContext
    let page: Page

    async function api<T = any>(path: string): Promise<T> {
      const response = await fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } })
      expect(response.status, `GET ${path}`).toBe(200)
      return (await response.json()) as T
    }

    async function sendMicrosoftLead(overrides: Record<string, unknown>, userDetails: Record<string, string> = {}) {
      const body = {
        ...microsoftLead,
        ...overrides,
        UserDetails: { ...microsoftLead.UserDetails, ...userDetails },
      }
      const response = await fetch(ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(response.status).toBe(202)
      return (await response.json()) as { leadId: string; newLead: boolean }
    }

    async function shot(name: string, target: Page = page) {
      // Nothing still loading: no "Loading…" line, no busy region, then a moment for layout.
      await until(`${name} to finish loading`, async () =>
        target.evaluate<boolean>(`!document.querySelector('.loading, [aria-busy="true"]')`),
      )
      if (!updateScreenshots) return
      await target.waitForTimeout(300)
      await target.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true })
    }

    async function openSection(name: string) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()
      await page.getByRole('heading', { level: 1, name }).waitFor()
    }

    async function signIn(target: Page) {
      await target.goto(`${serve.url}/`)
      await target.getByRole('heading', { name: 'Sign in to the publisher portal' }).waitFor()
      await target.getByLabel('API key').fill(apiKey)
      await target.getByLabel('API key').press('Enter')
      await target.getByRole('heading', { level: 1, name: 'Leads' }).waitFor()
    }

    beforeAll(async () => {
      ensurePortalBuilt()
      if (updateScreenshots) mkdirSync(screenshots, { recursive: true })
      sink = await startWebhookSink()
      serve = await startServe(
        ['--data', dataDir.path, '--print-credentials'],
        {
          LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
          // Failing deliveries give up after three quick attempts, so the test sees them dead within seconds.
          LEADRELAY_RETRY_SCHEDULE: '1s,1s',
          LEADRELAY_RETRY_MAX_AGE: '4s',
          LEADRELAY_ATTEMPT_TIMEOUT: '5s',
          DATABASE_URL: '',
        },
        { startTimeoutMs: 90_000 },
      )
      apiKey = serve.errorOutput().match(/API key:\s+(\S+)/)![1]!
      ingestUrl = serve.errorOutput().match(/Ingest URL:\s+(\S+)/)![1]!
      browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumFlags })
      context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB', timezoneId: 'UTC' })
      page = await context.newPage()
      page.on('dialog', (dialog) => void dialog.accept())
    }, 120_000)

    afterAll(async () => {
      await browser?.close()
      if (serve) await stopProcess(serve.child)
      await sink?.close()
      dataDir.remove()
    })

    test('the portal is served at / with deep links, while API paths keep their JSON 404', async () => {
      const deepLink = await fetch(`${serve.url}/leads/lead_anything`)
      expect(deepLink.status).toBe(200)
      expect(deepLink.headers.get('content-type')).toMatch(/text\/html/)
      expect(await deepLink.text()).toContain('<div id="root">')
      const unknownApi = await fetch(`${serve.url}/v1/nothing`)
      expect(unknownApi.status).toBe(404)
      expect(unknownApi.headers.get('content-type')).toMatch(/application\/problem\+json/)
      expect(((await unknownApi.json()) as { code: string }).code).toBe('NOT_FOUND')
    })

    test('sign in with the API key serve printed; the key never appears in the URL', async () => {
      await page.goto(`${serve.url}/`)
      await page.getByRole('heading', { name: 'Sign in to the publisher portal' }).waitFor()
      await shot('sign-in')
      await page.getByLabel('API key').fill('lr_key_wrong')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByText('This API key is unknown or revoked').waitFor()
      // By keyboard: type the key and press Enter.
      await page.getByLabel('API key').fill(apiKey)
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor()
      await page.getByRole('heading', { name: 'No leads yet' }).waitFor()
      expect(page.url()).toBe(`${serve.url}/leads`)
      expect(page.url()).not.toContain(apiKey)
      // Focus moves to the page's heading; on a fresh load the first Tab reaches the skip link, then the navigation.
      expect(await page.evaluate<string>(focused)).toBe('Leads')
      await page.reload()
      await page.getByRole('heading', { name: 'No leads yet' }).waitFor()
      await page.keyboard.press('Tab')
      expect(await page.evaluate<string>(focused)).toBe('Skip to content')
      await page.keyboard.press('Tab')
      await page.keyboard.press('Tab')
      expect(await page.evaluate<string>(focused)).toBe('Leads')
      await shot('leads-empty')
    })

    test('create a webhook destination: the signing secret is shown once, then Test connection works', async () => {
      await openSection('Destinations')
      await page.getByRole('heading', { name: 'No destinations yet' }).waitFor()
      await page.getByRole('link', { name: 'New destination' }).click()
      await page.getByRole('heading', { level: 1, name: 'New destination' }).waitFor()
      await page.getByRole('radio', { name: 'Webhook (HTTPS)' }).check()
      // Inline validation before anything is sent.
      await page.getByRole('button', { name: 'Create destination' }).click()
      await page.getByText('URL is required').waitFor()
      await page.getByLabel(/^URL/).fill('ftp://example.com')
      await page.getByLabel(/^URL/).blur()
      await page.getByText('Enter a full URL starting with https://').waitFor()
      await shot('destination-new')

      await page.getByLabel(/^Name/).fill('Sales webhook')
      await page.getByLabel(/^URL/).fill(sink.url)
      await page.getByRole('button', { name: 'Create destination' }).click()
      await page.getByRole('heading', { name: 'Copy this secret now' }).waitFor()
      const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue()
      expect(secret).toMatch(/^whsec_/)
      await shot('destination-secret')
      await page.getByRole('button', { name: 'I have stored it — continue' }).click()
      await page.getByRole('heading', { level: 1, name: 'Sales webhook' }).waitFor()
      expect(page.url()).toMatch(/\/destinations\/dst_/)
      expect(await page.content()).not.toContain(secret)
      expect(await page.getByLabel(/^Signing secret/).inputValue()).toBe('')

      const before = sink.received.length
      await page.getByRole('button', { name: 'Test connection' }).click()
      await page.getByText('✓ Works: a test lead was delivered').waitFor()
      // A signed ping, then a test lead.
      const checks = sink.received.slice(before)
      expect(checks.map((request) => (request.json as { type?: string }).type)).toEqual(['leadrelay.ping', 'lead.test'])
      expect(checks[1]?.body).toContain('LEADRELAY_TEST_')
      expect(checks[1]?.headers['webhook-signature']).toMatch(/^v1,/)
      await shot('destination')
    })

    test('create an offer routed to the webhook and publish it: the sink receives the test lead', async () => {
      await openSection('Offers')
      await page.getByRole('heading', { name: 'No offers yet' }).waitFor()
      await page.getByRole('link', { name: 'Add an offer' }).click()
      await page.getByRole('heading', { level: 1, name: 'New offer' }).waitFor()
      await page.getByLabel(/^Offer id/).fill('contoso.crm-suite')
      await page.getByLabel(/^Title/).fill('Contoso CRM Suite')
      await page.getByRole('checkbox', { name: /Sales webhook/ }).check()
      const before = sink.received.length
      await page.getByRole('button', { name: 'Publish' }).click()
      await page.getByRole('heading', { name: 'Published: the offer is live' }).waitFor()
      expect(await page.getByRole('status').filter({ hasText: 'Sales webhook' }).textContent()).toContain(
        '✓ Works: a test lead was delivered',
      )
      expect(page.url()).toBe(`${serve.url}/offers/contoso.crm-suite`)
      const testLead = sink.received.slice(before).find((request) => request.body.includes('LEADRELAY_TEST_'))
      expect(testLead?.body).toContain('contoso.crm-suite')
      await shot('offer')
      await openSection('Offers')
      await page.getByRole('link', { name: 'Contoso CRM Suite' }).waitFor()
      await shot('offers')
    })

    test('leads sent to the Microsoft ingest URL are merged per customer, with timeline and deliveries', async () => {
      const delivered = sink.received.length
      // The README's example lead ("Get it now": initial interest), then the same customer asks to be contacted.
      const first = await sendMicrosoftLead({ Description: 'Get it now from the marketplace' })
      const second = await sendMicrosoftLead({
        LeadSource: 'AzureMarketplace-PLT|contoso.crm-suite',
        ActionCode: 'PLT',
        Description: 'Contact me: wants a demo for 40 seats',
      })
      expect(second.leadId).toBe(first.leadId)
      // Another customer starting a test drive from AppSource, and a Microsoft test lead.
      await sendMicrosoftLead(
        { LeadSource: 'AppSource-StartTestDrive|contoso.crm-suite', ActionCode: 'StartTestDrive', Description: '' },
        { FirstName: 'Jane', LastName: 'Doe', Email: 'jane.doe@fabrikam.com', Company: 'Fabrikam', Phone: '' },
      )
      await sendMicrosoftLead(
        { Description: 'Validation lead' },
        { FirstName: 'MSFT_TEST_636573304831318844', LastName: 'MSFT_TEST', Email: 'msft_test_1@example.com' },
      )
      await until('the leads to reach the sink', async () => {
        const queued = await api<{ items: unknown[] }>('/v1/deliveries?state=queued')
        const sending = await api<{ items: unknown[] }>('/v1/deliveries?state=in_flight')
        return queued.items.length === 0 && sending.items.length === 0 && sink.received.length > delivered + 1
      })

      await openSection('Leads')
      await page.getByRole('link', { name: 'Some One' }).waitFor()
      await page.getByRole('link', { name: 'Jane Doe' }).waitFor()
      // Test leads are hidden unless asked for.
      expect(await page.getByRole('link', { name: /MSFT_TEST/ }).count()).toBe(0)
      await shot('leads')

      await page.getByLabel('Test leads').selectOption('only')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      await page.getByRole('link', { name: /MSFT_TEST/ }).waitFor()
      expect(await page.getByRole('link', { name: 'Some One' }).count()).toBe(0)
      expect(page.url()).toBe(`${serve.url}/leads`)
      await page.getByRole('button', { name: 'Clear' }).click()
      await page.getByLabel('Customer email').fill('jane.doe@fabrikam.com')
      await page.getByRole('button', { name: 'Apply filters' }).click()
      await until('the email filter', async () => (await page.getByRole('link', { name: 'Some One' }).count()) === 0)
      await page.getByRole('link', { name: 'Jane Doe' }).waitFor()
      // Customer data stays out of the address bar.
      expect(page.url()).not.toContain('fabrikam')
      await page.getByRole('button', { name: 'Clear' }).click()

      await page.getByRole('link', { name: 'Some One' }).click()
      await page.getByRole('heading', { level: 1, name: 'Some One' }).waitFor()
      expect(page.url()).toBe(`${serve.url}/leads/${first.leadId}`)
      const timeline = page.locator('ol.timeline > li')
      expect(await timeline.count()).toBe(2)
      expect(await timeline.nth(0).textContent()).toContain('Initial interest')
      expect(await timeline.nth(0).textContent()).toContain('Get it now from the marketplace')
      expect(await timeline.nth(1).textContent()).toContain('Active')
      expect(await timeline.nth(1).textContent()).toContain('Contact me: wants a demo for 40 seats')
      expect(await page.locator('.page-header .badge').first().textContent()).toBe('Active')
      const deliveries = page.locator('section.delivery-card')
      expect(await deliveries.count()).toBeGreaterThanOrEqual(1)
      expect(await deliveries.first().textContent()).toContain('Sales webhook')
      await page.locator('section.delivery-card .badge', { hasText: 'Delivered' }).first().waitFor()
      expect(await deliveries.first().locator('table.attempts tbody tr').count()).toBeGreaterThanOrEqual(1)
      await shot('lead')
    })

    test('the funnel chart shows the counts of the leads received, test leads excluded', async () => {
      await openSection('Funnel')
      await page.getByRole('img', { name: /Customers reaching each step/ }).waitFor()
      const counts = async (name: RegExp) =>
        page
          .getByRole('img', { name })
          .locator('g.bar')
          .evaluateAll((bars) => bars.map((bar) => [bar.getAttribute('data-stage'), bar.getAttribute('data-count')]))
      // Some One reached active (initial interest, then contact me) without a trial; Jane started a trial; the test
      // lead is not counted. Trial counts only Jane: a buyer who skipped the test drive never trialed.
      expect(await counts(/Customers reaching each step/)).toEqual([
        ['trial', '1'],
        ['initial_interest', '1'],
        ['active', '1'],
        ['customer', '0'],
        ['churned', '0'],
      ])
      expect(await page.getByText('↓ 0% went on to initial interest').count()).toBe(1)
      expect(await page.getByText('↓ 100% went on to active').count()).toBe(1)
      // Nobody has a marketplace subscription yet.
      expect(await page.getByText('↓ 0% went on to customer').count()).toBe(1)
      const none = ['customer', 'suspended', 'churned'].map((stage) => [stage, '0'])
      expect(await counts(/AzureMarketplace by stage/)).toEqual([
        ['trial', '0'],
        ['initial_interest', '1'],
        ['active', '1'],
        ...none,
        ['do_not_contact', '0'],
      ])
      expect(await counts(/AppSource by stage/)).toEqual([
        ['trial', '1'],
        ['initial_interest', '0'],
        ['active', '0'],
        ...none,
        ['do_not_contact', '0'],
      ])
      // The same figures the API reports.
      const report = await api('/v1/funnel')
      expect(report.reached).toMatchObject({ trial: 1, initial_interest: 1, active: 1, customer: 0, churned: 0 })
      // Leads over time: both customers' events fall on today, the last bar of the default 30 days.
      const days = await page
        .getByRole('img', { name: /Customers per day/ })
        .locator('g.time-bar')
        .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-count'))))
      expect(days).toHaveLength(30)
      expect(days.at(-1)).toBe(2)
      expect(days.slice(0, -1).every((count) => count === 0)).toBe(true)
      await shot('funnel')
    })

    test('a broken endpoint: failures grouped on the Deliveries page; after the fix, replay delivers them', async () => {
      // A server error is retried, then given up; a 400 is refused at once.
      sink.respondWith({ status: 500, body: 'database is down' })
      const ana = await sendMicrosoftLead(
        { Description: 'Get it now' },
        { FirstName: 'Ana', LastName: 'Lopez', Email: 'ana.lopez@northwind.com', Company: 'Northwind' },
      )
      await until(
        'the retried delivery to die',
        async () => (await api(`/v1/deliveries?lead=${ana.leadId}&state=dead`)).items.length === 1,
      )
      sink.respondWith({ status: 400, body: '{"error":"missing field: budget"}' })
      const bob = await sendMicrosoftLead(
        { Description: 'Get it now' },
        { FirstName: 'Bob', LastName: 'Stone', Email: 'bob.stone@litware.com', Company: 'Litware' },
      )
      await until(
        'the refused delivery to die',
        async () => (await api(`/v1/deliveries?lead=${bob.leadId}&state=dead`)).items.length === 1,
      )

      await openSection('Deliveries')
      const groups = page.locator('section.group-card')
      await groups.first().waitFor()
      expect(await groups.count()).toBe(2)
      const texts = await groups.allTextContents()
      expect(texts.every((text) => text.includes('Sales webhook') && text.includes('Dead'))).toBe(true)
      expect(texts.some((text) => text.includes('500'))).toBe(true)
      expect(texts.some((text) => text.includes('400'))).toBe(true)
      expect(await page.getByRole('heading', { name: 'Destination health' }).count()).toBe(1)
      // Rows name the customer (in the same answer as the page of deliveries); the address bar never does.
      const table = page.locator('#all-deliveries')
      await table.getByRole('link', { name: 'Ana Lopez' }).waitFor()
      await table.getByRole('link', { name: 'Bob Stone' }).waitFor()
      await shot('deliveries-failing')

      // Fix the endpoint and replay both dead deliveries with one filter; the progress shows beside that form.
      sink.respondWith({ status: 200 })
      const received = sink.received.length
      const byFilter = page.locator('section', { has: page.getByRole('heading', { name: 'Replay by filter' }) })
      await byFilter.getByRole('button', { name: 'Replay matching deliveries' }).click()
      await byFilter.getByText('Replayed 2 deliveries.').waitFor()
      await page.getByText('Done: 2 delivered, 0 failed again.').waitFor({ timeout: 20_000 })
      await page.getByRole('heading', { name: 'Nothing is failing' }).waitFor()
      const bodies = sink.received.slice(received).map((request) => request.body)
      expect(bodies.some((body) => body.includes('ana.lopez@northwind.com'))).toBe(true)
      expect(bodies.some((body) => body.includes('bob.stone@litware.com'))).toBe(true)
      await shot('deliveries-replayed')

      // Ana's lead page tells the whole story: three failed attempts, then the replay delivered it.
      await page.goto(`${serve.url}/leads/${ana.leadId}`)
      await page.getByRole('heading', { level: 1, name: 'Ana Lopez' }).waitFor()
      const card = page.locator('section.delivery-card').first()
      await card.locator('.badge', { hasText: 'Delivered' }).waitFor()
      const outcomes = await card.locator('table.attempts tbody tr td[data-label="Outcome"]').allTextContents()
      expect(outcomes.filter((outcome) => outcome === 'delivered')).toHaveLength(1)
      expect(outcomes.filter((outcome) => outcome !== 'delivered').length).toBeGreaterThanOrEqual(2)
      await shot('lead-replayed')
    })

    test('destinations list and settings', async () => {
      await openSection('Destinations')
      await page.getByRole('link', { name: 'Sales webhook' }).waitFor()
      await page.locator('.destination-card .badge', { hasText: 'Healthy' }).waitFor()
      await page.getByRole('button', { name: 'Rotate secret' }).waitFor()
      expect(await page.locator('.destination-card').textContent()).toContain('Webhook (HTTPS)')
      await shot('destinations')

      await openSection('Settings')
      await page.getByLabel(/^Email addresses/).fill('not-an-email')
      await page.getByRole('button', { name: 'Save contacts' }).click()
      await page.getByText('Not an email address: not-an-email').waitFor()
      await page.getByLabel(/^Email addresses/).fill('ops@contoso.com\nsales@contoso.com')
      await page.getByRole('button', { name: 'Save contacts' }).click()
      await page.getByText('Saved.').waitFor()
      expect((await api('/v1/tenant/notifications')).emails).toEqual(['ops@contoso.com', 'sales@contoso.com'])
      await page
        .getByRole('cell', { name: /Deliveries replayed/ })
        .first()
        .waitFor()
      await shot('settings')
    })

    test('on a phone: navigation, the leads list and a lead page fit the screen', async () => {
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        locale: 'en-GB',
        timezoneId: 'UTC',
      })
      try {
        const small = await phone.newPage()
        await signIn(small)
        await small.getByRole('link', { name: 'Some One' }).waitFor()
        const overflow = await small.evaluate<number>(overflowX)
        expect(overflow).toBeLessThanOrEqual(0)
        await shot('phone-leads', small)
        await small.getByRole('link', { name: 'Some One' }).click()
        await small.getByRole('heading', { level: 1, name: 'Some One' }).waitFor()
        expect(await small.evaluate<number>(overflowX)).toBeLessThanOrEqual(0)
        await shot('phone-lead', small)
      } finally {
        await phone.close()
      }
    })
  },
  180_000,
)
