/**
 * People sign in with OpenID Connect (docs/decisions/0008): the ID token is checked, the tenant rules hold, sessions
 * end on sign-out and timeouts, roles are enforced, cookie-borne changes from other sites are refused.
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { sessionTouchMs } from '../../src/http/auth.ts'
import { type Identity, type OidcFake, type Spoil, startOidcFake } from '../fakes/oidc-fake.ts'
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts'

let fake: OidcFake
let t: TestServer
const hourMs = 3_600_000
const portal = 'http://127.0.0.1:8080'

beforeAll(async () => {
  fake = await startOidcFake()
})
afterAll(async () => {
  await fake.close()
})
beforeEach(async () => {
  t = await startTestServer({
    LEADRELAY_OIDC_ISSUER: fake.issuer,
    LEADRELAY_OIDC_CLIENT_ID: fake.clientId,
    LEADRELAY_OIDC_CLIENT_SECRET: fake.clientSecret,
    LEADRELAY_OIDC_ALLOWED_TENANTS: fake.tenantId,
  })
})
afterEach(async () => {
  await t.close()
})

const ada: Identity = { sub: 'sub-ada', name: 'Ada Lovelace', email: 'ada@contoso.com' }

function cookieOf(response: { headers: Record<string, unknown> }, name: string): string | undefined {
  const header = response.headers['set-cookie']
  const all = Array.isArray(header) ? header : typeof header === 'string' ? [header] : []
  const found = all.find((cookie: string) => cookie.startsWith(`${name}=`))
  return found?.slice(name.length + 1).split(';')[0]
}

/** The whole browser round trip: /auth/login, the provider, /auth/callback. */
async function signIn(identity: Identity, options: { invitation?: string; spoil?: Spoil } = {}) {
  const login = await t.server.app.inject({
    method: 'GET',
    url: `/auth/login${options.invitation ? `?invitation=${encodeURIComponent(options.invitation)}` : ''}`,
  })
  expect(login.statusCode).toBe(302)
  const loginCookie = cookieOf(login, 'leadrelay-login')!
  expect(login.headers['set-cookie']).toEqual(expect.stringContaining('HttpOnly; SameSite=Lax'))
  const { code, state } = fake.approve(login.headers.location!, identity, options.spoil)
  const callback = await t.server.app.inject({
    method: 'GET',
    url: `/auth/callback?code=${code}&state=${state}`,
    headers: { cookie: `leadrelay-login=${loginCookie}` },
  })
  expect(callback.statusCode).toBe(303)
  const session = cookieOf(callback, 'leadrelay-session')
  return { session: session || undefined, location: callback.headers.location as string, callback }
}

function asPerson(session: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const all: Record<string, string> = {
    cookie: `leadrelay-session=${session}`,
    ...(method !== 'GET' && { 'sec-fetch-site': 'same-origin', origin: portal }),
    ...(body !== undefined && { 'content-type': 'application/json' }),
    ...headers,
  }
  // An empty value stands for a header the browser did not send.
  return t.server.app.inject({
    method: method as 'GET',
    url,
    headers: Object.fromEntries(Object.entries(all).filter(([, value]) => value !== '')),
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })
}

async function invite(email: string, role: string): Promise<string> {
  const response = await t.server.app.inject({
    method: 'POST',
    url: '/v1/invitations',
    headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
    payload: JSON.stringify({ email, role }),
  })
  expect(response.statusCode).toBe(201)
  const { link, emailed } = response.json()
  expect(emailed).toBe(false)
  return new URL(link).searchParams.get('invitation')!
}

async function signedInAs(identity: Identity, role: string): Promise<string> {
  // One second apart, so people are listed in the order they joined.
  t.clock.advance(1000)
  const { session } = await signIn(identity, { invitation: await invite(identity.email!, role) })
  expect(session).toBeDefined()
  return session!
}

