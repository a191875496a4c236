import { describe, expect, it } from 'vitest'
import { exchangeBodyLimitBytes, redacted, storableExchange } from './attempt-exchange.ts'

describe('what of an exchange may be stored', () => {
  it('keeps neither the client secret of a token request nor the token in its answer', () => {
    const exchange = storableExchange({
      request: {
        method: 'POST',
        url: 'https://login.example/tenant/oauth2/v2.0/token',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=app-1&client_secret=s3cr3t&scope=https%3A%2F%2Fcrm%2F.default',
      },
      response: {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi.secret.sig"}',
      },
    })
    expect(exchange.request.body).toBe(
      `grant_type=client_credentials&client_id=app-1&client_secret=${encodeURIComponent(redacted)}&scope=https%3A%2F%2Fcrm%2F.default`,
    )
    expect(JSON.parse(exchange.response!.body!)).toEqual({
      token_type: 'Bearer',
      expires_in: 3599,
      access_token: redacted,
    })
  })

  it('names credential headers without their values and keeps the ones a receiver reads', () => {
    const { request } = storableExchange({
      request: {
        method: 'POST',
        url: 'https://crm.example/hook',
        headers: {
          Authorization: 'Bearer abc',
          'X-Api-Key': 'k-1',
          'Webhook-Signature': 'v1,xyz',
          'Webhook-Id': 'msg_1',
          'Content-Type': 'application/json',
        },
        body: '{"email":"ada@example.com","nested":{"password":"p","list":[{"apiKey":"k"}]}}',
      },
    })
    expect(request.headers).toEqual({
      authorization: redacted,
      'x-api-key': redacted,
      'webhook-signature': redacted,
      'webhook-id': 'msg_1',
      'content-type': 'application/json',
    })
    expect(JSON.parse(request.body!)).toEqual({
      email: 'ada@example.com',
      nested: { password: redacted, list: [{ apiKey: redacted }] },
    })
  })

  it('removes user info and secret query values (a SAS signature, an access token) from the URL', () => {
    const { request } = storableExchange({
      request: {
        method: 'PUT',
        url: 'https://user:pass@acct.table.core.windows.net/Leads?sv=2019-02-02&sig=abc%2Bdef&access_token=t1',
      },
    })
    expect(request.url).toBe(
      `https://acct.table.core.windows.net/Leads?sv=2019-02-02&sig=${encodeURIComponent(redacted)}&access_token=${encodeURIComponent(redacted)}`,
    )
  })

  it('cuts a body over 8 KiB between characters and says so; one the client already cut is marked too', () => {
    const long = storableExchange({
      request: { method: 'POST', url: 'https://crm.example/' },
      response: { status: 500, headers: {}, body: '€'.repeat(4000) },
    })
    const body = long.response!.body!
    expect(long.response!.bodyTruncated).toBe(true)
    expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(exchangeBodyLimitBytes)
    expect(body).toBe('€'.repeat(Math.floor(exchangeBodyLimitBytes / 3)))
    const cutByClient = storableExchange(
      { request: { method: 'GET', url: 'https://crm.example/' }, response: { status: 200, headers: {}, body: 'ok' } },
      true,
    )
    expect(cutByClient.response).toEqual({ status: 200, headers: {}, body: 'ok', bodyTruncated: true })
  })

  it('keeps a text answer that is neither JSON nor a form as it is, and leaves out empty bodies', () => {
    const exchange = storableExchange({
      request: { method: 'POST', url: 'https://crm.example/', body: new TextEncoder().encode('') },
      response: { status: 400, headers: {}, body: '<error>Invalid email: ada@example</error>' },
    })
    expect(exchange.request.body).toBeUndefined()
    expect(exchange.response?.body).toBe('<error>Invalid email: ada@example</error>')
  })

  it('stores a body that names no secret as the bytes sent, and still redacts one whose secret name is escaped', () => {
    const sent = '{\n  "postalCode": "10115",\n  "countryCode": "DE",\n  "design": "signup"\n}'
    const plain = storableExchange({ request: { method: 'POST', url: 'https://crm.example/hook', body: sent } })
    expect(plain.request.body).toBe(sent)
    const escaped = storableExchange({
      request: { method: 'POST', url: 'https://crm.example/hook', body: '{"\\u0073ig":"abc","code":"x","zip":"1"}' },
    })
    expect(JSON.parse(escaped.request.body!)).toEqual({ sig: redacted, code: redacted, zip: '1' })
    const form = storableExchange({
      request: { method: 'POST', url: 'https://crm.example/token', body: 'grant=1&%63ode=abc' },
    })
    expect(form.request.body).toBe(`grant=1&code=${encodeURIComponent(redacted)}`)
  })

  it('redacts the same URL the same way every time it is sent', () => {
    const url = 'https://user:pass@crm.example/hook?access_token=t1&page=2'
    const first = storableExchange({ request: { method: 'POST', url } })
    const second = storableExchange({ request: { method: 'POST', url } })
    expect(first.request.url).toBe(`https://crm.example/hook?access_token=${encodeURIComponent(redacted)}&page=2`)
    expect(second.request.url).toBe(first.request.url)
  })
})
