/** JSON logs that never carry customer data or secrets: requests are logged by method, redacted URL and status. */

import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger }

/** `%XX` escapes undone, repeatedly (a double-encoded `%252F` too), without failing on a malformed one. */
function percentDecoded(text: string): string {
  let decoded = text
  for (let round = 0; round < 4 && /%[0-9a-f]{2}/i.test(decoded); round++) {
    decoded = decoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  }
  return decoded
}

/**
 * Ingest URLs carry a secret: it never reaches a log line. Everything after `/ingest/microsoft/` (or after `/ingest/`)
 * is cut, whatever the letter case or percent-encoding of the path, because a request that does not match a route
 * (`/INGEST/Microsoft/<token>`, `/ingest%2Fmicrosoft%2F<token>`) is logged too.
 */
export function redactUrl(url: string): string {
  const decoded = percentDecoded(url)
  const ingest = /[/\\]+ingest(?:[/\\]+microsoft)?(?:[/\\]+|(?=[?#;]))/i.exec(decoded)
  if (!ingest) return url
  const rest = decoded.slice(ingest.index + ingest[0].length)
  return rest === '' ? decoded : `${decoded.slice(0, ingest.index + ingest[0].length)}[redacted]`
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'leadrelay' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.authorization',
          '*.headers.authorization',
          '*.apiKey',
          '*.secret',
          '*.secrets',
          '*.email',
          '*.phone',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (request: { method: string; url: string; id: string }) => ({
          id: request.id,
          method: request.method,
          url: redactUrl(request.url),
        }),
        res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      },
    },
    destination,
  )
}