describe('sign-in', () => {
  test('the portal is told to offer the identity provider, and API key sign-in is off', async () => {
    const response = await t.server.app.inject({ method: 'GET', url: '/auth/config' })
    expect(response.json()).toEqual({ oidc: true, provider: 'oidc', apiKeySignIn: false })
  })

  test('an invited person signs in, sees their role, and the invitation cannot be used twice', async () => {
    const token = await invite('ada@contoso.com', 'viewer')
    const first = await signIn(ada, { invitation: token })
    expect(first.location).toBe('/')
    const me = await asPerson(first.session!, 'GET', '/v1/tenant')
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({
      id: t.tenant.tenant.id,
      person: { name: 'Ada Lovelace', email: 'ada@contoso.com', role: 'viewer', operator: false },
    })
    expect(me.json().key).toBeUndefined()
    // Someone else with the same link is refused; Ada herself, a member now, gets in without it.
    const other = await signIn({ sub: 'sub-eve', name: 'Eve', email: 'ada@contoso.com' }, { invitation: token })
    expect(other.session).toBeUndefined()
    expect(decodeURIComponent(other.location)).toContain('expired or was already used')
  })

  test('an invitation for another email is refused', async () => {
    const token = await invite('bob@contoso.com', 'admin')
    const { session, location } = await signIn(ada, { invitation: token })
    expect(session).toBeUndefined()
    expect(decodeURIComponent(location)).toContain('This invitation is for bob@contoso.com')
  })

  test('people of an allowed Entra tenant join the tenant as viewers; of another tenant they are refused', async () => {
    const joined = await signIn(ada)
    expect((await asPerson(joined.session!, 'GET', '/v1/tenant')).json().person.role).toBe('viewer')
    const stranger = await signIn({
      sub: 'sub-mallory',
      name: 'Mallory',
      email: 'm@fabrikam.com',
      tid: '99999999-9999-4999-8999-999999999999',
    })
    expect(stranger.session).toBeUndefined()
    // Its issuer names the fake's tenant but its tid another: a mix-up, refused before any other rule.
    expect(decodeURIComponent(stranger.location)).toMatch(/signInError=.*tid is 99999999/)
  })

  test.each<[string, Spoil, RegExp]>([
    ['a wrong issuer', { iss: 'https://login.microsoftonline.com/11111111-1111-4111-8111-111111111111/v2.0' }, /iss/],
    ['a wrong audience', { aud: 'someone-else' }, /aud/],
    ['a wrong nonce', { nonce: 'replayed' }, /nonce/],
    ['an expired token', { expiresIn: -600 }, /exp/],
    ['an unsigned token (alg none)', { alg: 'none' }, /alg|JWS/],
    ['a signature by another key', { foreignKey: true }, /signature|key|JWK/i],
  ])('%s is refused and opens no session', async (_name, spoil, reason) => {
    const { session, location } = await signIn(ada, { spoil })
    expect(session).toBeUndefined()
    expect(location).toMatch(/^\/\?signInError=/)
    expect(decodeURIComponent(location)).toMatch(reason)
    expect(await t.store.listMembers(t.tenant.tenant.id)).toEqual([])
  })

  test('a callback without the login cookie, or with a state of another sign-in, is refused', async () => {
    const login = await t.server.app.inject({ method: 'GET', url: '/auth/login' })
    const { code, state } = fake.approve(login.headers.location!, ada)
    const without = await t.server.app.inject({ method: 'GET', url: `/auth/callback?code=${code}&state=${state}` })
    expect(cookieOf(without, 'leadrelay-session')).toBeUndefined()
    expect(decodeURIComponent(without.headers.location as string)).toContain('sign in again')
    const second = await t.server.app.inject({ method: 'GET', url: '/auth/login' })
    const mixed = await t.server.app.inject({
      method: 'GET',
      url: `/auth/callback?code=${code}&state=${state}`,
      headers: { cookie: `leadrelay-login=${cookieOf(second, 'leadrelay-login')}` },
    })
    expect(cookieOf(mixed, 'leadrelay-session') || undefined).toBeUndefined()
    expect(decodeURIComponent(mixed.headers.location as string)).toMatch(/state/)
  })
})

