/**
 * People sign in to the portal in Chromium through a real OpenID Connect provider (`oidc-provider`), configured like a
 * multi-tenant Microsoft Entra ID app: an issuer with a path, its own JWKS, ID tokens with `tid`, `email`, `name`
 * and `preferred_username`, PKCE required, RP-initiated logout. An invited viewer sees leads but is refused replay
 * (403), an editor replays, an admin creates a destination, a person from a disallowed Entra tenant is refused, and
 * Sign out ends the session at the provider too (the next sign-in asks for the account again).
 */

import { existsSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { johnSmith, seedLead } from '../helpers/leads.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'
import { ensurePortalBuilt } from './portal-build.ts'

const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium) console.warn(`sign-in e2e test skipped: ${chromiumPath} is missing`)

const contosoTenant = '6f1c1d2e-0000-4000-8000-00000000c0de'
const fabrikamTenant = '99999999-9999-4999-8999-999999999999'

/** The people the provider knows; the devInteractions login form takes their `sub` as the login. */
const people: Record<string, { email: string; name: string; tid: string }> = {
  viewer: { email: 'vera@contoso.com', name: 'Vera Viewer', tid: contosoTenant },
  editor: { email: 'ed@contoso.com', name: 'Ed Editor', tid: contosoTenant },
  admin: { email: 'ada@contoso.com', name: 'Ada Admin', tid: contosoTenant },
  stranger: { email: 'mallory@fabrikam.com', name: 'Mallory', tid: fabrikamTenant },
}

