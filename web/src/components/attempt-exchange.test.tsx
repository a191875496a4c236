import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { describe, expect, test } from 'vitest'
import { AttemptExchange } from './attempt-exchange.tsx'

describe('what an attempt sent and received', () => {
  test('opens on demand: the request line, its headers, the JSON body formatted, and the answer cut at 8 KiB', async () => {
    render(
      <AttemptExchange
        attempt={{
          number: 2,
          request: {
            method: 'POST',
            url: 'https://crm.example/hooks/leads',
            headers: { 'content-type': 'application/json', authorization: '[redacted]' },
            body: '{"email":"ada@example.com"}',
            bodyTruncated: false,
          },
          response: {
            status: 503,
            headers: { 'retry-after': '120' },
            body: 'Service unavailable',
            bodyTruncated: true,
          },
        }}
      />,
    )
    const summary = screen.getByText('Sent and received')
    expect(summary.closest('details')?.open).toBe(false)
    await userEvent.setup().click(summary)
    expect(summary.closest('details')?.open).toBe(true)
    expect(screen.getByText('POST https://crm.example/hooks/leads')).toBeTruthy()
    expect(screen.getByText(/authorization: \[redacted\]/)).toBeTruthy()
    expect(screen.getByText((_, node) => node?.textContent === '{\n  "email": "ada@example.com"\n}')).toBeTruthy()
    expect(screen.getByText('HTTP 503')).toBeTruthy()
    expect(screen.getByText(/retry-after: 120/)).toBeTruthy()
    expect(screen.getByText('Cut at 8 KiB: the body was longer.')).toBeTruthy()
    expect(screen.getByText('in attempt 2', { exact: false })).toBeTruthy()
  })

  test('says when no answer came, and when nothing was recorded', () => {
    const { rerender } = render(
      <AttemptExchange
        attempt={{
          number: 1,
          request: { method: 'POST', url: 'https://crm.example/', headers: {}, body: null, bodyTruncated: false },
          response: null,
        }}
      />,
    )
    expect(screen.getByText('No answer came (a timeout or a refused connection).')).toBeTruthy()
    expect(screen.getByText('No body.')).toBeTruthy()
    rerender(<AttemptExchange attempt={{ number: 1, request: null, response: null }} />)
    expect(screen.getByText('Not recorded')).toBeTruthy()
  })
})
