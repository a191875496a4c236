/**
 * What one delivery attempt sent and what came back, as Leadrelay recorded it: folded away until asked for, the
 * body shown as formatted JSON when it is JSON. Its parts are labelled, not headed: it sits under an h2 on one page and
 * an h3 on another. Secrets were redacted and bodies cut at 8 KiB before they were stored.
 */

import type { Attempt, ExchangeRequest, ExchangeResponse } from '../api/types.ts'

/** A JSON body indented for reading; any other text as it came. */
function readable(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}

function Headers({ headers }: { headers: Readonly<Record<string, string>> }) {
  const names = Object.keys(headers).sort()
  if (names.length === 0) return null
  return <pre className="payload headers">{names.map((name) => `${name}: ${headers[name]}`).join('\n')}</pre>
}

function Body({ part }: { part: ExchangeRequest | ExchangeResponse }) {
  if (part.body === null) return <p className="hint">No body.</p>
  return (
    <>
      <pre className="payload">{readable(part.body)}</pre>
      {part.bodyTruncated && <p className="hint">Cut at 8 KiB: the body was longer.</p>}
    </>
  )
}

export function AttemptExchange({ attempt }: { attempt: Pick<Attempt, 'number' | 'request' | 'response'> }) {
  const { request, response } = attempt
  if (!request) return <span className="hint">Not recorded</span>
  return (
    <details className="attempt-exchange">
      <summary>
        Sent and received<span className="visually-hidden"> in attempt {attempt.number}</span>
      </summary>
      <p className="exchange-label">Request</p>
      <p className="exchange-line">
        <code>
          {request.method} {request.url}
        </code>
      </p>
      <Headers headers={request.headers} />
      <Body part={request} />
      <p className="exchange-label">Response</p>
      {response ? (
        <>
          <p className="exchange-line">
            <code>HTTP {response.status}</code>
          </p>
          <Headers headers={response.headers} />
          <Body part={response} />
        </>
      ) : (
        <p className="hint">No answer came (a timeout or a refused connection).</p>
      )}
    </details>
  )
}
