import { describe, expect, it } from 'vitest'
import type { HttpClient, HttpRequest } from '../destinations/http-client.ts'
import { createExchangeRecorder } from './exchange-recorder.ts'

/** Answers each request after `delayMs`, echoing its URL; a URL ending in /down fails like a refused connection. */
function fakeHttp(): HttpClient {
  return {
    async send(request: HttpRequest) {
      const delayMs = Number(new URL(request.url).searchParams.get('delay') ?? 0)
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (request.url.includes('/down')) throw new Error('connect ECONNREFUSED')
      return { status: 200, headers: {}, body: `{"for":"${request.url}"}`, truncated: false }
    },
  }
}

describe('capturing what a call sent and received', () => {
  it('keeps the last exchange of each call, and calls running at once never see each other', async () => {
    const recorder = createExchangeRecorder()
    const http = recorder.wrap(fakeHttp())
    const call = (name: string, delay: number) => async () => {
      await http.send({ method: 'POST', url: `https://login.example/token?delay=${delay}`, body: 'client_secret=x' })
      return http.send({
        method: 'POST',
        url: `https://crm.example/${name}?delay=${delay}`,
        body: `{"lead":"${name}"}`,
      })
    }
    const [slow, fast] = await Promise.all([recorder.capture(call('slow', 20)), recorder.capture(call('fast', 1))])
    expect(slow.exchange?.request).toMatchObject({ url: 'https://crm.example/slow?delay=20', body: '{"lead":"slow"}' })
    expect(fast.exchange?.request).toMatchObject({ url: 'https://crm.example/fast?delay=1', body: '{"lead":"fast"}' })
    expect(fast.exchange?.response?.body).toBe('{"for":"https://crm.example/fast?delay=1"}')
    expect(slow.result.status).toBe(200)
  })

  it('keeps the request of a call that got no answer, and records nothing outside a capture', async () => {
    const recorder = createExchangeRecorder()
    const http = recorder.wrap(fakeHttp())
    await http.send({ method: 'GET', url: 'https://crm.example/outside' })
    const failed = await recorder.capture(async () => {
      try {
        await http.send({ method: 'POST', url: 'https://crm.example/down', body: '{"lead":1}' })
      } catch {
        return 'refused'
      }
      return 'answered'
    })
    expect(failed.result).toBe('refused')
    expect(failed.exchange).toEqual({
      request: { method: 'POST', url: 'https://crm.example/down', headers: {}, body: '{"lead":1}' },
    })
    expect((await recorder.capture(async () => 'nothing sent')).exchange).toBeUndefined()
  })
})