describe('sessions', () => {
  test('sign-out ends the session at once', async () => {
    const session = await signedInAs(ada, 'viewer')
    expect((await asPerson(session, 'GET', '/v1/leads')).statusCode).toBe(200)
    const out = await asPerson(session, 'POST', '/auth/logout')
    expect(out.statusCode).toBe(200)
    expect(out.headers['set-cookie']).toEqual(expect.arrayContaining([expect.stringContaining('Max-Age=0')]))
    const after = await asPerson(session, 'GET', '/v1/leads')
    expect(after.statusCode).toBe(401)
    expect(after.json().code).toBe('UNAUTHORIZED')
  })

  test('sign-out answers where the browser ends the session at the provider too, with the ID token as hint', async () => {
    const { session, callback } = await signIn(ada, { invitation: await invite('ada@contoso.com', 'viewer') })
    const idToken = cookieOf(callback, 'leadrelay-id-token')!
    expect(callback.headers['set-cookie']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^leadrelay-id-token=.+; Path=\/; HttpOnly; SameSite=Lax/)]),
    )
    // Sealed: the cookie is not the token (a JWT starts with eyJ) and says nothing to whoever reads it.
    expect(decodeURIComponent(idToken)).not.toMatch(/^eyJ|\.eyJ/)
    const out = await asPerson(session!, 'POST', '/auth/logout', undefined, {
      cookie: `leadrelay-session=${session}; leadrelay-id-token=${idToken}`,
    })
    expect(out.statusCode).toBe(200)
    const url = new URL(out.json().endSessionUrl)
    expect(`${url.origin}${url.pathname}`).toBe(`${fake.issuer.replace(/\/v2\.0$/, '')}/oauth2/v2.0/logout`)
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${portal}/signed-out`)
    expect(url.searchParams.get('client_id')).toBe(fake.clientId)
    const hint = url.searchParams.get('id_token_hint')!.split('.')
    expect(hint).toHaveLength(3)
    expect(JSON.parse(Buffer.from(hint[1]!, 'base64url').toString())).toMatchObject({
      iss: fake.issuer,
      sub: 'sub-ada',
      aud: fake.clientId,
    })
    // Both cookies go; the session is over here whatever the browser does next.
    for (const name of ['leadrelay-session', 'leadrelay-id-token']) {
      expect(out.headers['set-cookie']).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^${name}=; .*Max-Age=0`))]),
      )
    }
    expect((await asPerson(session!, 'GET', '/v1/leads')).statusCode).toBe(401)
    // Without a session (an API key user, or signed out already) there is nothing to end at the provider.
    const again = await t.server.app.inject({ method: 'POST', url: '/auth/logout', headers: { origin: portal } })
    expect(again.json()).toEqual({ endSessionUrl: null })
  })

  test('an idle session ends after 8 hours; use keeps it alive up to 7 days in all', async () => {
    const session = await signedInAs(ada, 'viewer')
    t.clock.advance(8 * hourMs - 1000)
    expect((await asPerson(session, 'GET', '/v1/leads')).statusCode).toBe(200)
    t.clock.advance(8 * hourMs - 1000)
    expect((await asPerson(session, 'GET', '/v1/leads')).statusCode).toBe(200)
    t.clock.advance(8 * hourMs)
    expect((await asPerson(session, 'GET', '/v1/leads')).statusCode).toBe(401)

    const busy = await signedInAs({ ...ada, sub: 'sub-ada-2', email: 'ada2@contoso.com' }, 'viewer')
    for (let hours = 0; hours < 7 * 24 - 4; hours += 4) {
      t.clock.advance(4 * hourMs)
      expect((await asPerson(busy, 'GET', '/v1/leads')).statusCode).toBe(200)
    }
    t.clock.advance(4 * hourMs + sessionTouchMs)
    expect((await asPerson(busy, 'GET', '/v1/leads')).statusCode).toBe(401)
  })

  test('sign out everywhere ends every session of the person, and only theirs', async () => {
    const first = await signedInAs(ada, 'viewer')
    const second = (await signIn(ada)).session!
    const bob = await signedInAs({ sub: 'sub-bob', name: 'Bob', email: 'bob@contoso.com' }, 'viewer')
    const response = await asPerson(first, 'POST', '/v1/sessions/revoke-all')
    expect(response.json()).toEqual({ revoked: 2 })
    expect((await asPerson(second, 'GET', '/v1/leads')).statusCode).toBe(401)
    expect((await asPerson(bob, 'GET', '/v1/leads')).statusCode).toBe(200)
  })
})

