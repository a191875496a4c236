/**
 * axe-core in a Playwright page: WCAG 2 A and AA (2.0 and 2.1) and axe's best practices, each violation described
 * one line per failing node. Shared by the browser tests that check pages (accessibility, subscriptions).
 */

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface AxeNode {
  readonly target: unknown[]
  readonly failureSummary?: string
  readonly html: string
}
interface AxeViolation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly nodes: AxeNode[]
}

/** One line per failing node: rule, impact, selector, what to fix. */
function describeViolations(page: string, violations: readonly AxeViolation[]): string {
  return violations
    .flatMap((violation) =>
      violation.nodes.map(
        (node) =>
          `${page}: ${violation.id} (${violation.impact ?? 'n/a'}) ${violation.help}\n    at ${JSON.stringify(node.target)} ${node.html.slice(0, 160)}\n    ${(node.failureSummary ?? '').replace(/\n/g, '\n    ')}`,
      ),
    )
    .join('\n')
}

/** Polls `check` until it answers something truthy, or fails naming `what`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The page's axe violations once nothing is loading any more, described; '' when there is none. */
export async function axeViolations(page: Page, name: string): Promise<string> {
  await until(`${name} to finish loading`, async () =>
    page.evaluate<boolean>(`!document.querySelector('.loading, [aria-busy="true"]')`),
  )
  await page.evaluate(axeSource)
  const violations = await page.evaluate<AxeViolation[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
      .then((results) => results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) })))
  `)
  return describeViolations(name, violations)
}

/** Desktop and phone, as the portal's pages are checked. */
export const viewports = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
} as const
