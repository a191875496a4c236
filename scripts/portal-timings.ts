/**
 * Portal timings at scale (`npm run bench:portal [-- --customers 20000 --runs 3]`): a real `leadrelay serve` on a
 * fresh SQLite data directory gets the realistic data set of the browser tests (test/web/portal-seed.ts) at the
 * asked size through the Microsoft ingest URL, then Debian's Chromium opens every portal page and the time until it
 * shows is measured: from navigation to the page's heading being there with nothing still loading (no "Loading…",
 * no busy region). Each page is opened `runs` times after one warm-up; the median and the slowest are printed.
 * Reported, not asserted: the figures depend on the machine.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import { type RunningServe, startServe, stopProcess } from '../test/helpers/cli-process.ts'
import { createTempDir } from '../test/helpers/temp-dir.ts'
import { startWebhookSink, type WebhookSink } from '../test/helpers/webhook-sink.ts'
import { ensurePortalBuilt } from '../test/web/portal-build.ts'
import { seededOffers, seedPortal } from '../test/web/portal-seed.ts'

const chromiumPath = '/usr/bin/chromium'
const { values: flags } = parseArgs({
  options: {
    customers: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    /** Keep the seeded data here and reuse it on the next run (seeding 20,000 customers takes minutes). */
    data: { type: 'string' },
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

/** Milliseconds until the page shows; undefined (with what it shows instead) after 60 s. */
async function timeToShow(page: Page, url: string): Promise<number | undefined> {
  const started = performance.now()
  await page.goto(url, { waitUntil: 'commit' })
  try {
    await page.waitForFunction(shown, undefined, { polling: 'raf', timeout: 60_000 })
  } catch {
    console.warn(`${url} did not show in 60 s: ${((await page.locator('body').textContent()) ?? '').slice(0, 200)}`)
    return undefined
  }
  return performance.now() - started
}

interface Seeded {
  readonly apiKey: string
  readonly leadIds: readonly string[]
  readonly destinations: Readonly<Record<string, string>>
  readonly customers: number
  /** The data directory serve ran on. */
  readonly data?: string
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** `serve` on a busy machine may take longer than the helper waits to start: try again on a fresh directory. */
async function startServeOn(
  dataDir: string,
  reuse: string | undefined,
  attempts = 3,
): Promise<{ serve: RunningServe; data: string }> {
  for (let attempt = 1; ; attempt++) {
    const data = reuse ?? join(dataDir, `try-${attempt}`)
    try {
      const serve = await startServe(
        ['--data', data, '--print-credentials'],
        {
          LEADRELAY_ALLOW_PRIVATE_NETWORKS: 'true',
          LEADRELAY_RETRY_SCHEDULE: '1s,1s',
          LEADRELAY_RETRY_MAX_AGE: '4s',
          LEADRELAY_ATTEMPT_TIMEOUT: '30s',
          DATABASE_URL: '',
        },
        { startTimeoutMs: 90_000 },
      )
      return { serve, data }
    } catch (error) {
      if (attempt >= attempts) throw error
      console.warn(`serve did not start (attempt ${attempt}); trying again`)
    }
  }
}

async function seed(
  serve: RunningServe,
  sinks: Readonly<Record<'okSink' | 'failingSink' | 'hangingSink', WebhookSink>>,
): Promise<Seeded> {
  const apiKey = serve.errorOutput().match(/API key:\s+(\S+)/)?.[1]
  const ingestUrl = serve.errorOutput().match(/Ingest URL:\s+(\S+)/)?.[1]
  if (!apiKey || !ingestUrl) throw new Error(`serve printed no credentials: ${serve.errorOutput()}`)
  const started = performance.now()
  const seeded = await seedPortal({
    baseUrl: serve.url,
    apiKey,
    ingestUrl,
    customers,
    concurrency: Number(flags.concurrency),
    endpoints: {
      okUrl: sinks.okSink.url,
      failingUrl: sinks.failingSink.url,
      hangingUrl: sinks.hangingSink.url,
      unreachableUrl: 'http://127.0.0.1:9',
    },
  })
  const seconds = (performance.now() - started) / 1000
  console.info(`seeded ${seeded.leadIds.length} leads over ${seededOffers.length} offers in ${seconds.toFixed(0)} s`)
  return { apiKey, leadIds: seeded.leadIds, destinations: seeded.destinations, customers }
}

async function main() {
  ensurePortalBuilt()
  const dataDir = flags.data
    ? { path: resolve(flags.data), remove: () => undefined }
    : createTempDir('leadrelay-portal-timings-')
  const savedPath = join(dataDir.path, 'portal-timings.json')
  const saved = existsSync(savedPath) ? (JSON.parse(readFileSync(savedPath, 'utf8')) as Seeded) : undefined
  const [okSink, failingSink, hangingSink] = await Promise.all([
    startWebhookSink(),
    startWebhookSink({ reply: { status: 500, body: '{"error":"database is down"}' } }),
    startWebhookSink({ reply: { hang: true } }),
  ])
  const { serve, data } = await startServeOn(dataDir.path, saved?.data).catch(async (error: unknown) => {
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
    const seeded = saved ?? (await seed(serve, { okSink, failingSink, hangingSink }))
    if (flags.data && !saved) writeFileSync(savedPath, JSON.stringify({ ...seeded, data }))
    const { apiKey } = seeded

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
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor({ timeout: 120_000 })

    const pages = [
      ['Leads', '/leads'],
      ['Lead', `/leads/${seeded.leadIds[1]}`],
      ['Funnel', '/funnel'],
      ['Offers', '/offers'],
      ['Offer', `/offers/${seededOffers[0].id}`],
      ['Destinations', '/destinations'],
      ['Destination', `/destinations/${seeded.destinations.crm ?? ''}`],
      ['Deliveries', '/deliveries'],
      ['Settings', '/settings'],
    ] as const
    const rows: string[] = []
    for (const [name, path] of pages) {
      await timeToShow(page, `${serve.url}${path}`)
      const times: number[] = []
      for (let run = 0; run < runs; run++) {
        const time = await timeToShow(page, `${serve.url}${path}`)
        if (time !== undefined) times.push(time)
      }
      if (times.length === 0) {
        rows.push(`| ${name.padEnd(12)} | not shown in 60 s |`)
        continue
      }
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
