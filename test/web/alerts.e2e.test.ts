/**
 * The Alerts page in Debian's Chromium (playwright-core) against a real `leadrelay serve`: create a Microsoft Teams
 * channel and a rule in the portal, send the rule's test alert, and see the Adaptive Card arrive at a local receiver
 * standing in for the Teams Workflows webhook.
 */

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningServe, startServe, stopProcess } from '../helpers/cli-process.ts'
import { createTempDir } from '../helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.ts'
import { ensurePortalBuilt } from './portal-build.ts'

// The package's ESM build imports without file extensions, which Node refuses; its UMD bundle is the same code.
const AdaptiveCards = createRequire(import.meta.url)(
  'adaptivecards/dist/adaptivecards.js',
) as typeof import('adaptivecards')

const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium) console.warn(`alerts page test skipped: ${chromiumPath} is missing (apt-get install -y chromium)`)

describe.skipIf(!hasChromium)('alerts in the portal', () => {
  const dataDir = createTempDir('leadrelay-alerts-e2e-')
  let serve: RunningServe
  let browser: Browser
  let page: Page
  let teams: WebhookSink

  beforeAll(async () => {
    ensurePortalBuilt()
    teams = await startWebhookSink({ reply: { status: 202 } })
    serve = await startServe(['--data', dataDir.path, '--print-credentials'], {
      LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
      DATABASE_URL: '',
    })
    const apiKey = serve.errorOutput().match(/API key:\s+(\S+)/)![1]!
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
    await browser?.close()
    if (serve) await stopProcess(serve.child)
    await teams?.close()
    dataDir.remove()
  })

  test('create a Teams channel and a rule, send a test alert, and it arrives as an Adaptive Card 1.5', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click()
    await page.getByRole('heading', { level: 1, name: 'Alerts' }).waitFor()

    const channelForm = page.getByRole('form', { name: 'New channel' })
    await channelForm.getByLabel('Kind').selectOption({ label: 'Microsoft Teams' })
    await channelForm.getByLabel('Name').fill('Sales in Teams')
    await channelForm.getByLabel('Workflow webhook URL').fill(`${teams.url}?sig=PORTAL-SECRET`)
    await channelForm.getByRole('button', { name: 'Create channel' }).click()
    await page.getByText('Channel Sales in Teams created.').waitFor()
    expect(await channelForm.getByLabel('Workflow webhook URL').inputValue()).toBe('')

    const ruleForm = page.getByRole('form', { name: 'New rule' })
    await ruleForm.getByLabel('Name').fill('Active on CRM Suite')
    await ruleForm.getByLabel('When a lead first reaches').selectOption('active')
    await ruleForm.getByLabel(/^Offers/).fill('contoso.crm-suite')
    await ruleForm.getByRole('checkbox', { name: 'Sales in Teams' }).check()
    await ruleForm.getByRole('button', { name: 'Create rule' }).click()
    const rules = page.getByRole('table', { name: 'Alert rules' })
    await rules.getByRole('cell', { name: 'Active on CRM Suite', exact: true }).waitFor()

    await rules.getByRole('button', { name: 'Send test alert for Active on CRM Suite' }).click()
    await page.getByText('Test alert sent to Sales in Teams (HTTP 202).').waitFor()

    expect(teams.received).toHaveLength(1)
    const request = teams.received[0]!
    expect(request.path).toBe('/hook?sig=PORTAL-SECRET')
    const message = request.json as { type: string; attachments: { contentType: string; content: any }[] }
    expect(message.type).toBe('message')
    const card = message.attachments[0]!.content
    expect(card.version).toBe('1.5')
    expect(JSON.stringify(card)).toContain('Rule: Active on CRM Suite')
    const parsed = new AdaptiveCards.AdaptiveCard()
    const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5)
    parsed.parse(card, context)
    expect(context.eventCount).toBe(0)
    expect(parsed.validateProperties().validationEvents).toEqual([])

    // The secret never comes back to the browser.
    expect(await page.content()).not.toContain('PORTAL-SECRET')
  }, 60_000)
})