describe('roles', () => {
  test('a viewer reads leads but is refused replay with 403 FORBIDDEN naming the role needed', async () => {
    const viewer = await signedInAs(ada, 'viewer')
    expect((await asPerson(viewer, 'GET', '/v1/leads')).statusCode).toBe(200)
    const replay = await asPerson(viewer, 'POST', '/v1/deliveries/replay', { ids: ['dlv_x'] })
    expect(replay.statusCode).toBe(403)
    expect(replay.headers['content-type']).toContain('application/problem+json')
    expect(replay.json()).toMatchObject({ code: 'FORBIDDEN', requiredRole: 'editor', role: 'viewer' })
  })

  test('an editor may replay and configure offers but not destinations; an admin may create destinations', async () => {
    const editor = await signedInAs(ada, 'editor')
    const replay = await asPerson(editor, 'POST', '/v1/deliveries/replay', { ids: ['dlv_unknown'] })
    expect(replay.statusCode).not.toBe(403)
    expect(replay.statusCode).toBeLessThan(500)
    const destination = { name: 'CRM hook', kind: 'webhook', config: { url: 'https://example.com/hook' } }
    expect((await asPerson(editor, 'POST', '/v1/destinations', destination)).json()).toMatchObject({
      code: 'FORBIDDEN',
      requiredRole: 'admin',
    })
    const admin = await signedInAs({ sub: 'sub-bob', name: 'Bob', email: 'bob@contoso.com' }, 'admin')
    const created = await asPerson(admin, 'POST', '/v1/destinations', destination)
    expect(created.statusCode).toBe(201)
    const audit = (await asPerson(admin, 'GET', '/v1/audit')).json().items
    const bob = (await t.store.listMembers(t.tenant.tenant.id)).find((m) => m.name === 'Bob')!
    expect(audit.find((entry: { action: string }) => entry.action === 'destination.created')).toMatchObject({
      actor: `person:${bob.id}`,
      actorName: 'Bob',
    })
  })

  test('people: an admin lists, changes roles and removes; removal ends the session; only owners make owners', async () => {
    const admin = await signedInAs({ sub: 'sub-bob', name: 'Bob', email: 'bob@contoso.com' }, 'admin')
    const viewer = await signedInAs(ada, 'viewer')
    expect((await asPerson(viewer, 'GET', '/v1/people')).statusCode).toBe(403)
    const listed = (await asPerson(admin, 'GET', '/v1/people')).json().items
    expect(listed.map((p: { name: string; role: string }) => [p.name, p.role])).toEqual([
      ['Bob', 'admin'],
      ['Ada Lovelace', 'viewer'],
    ])
    const adaId = listed[1].id
    expect((await asPerson(admin, 'PATCH', `/v1/people/${adaId}`, { role: 'owner' })).json()).toMatchObject({
      code: 'FORBIDDEN',
      requiredRole: 'owner',
    })
    expect((await asPerson(admin, 'PATCH', `/v1/people/${adaId}`, { role: 'editor' })).json().role).toBe('editor')
    expect((await asPerson(viewer, 'GET', '/v1/tenant')).json().person.role).toBe('editor')
    expect((await asPerson(admin, 'DELETE', `/v1/people/${adaId}`)).statusCode).toBe(204)
    expect((await asPerson(viewer, 'GET', '/v1/leads')).statusCode).toBe(401)
  })
})

