/**
 * axe-core on every portal page, in Debian's Chromium driven by playwright-core against a real `leadrelay serve`
 * holding realistic data (test/web/portal-seed.ts): desktop and phone, light and dark colour schemes. Each page must
 * have no violation of WCAG 2 A and AA or of axe's best practices; violations are printed one per node.
 */

import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { type Browser, type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'
import { axeViolations, until, viewports } from './axe-check.ts'
import { ensurePortalBuilt } from './portal-build.ts'
import { type SeedResult, seededOffers, seedPortal } from './portal-seed.ts'

const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium) {
  console.warn(`accessibility tests skipped: ${chromiumPath} is missing (install it with: apt-get install -y chromium)`)
}

/** A TCP port with nothing listening behind it. */
async function closedPort(): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

describe.skipIf(!hasChromium)(
  'accessibility of every portal page (axe-core)',
  () => {
    const dataDir = createTempDir('leadrelay-a11y-')
    let okSink: WebhookSink
    let failingSink: WebhookSink
    let hangingSink: WebhookSink
    let serve: RunningServe
    let apiKey: string
    let browser: Browser
    let seeded: SeedResult
    let leadWithTwo: string
    /** Paths of every page, with what to wait for before checking. */
    let pages: { name: string; path: string; heading: string | RegExp }[]

    async function api<T = any>(path: string): Promise<T> {
      const response = await fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } })
      expect(response.status, `GET ${path}`).toBe(200)
      return (await response.json()) as T
    }

    async function visitAll(context: BrowserContext, label: string): Promise<string[]> {
      const page = await context.newPage()
      page.on('dialog', (dialog) => void dialog.accept())
      const found: string[] = []
      await page.goto(`${serve.url}/`)
      await page.getByRole('heading', { name: 'Sign in to the publisher portal' }).waitFor()
      found.push(await axeViolations(page, `${label} sign-in`))
      // Signed in the way the portal keeps a session (the sign-in form has its own tests): the key in sessionStorage.
      await page.evaluate(`sessionStorage.setItem('leadrelay.apiKey', ${JSON.stringify(apiKey)})`)
      for (const target of pages) {
        await page.goto(`${serve.url}${target.path}`)
        await page.getByRole('heading', { level: 1, name: target.heading }).first().waitFor()
        found.push(await axeViolations(page, `${label} ${target.name}`))
      }
      // The new-destination form of every kind, and what an attempt sent and received opened in a delivery log.
      await page.goto(`${serve.url}/destinations/new`)
      await page.getByRole('heading', { level: 1, name: 'New destination' }).waitFor()
      const kinds = page.getByRole('radio')
      for (let index = 0; index < (await kinds.count()); index++) {
        const kind = kinds.nth(index)
        await kind.check()
        found.push(await axeViolations(page, `${label} new destination (${await kind.getAttribute('value')})`))
      }
      await page.goto(`${serve.url}/destinations/${seeded.destinations.crm}`)
      await page.getByRole('heading', { level: 1, name: 'CRM webhook' }).waitFor()
      await page.locator('details.attempt-exchange summary').first().click()
      await page.locator('details.attempt-exchange pre.payload').first().waitFor()
      found.push(await axeViolations(page, `${label} destination with a payload open`))
      await page.close()
      return found.filter(Boolean)
    }

    beforeAll(async () => {
      ensurePortalBuilt()
      ;[okSink, failingSink, hangingSink] = await Promise.all([
        startWebhookSink(),
        startWebhookSink({ reply: { status: 500, body: '{"error":"database is down"}' } }),
        startWebhookSink({ reply: { hang: true } }),
      ])
      serve = await startServe(
        ['--data', dataDir.path, '--print-credentials'],
        {
          LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
          LEADRELAY_RETRY_SCHEDULE: '1s,1s',
          LEADRELAY_RETRY_MAX_AGE: '4s',
          LEADRELAY_ATTEMPT_TIMEOUT: '30s',
          DATABASE_URL: '',
        },
        // Started from the TypeScript sources through tsx, which takes longer on a busy machine.
        { startTimeoutMs: 90_000 },
      )
      apiKey = serve.errorOutput().match(/API key:\s+(\S+)/)![1]!
      const ingestUrl = serve.errorOutput().match(/Ingest URL:\s+(\S+)/)![1]!
      seeded = await seedPortal({
        baseUrl: serve.url,
        apiKey,
        ingestUrl,
        customers: 150,
        endpoints: {
          okUrl: okSink.url,
          failingUrl: failingSink.url,
          hangingUrl: hangingSink.url,
          unreachableUrl: `http://127.0.0.1:${await closedPort()}`,
        },
      })
      // Deliveries in every state before looking: delivered, dead, sending, queued and superseded.
      await until(
        'deliveries in every state',
        async () => {
          const states = await Promise.all(
            ['delivered', 'dead', 'in_flight', 'queued', 'superseded'].map(
              async (state) => (await api<{ items: unknown[] }>(`/v1/deliveries?state=${state}&limit=1`)).items.length,
            ),
          )
          return states.every((count) => count > 0)
        },
        60_000,
      )
      // A lead with two deliveries to one destination (a newer state of the lead after the first was delivered).
      let lead = seeded.leadIds[1]!
      for (const id of seeded.leadIds.slice(0, 40)) {
        const detail = await api<{ deliveries: { destinationId: string }[] }>(`/v1/leads/${id}`)
        const destinations = detail.deliveries.map((delivery) => delivery.destinationId)
        if (new Set(destinations).size < destinations.length) {
          lead = id
          break
        }
      }
      leadWithTwo = lead
      pages = [
        { name: 'leads', path: '/leads', heading: 'Leads' },
        { name: 'lead', path: `/leads/${lead}`, heading: /./ },
        { name: 'funnel', path: '/funnel', heading: 'Funnel' },
        { name: 'offers', path: '/offers', heading: 'Offers' },
        { name: 'offer', path: `/offers/${seededOffers[0].id}`, heading: seededOffers[0].title },
        { name: 'new offer', path: '/offers/new', heading: 'New offer' },
        { name: 'destinations', path: '/destinations', heading: 'Destinations' },
        { name: 'destination', path: `/destinations/${seeded.destinations.failing}`, heading: /Legacy intake/ },
        { name: 'HubSpot destination', path: `/destinations/${seeded.destinations.hubspot}`, heading: /HubSpot/ },
        { name: 'new destination', path: '/destinations/new', heading: 'New destination' },
        { name: 'deliveries', path: '/deliveries', heading: 'Deliveries' },
        { name: 'alerts', path: '/alerts', heading: 'Alerts' },
        { name: 'settings', path: '/settings', heading: 'Settings' },
        { name: 'not found', path: '/nowhere', heading: 'Page not found' },
      ]
      browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      })
    }, 180_000)

    afterAll(async () => {
      await browser?.close()
      if (serve) await stopProcess(serve.child)
      await Promise.all([okSink?.close(), failingSink?.close(), hangingSink?.close()])
      dataDir.remove()
    })

    test('the lead page checked has two deliveries to one destination (the landmark case)', async () => {
      const lead = await api<{ deliveries: { destinationId: string }[] }>(`/v1/leads/${leadWithTwo}`)
      const destinations = lead.deliveries.map((delivery) => delivery.destinationId)
      expect(new Set(destinations).size).toBeLessThan(destinations.length)
    })

    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [device, options] of Object.entries(viewports)) {
        test(`${device}, ${colorScheme}: no axe violation on any page`, async () => {
          const context = await browser.newContext({ ...options, colorScheme, locale: 'en-GB', timezoneId: 'UTC' })
          try {
            const violations = await visitAll(context, `${device} ${colorScheme}`)
            expect(violations, violations.join('\n')).toEqual([])
          } finally {
            await context.close()
          }
        }, 180_000)
      }
    }
  },
  600_000,
)
