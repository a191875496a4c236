/** Sign-in settings as `loadConfig` reads them from the environment (docs/sign-in.md). */

import { describe, expect, test } from 'vitest'
import { loadConfig } from './config.ts'

const entra = {
  LEADRELAY_OIDC_ISSUER: 'https://login.microsoftonline.com/6f1c1d2e-0000-4000-8000-00000000c0de/v2.0',
  LEADRELAY_OIDC_CLIENT_ID: 'client-1',
}

describe('sign-in settings', () => {
  test('without an issuer: no identity provider, API key sign-in, 8 h idle and 7 d sessions', () => {
    expect(loadConfig({}, {}).signIn).toEqual({
      apiKeySignIn: true,
      operatorEmails: [],
      sessionIdleMs: 8 * 3_600_000,
      sessionMaxMs: 7 * 86_400_000,
    })
  })

  test('with an issuer: lists are trimmed and lower-cased, API key sign-in off unless allowed', () => {
    const signIn = loadConfig(
      {},
      {
        ...entra,
        LEADRELAY_OIDC_CLIENT_SECRET: 's3cret',
        LEADRELAY_OIDC_ALLOWED_TENANTS: ' 6F1C1D2E-0000-4000-8000-00000000C0DE , ',
        LEADRELAY_OIDC_ALLOWED_DOMAINS: '@Contoso.com,fabrikam.com',
        LEADRELAY_OIDC_DEFAULT_ROLE: 'editor',
        LEADRELAY_OPERATOR_EMAILS: 'Ops@Contoso.com',
        LEADRELAY_SESSION_IDLE: '30m',
      },
    ).signIn
    expect(signIn).toMatchObject({
      oidc: {
        issuer: entra.LEADRELAY_OIDC_ISSUER,
        clientId: 'client-1',
        clientSecret: 's3cret',
        allowedTenants: ['6f1c1d2e-0000-4000-8000-00000000c0de'],
        allowedDomains: ['contoso.com', 'fabrikam.com'],
        defaultRole: 'editor',
      },
      apiKeySignIn: false,
      operatorEmails: ['ops@contoso.com'],
      sessionIdleMs: 30 * 60_000,
    })
    expect(loadConfig({}, { ...entra, LEADRELAY_ALLOW_API_KEY_SIGN_IN: 'true' }).signIn.apiKeySignIn).toBe(true)
  })

  test.each([
    [{ LEADRELAY_OIDC_ISSUER: entra.LEADRELAY_OIDC_ISSUER }, 'LEADRELAY_OIDC_CLIENT_ID'],
    [{ LEADRELAY_OIDC_CLIENT_ID: 'client-1' }, 'LEADRELAY_OIDC_ISSUER'],
    [{ ...entra, LEADRELAY_OIDC_ISSUER: 'http://idp.example.com' }, 'LEADRELAY_OIDC_ISSUER'],
    [{ ...entra, LEADRELAY_OIDC_DEFAULT_ROLE: 'superuser' }, 'LEADRELAY_OIDC_DEFAULT_ROLE'],
  ])('refuses %o (%s)', (env, field) => {
    expect(() => loadConfig({}, env)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', field }))
  })

  test('a provider on this machine may speak plain http (tests, development)', () => {
    expect(
      loadConfig({}, { ...entra, LEADRELAY_OIDC_ISSUER: 'http://127.0.0.1:9000/tid/v2.0' }).signIn.oidc?.issuer,
    ).toBe('http://127.0.0.1:9000/tid/v2.0')
  })
})
