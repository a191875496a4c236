/**
 * Portal timings at scale (`npm run bench:portal [-- --customers 20000 --runs 3]`): a real `leadrelay serve` on a
 * fresh SQLite data directory gets the realistic data set of the browser tests (test/web/portal-seed.ts) at the
 * asked size through the Microsoft ingest URL, then Debian's Chromium opens every portal page and the time until it
 * shows is measured: from navigation to the page's heading being there with nothing still loading (no "Loading…",
 * no busy region). Each page is opened `runs` times after one warm-up; the median and the slowest are printed.
 * Reported, not asserted: the figures depend on the machine.
 */

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import { type RunningServe, startServe, stopProcess } from '../test/helpers/cli-process.ts'
import { createTempDir } from '../test/helpers/temp-dir.ts'
import { startWebhookSink } from '../test/helpers/webhook-sink.ts'
import { ensurePortalBuilt } from '../test/web/portal-build.ts'
import { seededOffers, seedPortal } from '../test/web/portal-seed.ts'

const chromiumPath = '/usr/bin/chromium'
const { values: flags } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
  },
})
const customers = Number(flags.customers)
const runs = Number(flags.runs)
if (!Number.isInteger(customers) || customers < 1) throw new Error('--customers takes a positive integer')
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer')
if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing (apt-get install -y chromium)`)

/** Evaluated in the page: the h1 is there and nothing is loading. */
const shown = `(() => {
  const heading = document.querySelector('main h1, .sign-in h1')
  return Boolean(heading) && !document.querySelector('.loading, [aria-busy="true"]')
})()`

async function timeToShow(page: Page, url: string): Promise<number> {
  const started = performance.now()
  await page.goto(url, { waitUntil: 'commit' })
  await page.waitForFunction(shown, undefined, { polling: 'raf', timeout: 60_000 })
  return performance.now() - started
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** `serve` on a busy machine may take longer than the helper waits to start: try again on a fresh directory. */
async function startServeOn(dataDir: string, attempts = 3): Promise<RunningServe> {
  for (let attempt = 1; ; attempt++) {
    const data = join(dataDir, `try-${attempt}`)
    try {
      return await startServe(['--data', data, '--print-credentials'], {
        LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
        LEADRELAY_RETRY_SCHEDULE: '1s,1s',
        LEADRELAY_RETRY_MAX_AGE: '4s',
        LEADRELAY_ATTEMPT_TIMEOUT: '30s',
        DATABASE_URL: '',
      })
    } catch (error) {
      if (attempt >= attempts) throw error
      console.warn(`serve did not start (attempt ${attempt}); trying again`)
    }
  }
}

async function main() {
  ensurePortalBuilt()
  const dataDir = createTempDir('leadrelay-portal-timings-')
  const [okSink, failingSink, hangingSink] = await Promise.all([
    startWebhookSink(),
    startWebhookSink({ reply: { status: 500, body: '{"error":"database is down"}' } }),
    startWebhookSink({ reply: { hang: true } }),
  ])
  const serve = await startServeOn(dataDir.path).catch(async (error: unknown) => {
    await Promise.all([okSink.close(), failingSink.close(), hangingSink.close()])
    dataDir.remove()
    throw error
  })
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  })
  try {
    const apiKey = serve.errorOutput().match(/API key:\s+(\S+)/)?.[1]
    const ingestUrl = serve.errorOutput().match(/Ingest URL:\s+(\S+)/)?.[1]
    if (!apiKey || !ingestUrl) throw new Error(`serve printed no credentials: ${serve.errorOutput()}`)
    const seedingStarted = performance.now()
    const seeded = await seedPortal({
      baseUrl: serve.url,
      apiKey,
      ingestUrl,
      customers,
      concurrency: Number(flags.concurrency),
      endpoints: {
        okUrl: okSink.url,
        failingUrl: failingSink.url,
        hangingUrl: hangingSink.url,
        unreachableUrl: 'http://127.0.0.1:9',
      },
    })
    const seedSeconds = (performance.now() - seedingStarted) / 1000
    console.info(
      `seeded ${seeded.leadIds.length} leads (${customers} customers) over ${seededOffers.length} offers in ${seedSeconds.toFixed(0)} s`,
    )

    // The portal's CSP forbids eval, which a string predicate needs; the page itself is unchanged.
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      bypassCSP: true,
    })
    const page = await context.newPage()
    page.on('dialog', (dialog) => void dialog.accept())
    // Signed in the way the portal keeps a session: the key in this tab's sessionStorage.
    await page.goto(`${serve.url}/`)
    await page.evaluate(`sessionStorage.setItem('leadrelay.apiKey', ${JSON.stringify(apiKey)})`)
    await page.goto(`${serve.url}/leads`)
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor()

    const pages = [
      ['Leads', '/leads'],
      ['Lead', `/leads/${seeded.leadIds[1]}`],
      ['Funnel', '/funnel'],
      ['Offers', '/offers'],
      ['Offer', `/offers/${seededOffers[0].id}`],
      ['Destinations', '/destinations'],
      ['Destination', `/destinations/${seeded.destinations.crm}`],
      ['Deliveries', '/deliveries'],
      ['Settings', '/settings'],
    ] as const
    const rows: string[] = []
    for (const [name, path] of pages) {
      await timeToShow(page, `${serve.url}${path}`)
      const times: number[] = []
      for (let run = 0; run < runs; run++) times.push(await timeToShow(page, `${serve.url}${path}`))
      rows.push(
        `| ${name.padEnd(12)} | ${median(times).toFixed(0).padStart(6)} ms | ${Math.max(...times)
          .toFixed(0)
          .padStart(6)} ms |`,
      )
    }
    console.info(`\nTime to show each page with ${seeded.leadIds.length} leads (${runs} runs after a warm-up):\n`)
    console.info('| page         |  median |  slowest |')
    console.info('| ------------ | ------: | -------: |')
    for (const row of rows) console.info(row)
  } finally {
    await browser.close()
    await stopProcess(serve.child)
    await Promise.all([okSink.close(), failingSink.close(), hangingSink.close()])
    dataDir.remove()
  }
}

await main()
