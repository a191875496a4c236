/**
 * One journey per destination kind, in Debian's Chromium driven by playwright-core against a real `leadrelay serve`
 * whose connectors reach local vendor fakes (test/fakes/) and Azurite: sign in, create the destination in the form
 * with the vendor's fields, Test connection, route a new offer to it, Publish, send a Microsoft lead to the ingest
 * URL, and see the lead arrive at the vendor and shown delivered on the lead page.
 */

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type DataverseFake, startDataverseFake } from '../fakes/dynamics365-fake.ts'
import { fakeToken, type HubSpotFake, startHubSpotFake } from '../fakes/hubspot-fake.ts'
import { type MarketoFake, startMarketoFake } from '../fakes/marketo-fake.ts'
import { type SalesforceFake, startSalesforceFake } from '../fakes/salesforce-fake.ts'
import { type Azurite, startAzurite } from '../helpers/azurite.ts'
import { type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'
import { ensurePortalBuilt } from './portal-build.ts'

const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium) {
  console.warn(
    `destination journeys skipped: ${chromiumPath} is missing (install it with: apt-get install -y chromium)`,
  )
}

const root = fileURLToPath(new URL('../../', import.meta.url))
const microsoftLead = JSON.parse(readFileSync(join(root, 'examples', 'microsoft-lead.json'), 'utf8'))
const marketoClientId = 'a1b2c3d4-0000-4000-8000-portaljourney'
const marketoClientSecret = 'MarketoPortalJourneySecret'
const azureTable = 'PortalLeads'

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
}

/** `Application (client) ID` as a pattern matching the start of a label ("… (required)" follows). */
const labelled = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)