describe('CSRF', () => {
  test('a cross-site form POST with the session cookie is refused and changes nothing', async () => {
    const admin = await signedInAs(ada, 'admin')
    const forged = await t.server.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: {
        cookie: `leadrelay-session=${admin}`,
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://attacker.example',
        'sec-fetch-site': 'cross-site',
      },
      payload: 'email=eve%40attacker.example&role=owner',
    })
    expect(forged.statusCode).toBe(403)
    expect(forged.json().code).toBe('CROSS_SITE_REQUEST')
    // An older browser without fetch metadata: the Origin decides; without either header, refused too.
    for (const headers of [{ origin: 'https://attacker.example' }, {}]) {
      const response = await asPerson(admin, 'DELETE', '/v1/people/per_x', undefined, {
        'sec-fetch-site': '',
        origin: '',
        ...headers,
      })
      expect(response.json().code).toBe('CROSS_SITE_REQUEST')
    }
    const sameOrigin = await asPerson(admin, 'POST', '/v1/invitations', { email: 'eve@contoso.com', role: 'viewer' })
    expect(sameOrigin.statusCode).toBe(201)
    const byOrigin = await asPerson(
      admin,
      'POST',
      '/v1/invitations',
      { email: 'f@contoso.com', role: 'viewer' },
      {
        'sec-fetch-site': '',
      },
    )
    expect(byOrigin.statusCode).toBe(201)
  })

  test('API keys are not subject to the Origin check; reads with a cookie are not either', async () => {
    const response = await t.server.app.inject({
      method: 'POST',
      url: '/v1/invitations',
      headers: {
        ...bearer(t.tenant),
        'content-type': 'application/json',
        origin: 'https://elsewhere.example',
      },
      payload: JSON.stringify({ email: 'x@contoso.com', role: 'viewer' }),
    })
    expect(response.statusCode).toBe(201)
    const viewer = await signedInAs(ada, 'viewer')
    const read = await asPerson(viewer, 'GET', '/v1/leads', undefined, { 'sec-fetch-site': 'cross-site' })
    expect(read.statusCode).toBe(200)
  })
})