async function freePort(): Promise<number> {
  const probe = createHttpServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe.skipIf(!hasChromium)('signing in to the portal with an identity provider', () => {
  let t: TestServer
  let providerServer: Server
  let browser: Browser
  let publicUrl: string
  let providerIssuer: string
  const invitations: Record<string, string> = {}
  let deliveryId: string

  beforeAll(async () => {
    ensurePortalBuilt()
    const providerPort = await freePort()
    const mountPath = '/organizations/v2.0'
    const issuer = `http://127.0.0.1:${providerPort}${mountPath}`
    providerIssuer = issuer
    const portalPort = await freePort()
    publicUrl = `http://127.0.0.1:${portalPort}`
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'leadrelay',
          client_secret: 'leadrelay-secret',
          redirect_uris: [`${publicUrl}/auth/callback`],
          post_logout_redirect_uris: [`${publicUrl}/signed-out`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      // Like Entra: the claims ride in the ID token, which is all Leadrelay reads.
      conformIdTokenClaims: false,
      claims: {
        openid: ['sub', 'tid'],
        email: ['email'],
        profile: ['name', 'preferred_username'],
      },
      findAccount: async (_context, sub) => {
        const person = people[sub]
        if (!person) return undefined
        return {
          accountId: sub,
          claims: async () => ({ sub, ...person, preferred_username: person.email }),
        }
      },
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
    })
    const handle = provider.callback()
    providerServer = createHttpServer((request, response) => {
      // The provider is mounted at its issuer's path, as behind a reverse proxy.
      if (request.url?.startsWith(mountPath)) request.url = request.url.slice(mountPath.length) || '/'
      handle(request, response)
    })
    await new Promise<void>((resolve) => providerServer.listen(providerPort, '127.0.0.1', resolve))

    t = await startTestServer({
      LEADRELAY_PUBLIC_URL: publicUrl,
      LEADRELAY_OIDC_ISSUER: issuer,
      LEADRELAY_OIDC_CLIENT_ID: 'leadrelay',
      LEADRELAY_OIDC_CLIENT_SECRET: 'leadrelay-secret',
      LEADRELAY_OIDC_ALLOWED_TENANTS: contosoTenant,
    })
    await t.server.app.listen({ port: portalPort, host: '127.0.0.1' })

    const api = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
      t.server.app.inject({
        method,
        url,
        headers: { ...bearer(t.tenant), ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      })
    for (const role of ['viewer', 'editor', 'admin'] as const) {
      const response = await api('POST', '/v1/invitations', { email: people[role]!.email, role })
      expect(response.statusCode).toBe(201)
      invitations[role] = response.json().link
    }
    const destination = await api('POST', '/v1/destinations', {
      name: 'Sales webhook',
      kind: 'webhook',
      config: { url: 'https://hooks.example.com/leads' },
    })
    expect(destination.statusCode).toBe(201)
    expect((await api('PUT', '/v1/routes/default', { destinations: [destination.json().id] })).statusCode).toBe(200)
    const lead = await api('POST', '/v1/leads', seedLead('AzureMarketplace', johnSmith))
    expect(lead.statusCode).toBeLessThan(300)
    await t.server.ingest.drain()
    const deliveries = (await api('GET', '/v1/deliveries')).json().items
    expect(deliveries.length).toBeGreaterThan(0)
    deliveryId = deliveries[0].id

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
    await new Promise((resolve) => providerServer?.close(resolve))
  })

  /** The provider's development login and consent pages, as a person would fill them in. */
  async function logInAtProvider(page: Page, who: string): Promise<void> {
    await page.waitForSelector('input[name="login"]')
    await page.fill('input[name="login"]', who)
    await page.fill('input[name="password"]', 'any password')
    await page.click('button[type="submit"]')
    const consent = await page.waitForSelector('button:has-text("Continue"), h1:has-text("Leads")', { timeout: 15_000 })
    if ((await consent.textContent())?.includes('Continue')) await consent.click()
  }

  async function signInByInvitation(role: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage()
    await page.goto(invitations[role]!)
    await logInAtProvider(page, role)
    await page.waitForURL(`${publicUrl}/leads`)
    await page.waitForSelector(`text=${people[role]!.name}`)
    return page
  }

  /** A call the portal itself would make: same origin, with the session cookie. */
  function fetchFromPortal(page: Page, method: string, path: string, body?: unknown) {
    return page.evaluate(
      async ([method, path, body]) => {
        const response = await fetch(path as string, {
          method: method as string,
          headers: { 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })
        return { status: response.status, body: (await response.json().catch(() => null)) as any }
      },
      [method, path, body] as const,
    )
  }

  test('an invited viewer sees leads and their role, no replay button, and gets 403 on replay', async () => {
    const page = await signInByInvitation('viewer')
    expect(await page.textContent('.account')).toContain('viewer')
    await page.waitForSelector('text=John')
    expect(await page.isVisible('nav >> text=People')).toBe(false)
    await page.goto(`${publicUrl}/destinations`)
    await page.waitForSelector('h1:has-text("Destinations")')
    expect(await page.isVisible('text=New destination')).toBe(false)
    // The portal says why replay is missing rather than offering a button the API would refuse.
    await page.goto(`${publicUrl}/deliveries`)
    await page.waitForSelector('text=Your role is viewer: replaying or retrying deliveries needs editor or above.')
    expect(await page.isVisible('h2:has-text("Replay by filter")')).toBe(false)
    const replay = await fetchFromPortal(page, 'POST', '/v1/deliveries/replay', { ids: [deliveryId] })
    expect(replay.status).toBe(403)
    expect(replay.body).toMatchObject({ code: 'FORBIDDEN', requiredRole: 'editor' })
    await page.context().close()
  }, 60_000)

  test('an editor replays; an admin creates a destination and sees People', async () => {
    const editor = await signInByInvitation('editor')
    await editor.goto(`${publicUrl}/deliveries`)
    await editor.waitForSelector('h2:has-text("Replay by filter")')
    const replay = await fetchFromPortal(editor, 'POST', '/v1/deliveries/replay', { ids: [deliveryId] })
    expect(replay.status).toBe(200)
    const refused = await fetchFromPortal(editor, 'POST', '/v1/destinations', {
      name: 'Not mine to make',
      kind: 'webhook',
      config: { url: 'https://hooks.example.com/other' },
    })
    expect(refused.status).toBe(403)
    await editor.context().close()

    const admin = await signInByInvitation('admin')
    const created = await fetchFromPortal(admin, 'POST', '/v1/destinations', {
      name: 'Marketing webhook',
      kind: 'webhook',
      config: { url: 'https://hooks.example.com/marketing' },
    })
    expect(created.status).toBe(201)
    await admin.goto(`${publicUrl}/destinations`)
    await admin.waitForSelector('text=Marketing webhook')
    expect(await admin.isVisible('text=New destination')).toBe(true)
    await admin.click('nav >> text=People')
    await admin.waitForSelector('td:has-text("Vera Viewer")')
    // The audit log names the person who made the destination.
    const audit = await fetchFromPortal(admin, 'GET', '/v1/audit')
    const made = audit.body.items.find(
      (entry: { action: string; target: string }) =>
        entry.action === 'destination.created' && entry.target === created.body.id,
    )
    expect(made).toMatchObject({
      actorName: 'Ada Admin',
    })
    await admin.context().close()
  }, 90_000)

  test('a member signs in again from the sign-in page; a person of a disallowed Entra tenant is refused', async () => {
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${publicUrl}/`)
    await page.click('text=Sign in with your organisation')
    await logInAtProvider(page, 'viewer')
    await page.waitForSelector('text=Vera Viewer')
    await page.click('button:has-text("Sign out")')
    // The provider's own sign-out page (RP-initiated logout, reached with the ID token as hint), then back here.
    // (oidc-provider names its endpoints from the request, so they sit at the origin, not under the issuer's path.)
    await page.waitForURL(
      (url) => url.origin === new URL(providerIssuer).origin && url.pathname.endsWith('/session/end'),
    )
    expect(new URL(page.url()).searchParams.get('id_token_hint')).toMatch(/^eyJ/)
    expect(new URL(page.url()).searchParams.get('post_logout_redirect_uri')).toBe(`${publicUrl}/signed-out`)
    await page.click('button:has-text("Yes, sign me out")')
    await page.waitForURL(`${publicUrl}/signed-out`)
    await page.waitForSelector('text=You are signed out.')
    expect((await fetchFromPortal(page, 'GET', '/v1/leads')).status).toBe(401)
    // The provider forgot the person too: signing in again asks who they are, instead of letting them straight in.
    await page.click('text=Sign in with your organisation')
    await page.waitForSelector('input[name="login"]')
    await page.context().close()

    const stranger = await (await browser.newContext()).newPage()
    await stranger.goto(`${publicUrl}/`)
    await stranger.click('text=Sign in with your organisation')
    await logInAtProvider(stranger, 'stranger')
    await stranger.waitForSelector('text=Sign-in refused')
    expect(await stranger.textContent('[role="alert"]')).toContain(`Entra tenant ${fabrikamTenant}`)
    expect((await fetchFromPortal(stranger, 'GET', '/v1/leads')).status).toBe(401)
    await stranger.context().close()
  }, 60_000)
})