describe.skipIf(!hasChromium)(
  'every destination kind set up in the portal, end to end',
  () => {
    const dataDir = createTempDir('leadrelay-journeys-')
    let serve: RunningServe
    let apiKey: string
    let ingestUrl: string
    let browser: Browser
    let page: Page
    let sink: WebhookSink
    let salesforce: SalesforceFake
    let dataverse: DataverseFake
    let marketo: MarketoFake
    let hubspot: HubSpotFake
    let azurite: Azurite
    const timings: string[] = []

    beforeAll(async () => {
      ensurePortalBuilt()
      ;[sink, salesforce, dataverse, marketo, hubspot, azurite] = await Promise.all([
        startWebhookSink(),
        startSalesforceFake(),
        startDataverseFake(),
        startMarketoFake({ clientId: marketoClientId, clientSecret: marketoClientSecret }),
        startHubSpotFake(),
        startAzurite(),
      ])
      serve = await startServe(['--data', dataDir.path, '--print-credentials'], {
        // The fakes listen on loopback, which destinations may not reach by default.
        LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
        LEADRELAY_ATTEMPT_TIMEOUT: '10s',
        DATABASE_URL: '',
      })
      apiKey = serve.errorOutput().match(/API key:\s+(\S+)/)![1]!
      ingestUrl = serve.errorOutput().match(/Ingest URL:\s+(\S+)/)![1]!
      browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      })
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })
      page = await context.newPage()
      await page.goto(`${serve.url}/`)
      await page.getByLabel('API key').fill(apiKey)
      await page.getByLabel('API key').press('Enter')
      await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor()
    }, 120_000)

    afterAll(async () => {
      if (timings.length > 0) console.info(`destination journeys: ${timings.join(', ')}`)
      await browser?.close()
      if (serve) await stopProcess(serve.child)
      await Promise.all([
        sink?.close(),
        salesforce?.close(),
        dataverse?.close(),
        marketo?.close(),
        hubspot?.close(),
        azurite?.stop(),
      ])
      dataDir.remove()
    })

    /** New destination → choose the kind → `fill` the vendor's fields → Create; resolves on its own page. */
    async function createDestination(kindName: string, name: string, fill: () => Promise<void>) {
      await page.goto(`${serve.url}/destinations/new`)
      await page.getByRole('heading', { level: 1, name: 'New destination' }).waitFor()
      await page.getByRole('radio', { name: kindName, exact: true }).check()
      await page.getByLabel(/^Name/).fill(name)
      await fill()
      await page.getByRole('button', { name: 'Create destination' }).click()
      const reveal = page.getByRole('button', { name: 'I have stored it — continue' })
      const heading = page.getByRole('heading', { level: 1, name })
      await Promise.race([reveal.waitFor(), heading.waitFor()])
      if (await reveal.isVisible()) await reveal.click()
      await heading.waitFor()
    }

    async function testConnection() {
      await page.getByRole('button', { name: 'Test connection' }).click()
      await page
        .getByRole('status')
        .filter({ hasText: /Works|failed|Failed/ })
        .first()
        .waitFor()
      expect(
        await page
          .getByRole('status')
          .filter({ hasText: /Works|failed|Failed/ })
          .first()
          .textContent(),
      ).toContain('✓ Works: a test lead was delivered')
    }

    /** A new offer routed to the destination, published (its test lead must pass). */
    async function routeAndPublish(offerId: string, destinationName: string) {
      await page.goto(`${serve.url}/offers/new`)
      await page.getByRole('heading', { level: 1, name: 'New offer' }).waitFor()
      await page.getByLabel(/^Offer id/).fill(offerId)
      await page.getByLabel(/^Title/).fill(`Offer for ${destinationName}`)
      await page.getByRole('checkbox', { name: labelled(destinationName) }).check()
      await page.getByRole('button', { name: 'Publish', exact: true }).click()
      await page.getByRole('heading', { name: 'Published: the offer is live' }).waitFor()
    }

    /** A lead as Microsoft posts it for the offer; resolves with its id. */
    async function sendLead(offerId: string, email: string, lastName: string): Promise<string> {
      const response = await fetch(ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ...microsoftLead,
          LeadSource: `AzureMarketplace-INS|${offerId}`,
          UserDetails: { ...microsoftLead.UserDetails, LastName: lastName, Email: email },
        }),
      })
      expect(response.status).toBe(202)
      return ((await response.json()) as { leadId: string }).leadId
    }

    async function seenDelivered(leadId: string, destinationName: string) {
      await page.goto(`${serve.url}/leads/${leadId}`)
      const card = page.locator('section.delivery-card', { hasText: destinationName })
      await card.locator('.badge', { hasText: 'Delivered' }).waitFor({ timeout: 15_000 })
    }

    async function journey<T>(
      kindName: string,
      name: string,
      fill: () => Promise<void>,
      arrived: (email: string) => Promise<T | undefined>,
    ): Promise<T> {
      const started = Date.now()
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-')
      await createDestination(kindName, name, fill)
      await testConnection()
      await routeAndPublish(`contoso.${slug}`, name)
      const email = `buyer.${slug}@fabrikam.example`
      const leadId = await sendLead(`contoso.${slug}`, email, `Buyer ${slug}`)
      const record = await until(`the lead to reach ${name}`, async () => arrived(email))
      await seenDelivered(leadId, name)
      timings.push(`${kindName} ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return record
    }

    test('webhook: URL and a secret header; the signed lead arrives with the header', async () => {
      const received = await journey(
        'Webhook (HTTPS)',
        'Journey webhook',
        async () => {
          await page.getByLabel(/^URL/).fill(sink.url)
          const headers = page.getByRole('group', { name: 'Secret headers' })
          await headers.getByRole('button', { name: 'Add secret header' }).click()
          await headers.getByLabel('Secret headers 1: name').fill('X-Api-Key')
          await headers.getByLabel('Secret headers 1: value').fill('journey-key')
        },
        async (email) => sink.received.find((request) => request.body.includes(email)),
      )
      expect(received.headers['x-api-key']).toBe('journey-key')
      expect(received.headers['webhook-signature']).toMatch(/^v1,/)
      // The stored header is shown by name only.
      await page.goto(`${serve.url}/destinations`)
      await page.getByRole('link', { name: 'Journey webhook' }).click()
      await page
        .getByRole('group', { name: 'Secret headers' })
        .getByRole('listitem')
        .filter({ hasText: 'X-Api-Key' })
        .getByRole('button', { name: /Remove stored/ })
        .waitFor()
      expect(await page.content()).not.toContain('journey-key')
    })

    test('Salesforce: REST API with the connected app’s Consumer Key and Secret; a Lead is upserted', async () => {
      const lead = await journey(
        'Salesforce',
        'Journey Salesforce',
        async () => {
          await page.getByRole('radio', { name: 'REST API (recommended)' }).check()
          await page.getByLabel(/^My Domain URL/).fill(salesforce.url)
          await page.getByLabel(/^Authentication method/).selectOption('client_credentials')
          await page.getByLabel(/^Consumer Key/).fill(salesforce.clientId)
          await page.getByLabel(/^Consumer Secret/).fill(salesforce.clientSecret)
        },
        async (email) => salesforce.leadsWhere((lead) => lead.Email === email)[0],
      )
      expect(lead).toMatchObject({ LastName: 'Buyer journey-salesforce', LeadSource: 'Azure Marketplace' })
    })

    test('Dynamics 365: environment, tenant, app registration and client secret; a lead row is created', async () => {
      const row = await journey(
        'Microsoft Dynamics 365 / Dataverse',
        'Journey Dynamics',
        async () => {
          await page.getByLabel(/^Environment URL/).fill(dataverse.url)
          await page.getByLabel(labelled('Directory (tenant) ID')).fill(dataverse.tenantId)
          await page.getByLabel(labelled('Application (client) ID')).fill(dataverse.clientId)
          await page.getByLabel(/^Microsoft Entra sign-in host/).fill(dataverse.authorityHost)
          await page.getByLabel(labelled('Client secret (Value)')).fill(dataverse.clientSecret)
        },
        async (email) => dataverse.leadsWhere('emailaddress1', email)[0],
      )
      expect(JSON.stringify(row)).toContain('Buyer journey-dynamics')
    })

    test('Marketo: REST API Endpoint and the LaunchPoint Client ID and Secret; a person is synced', async () => {
      const person = await journey(
        'Marketo (Adobe Marketo Engage)',
        'Journey Marketo',
        async () => {
          await page.getByLabel(/^REST API Endpoint/).fill(`${marketo.url}/rest`)
          await page.getByLabel(/^Client ID/).fill(marketoClientId)
          await page.getByLabel(/^Client Secret/).fill(marketoClientSecret)
        },
        async (email) => marketo.findLeads('email', email)[0],
      )
      expect(JSON.stringify(person)).toContain('Buyer journey-marketo')
    })

    test('HubSpot: the private app access token; a contact is upserted', async () => {
      const contact = await journey(
        'HubSpot (contacts)',
        'Journey HubSpot',
        async () => {
          await page.getByLabel(/^API base URL/).fill(hubspot.url)
          await page.getByLabel(/^Private app access token/).fill(fakeToken)
        },
        async (email) => hubspot.contactByEmail(email),
      )
      expect(JSON.stringify(contact)).toContain('Buyer journey-hubspot')
    })

    test('Azure Table: a storage connection string; the lead is a row of the table', async () => {
      const entity = await journey(
        'Azure Table',
        'Journey Azure Table',
        async () => {
          await page.getByLabel(/^Table name/).fill(azureTable)
          await page.getByLabel(/^Connection string/).fill(azurite.connectionString)
        },
        async (email) => {
          for await (const row of azurite.tableClient(azureTable).listEntities()) {
            if (JSON.stringify(row).includes(email)) return row
          }
          return undefined
        },
      )
      expect(JSON.stringify(entity)).toContain('Buyer journey-azure-table')
    })

    test('editing a CRM destination keeps its secrets unless new ones are typed', async () => {
      await page.goto(`${serve.url}/destinations`)
      await page.getByRole('link', { name: 'Journey HubSpot' }).click()
      await page.getByRole('heading', { level: 1, name: 'Journey HubSpot' }).waitFor()
      const token = page.getByLabel(/^Private app access token/)
      expect(await token.inputValue()).toBe('')
      expect(await token.getAttribute('placeholder')).toMatch(/leave empty to keep the stored secret/)
      await page.getByLabel(/^Timeout \(ms\)/).fill('12000')
      await page.getByRole('button', { name: 'Save changes' }).click()
      await page.getByText('Saved.', { exact: false }).waitFor()
      await testConnection()
    })
  },
  240_000,
)