describe('sign-in settings', () => {
  /** A second server with other settings, for the tests below; closed by the test. */
  async function serverWith(env: NodeJS.ProcessEnv): Promise<TestServer> {
    await t.close()
    t = await startTestServer({
      LEADRELAY_OIDC_ISSUER: fake.issuer,
      LEADRELAY_OIDC_CLIENT_ID: fake.clientId,
      LEADRELAY_OIDC_CLIENT_SECRET: fake.clientSecret,
      ...env,
    })
    return t
  }

  test('on an https public URL the cookies are __Host- and Secure, and the Origin must be that URL', async () => {
    await serverWith({
      LEADRELAY_PUBLIC_URL: 'https://leads.contoso.com',
      LEADRELAY_OIDC_ALLOWED_TENANTS: fake.tenantId,
    })
    const login = await t.server.app.inject({ method: 'GET', url: '/auth/login' })
    const setLogin = String(login.headers['set-cookie'])
    expect(setLogin).toMatch(/^__Host-leadrelay-login=.*; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/)
    expect(new URL(login.headers.location!).searchParams.get('redirect_uri')).toBe(
      'https://leads.contoso.com/auth/callback',
    )
    const { code, state } = fake.approve(login.headers.location!, ada)
    const callback = await t.server.app.inject({
      method: 'GET',
      url: `/auth/callback?code=${code}&state=${state}`,
      headers: { cookie: `__Host-leadrelay-login=${cookieOf(login, '__Host-leadrelay-login')}` },
    })
    const setSession = (callback.headers['set-cookie'] as string[]).find((c) =>
      c.startsWith('__Host-leadrelay-session'),
    )
    expect(setSession).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=604800; Secure$/)
    const session = cookieOf(callback, '__Host-leadrelay-session')!
    const change = (origin: string) =>
      t.server.app.inject({
        method: 'POST',
        url: '/v1/sessions/revoke-all',
        headers: { cookie: `__Host-leadrelay-session=${session}`, origin },
      })
    expect((await change('http://leads.contoso.com')).json().code).toBe('CROSS_SITE_REQUEST')
    expect((await change('https://leads.contoso.com')).json()).toEqual({ revoked: 1 })
  })

  test('an operator is owner of every tenant and picks one with Leadrelay-Tenant', async () => {
    await serverWith({ LEADRELAY_OIDC_ALLOWED_TENANTS: fake.tenantId, LEADRELAY_OPERATOR_EMAILS: 'ops@contoso.com' })
    t.clock.advance(1000)
    const other = await t.addTenant('fabrikam')
    const { session } = await signIn({ sub: 'sub-ops', name: 'Olga Ops', email: 'ops@contoso.com' })
    const here = (await asPerson(session!, 'GET', '/v1/tenant')).json()
    expect(here.person).toMatchObject({ role: 'owner', operator: true })
    const there = await asPerson(session!, 'GET', '/v1/tenant', undefined, { 'leadrelay-tenant': other.tenant.id })
    expect(there.json()).toMatchObject({ id: other.tenant.id, person: { role: 'owner' } })
    // The tenants an operator picks from (the portal's tenant switcher), oldest first.
    const listed = await asPerson(session!, 'GET', '/v1/tenants')
    expect(listed.json().items.map((tenant: { id: string; name: string }) => [tenant.id, tenant.name])).toEqual([
      [t.tenant.tenant.id, t.tenant.tenant.name],
      [other.tenant.id, 'fabrikam'],
    ])
    const invited = await asPerson(
      session!,
      'POST',
      '/v1/invitations',
      { email: 'x@fabrikam.com', role: 'owner' },
      {
        'leadrelay-tenant': other.tenant.id,
      },
    )
    expect(invited.statusCode).toBe(201)
    // Anyone else of the same organisation is a plain member of the first tenant, and cannot pick another.
    const { session: plain } = await signIn(ada)
    const refused = await asPerson(plain!, 'GET', '/v1/tenant', undefined, { 'leadrelay-tenant': other.tenant.id })
    expect(refused.json()).toMatchObject({ id: t.tenant.tenant.id, person: { role: 'viewer', operator: false } })
    const own = await asPerson(plain!, 'GET', '/v1/tenants')
    expect(own.json().items.map((tenant: { id: string }) => tenant.id)).toEqual([t.tenant.tenant.id])
  })

  test("a tenant bound to its Entra tenant admits that tenant's people with its role, and only them", async () => {
    // Nothing is allowed by the operator's configuration: only the tenant's own binding lets people in.
    await serverWith({})
    expect((await signIn(ada)).session).toBeUndefined()
    const bound = await t.server.app.inject({
      method: 'PUT',
      url: '/v1/tenant/sign-in',
      headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
      payload: JSON.stringify({ entraTenantId: fake.tenantId, role: 'editor' }),
    })
    expect(bound.json()).toEqual({ entraTenantId: fake.tenantId, role: 'editor' })
    const { session } = await signIn(ada)
    expect((await asPerson(session!, 'GET', '/v1/tenant')).json()).toMatchObject({
      id: t.tenant.tenant.id,
      person: { role: 'editor' },
    })
  })
})

describe('invitation email', () => {
  test('goes out through the SMTP server with the link, which the answer then leaves out', async () => {
    const { SMTPServer } = await import('smtp-server')
    const mails: string[] = []
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'))
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
    const port = (smtp.server.address() as { port: number }).port
    try {
      await t.close()
      t = await startTestServer({
        LEADRELAY_OIDC_ISSUER: fake.issuer,
        LEADRELAY_OIDC_CLIENT_ID: fake.clientId,
        LEADRELAY_OIDC_CLIENT_SECRET: fake.clientSecret,
        LEADRELAY_SMTP_URL: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
      })
      const response = await t.server.app.inject({
        method: 'POST',
        url: '/v1/invitations',
        headers: { ...bearer(t.tenant), 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'ada@contoso.com', role: 'editor' }),
      })
      expect(response.json()).toMatchObject({ email: 'ada@contoso.com', role: 'editor', emailed: true, link: null })
      expect(mails).toHaveLength(1)
      const link = /http:\/\/127\.0\.0\.1:8080\/auth\/login\?invitation=[\w-]+/.exec(
        mails[0]!.replace(/=\r?\n/g, '').replace(/=3D/g, '='),
      )
      expect(link).not.toBeNull()
      const token = new URL(link![0]).searchParams.get('invitation')!
      const { session } = await signIn(ada, { invitation: token })
      expect((await asPerson(session!, 'GET', '/v1/tenant')).json().person.role).toBe('editor')
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()))
    }
  })
})
